import type { CommandDef } from '../cli/command.js';
import { transferTo } from './transfer-common.js';

export const moveto: CommandDef = {
  name: 'moveto',
  args: ['source:path', 'dest:path'],
  summary: "Move one file to a new name, or a directory's contents like move.",
  description:
    'If source:path is a file, moves it to the file dest:path, replacing one that is there: a rename where the backend can (the same local disk), else a verified copy followed by the deletion of the source. ' +
    'If the file at dest:path is already identical, only the source is deleted. The directory dest:path is in is created if needed.\n\n' +
    'If source:path is a directory, moveto acts exactly as move.\n\n' +
    'Filters can not be combined with a single-file source. moveto deletes the source: try it with --dry-run (-n) or --interactive (-i) first.',
  examples: [
    { note: 'Rename a file', command: 'nclone moveto ~/report-draft.pdf ~/report-final.pdf' },
    { note: 'Upload a file under another name, removing the local one', command: 'nclone moveto ./dump.sql s3remote:my-bucket/backups/2024-05-01.sql' },
  ],
  transfers: true,
  run: (env, [src, dst]) => transferTo(env, 'move', src!, dst!),
};
