import type { CommandDef } from '../cli/command.js';
import { transfer } from './transfer-common.js';

export const move: CommandDef = {
  name: 'move',
  args: ['source:path', 'dest:path'],
  summary: 'Copy files from source to dest, deleting each source file once it is there.',
  description:
    'Moves the contents of source:path into the directory dest:path: each file is copied as copy would copy it (files already identical on dest:path are not sent again), and removed from source:path once it is safely on dest:path. ' +
    'Where the backend can move a file itself (a rename on the same local disk) it does; otherwise the file is copied (server-side within one S3 remote) and verified, and only then is the source file deleted.\n\n' +
    'A file whose copy fails stays in source:path; the other files are still moved, and the run ends with an error. Source directories stay unless --delete-empty-src-dirs is given (the top directory itself always stays). ' +
    'Filters choose which files move. If source:path names a file, only that file is moved into dest:path; use moveto to give it a new name. source:path and dest:path must not overlap.\n\n' +
    'move deletes files from the source: try it with --dry-run (-n) or --interactive (-i) first.',
  flags: [{ spec: '--delete-empty-src-dirs', help: 'Delete the source directories left empty by the move (after it, only if nothing failed)' }],
  examples: [
    { note: 'See what would move, then move it', command: 'nclone move -n ~/inbox /mnt/archive/inbox' },
    { command: 'nclone move -v ~/inbox /mnt/archive/inbox' },
    { note: 'Upload, removing local files and the directories they leave empty', command: 'nclone move --delete-empty-src-dirs ~/outgoing s3remote:my-bucket/incoming' },
    { note: 'Only the logs older than 30 days, within one bucket', command: "nclone move --min-age 30d --include '*.log' s3remote:my-bucket/logs s3remote:my-bucket/old-logs" },
  ],
  transfers: true,
  run: (env, [src, dst]) => transfer(env, 'move', src!, dst!, { deleteEmptySrcDirs: env.flags.deleteEmptySrcDirs === true }),
};
