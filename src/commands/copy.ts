import type { CommandDef } from '../cli/command.js';
import { transfer } from './transfer-common.js';

export const copy: CommandDef = {
  name: 'copy',
  args: ['source:path', 'dest:path'],
  summary: 'Copy new and changed files from source to dest; never delete.',
  description:
    'Copies the contents of source:path into the directory dest:path. Files that are the same on both sides (size and modification time, or checksum with -c) are skipped; nothing is deleted on the destination.\n\n' +
    'As with sync, the contents of a source directory are copied, not the directory itself. If source:path is a file, only that file is copied into dest:path.',
  examples: [
    { note: 'Copy new and changed files, logging each', command: 'nclone copy -v ~/photos /mnt/backup/photos' },
    { note: 'Upload to a bucket, only JPEGs', command: "nclone copy --include '*.jpg' ~/photos s3remote:my-bucket/photos" },
    { note: 'Copy one file into a directory', command: 'nclone copy ~/notes.txt s3remote:my-bucket/docs' },
  ],
  transfers: true,
  run: (env, [src, dst]) => transfer(env, 'copy', src!, dst!),
};
