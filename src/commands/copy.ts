import type { CommandDef } from '../cli/command.js';
import { transfer } from './transfer-common.js';

export const copy: CommandDef = {
  name: 'copy',
  args: ['source:path', 'dest:path'],
  summary: 'Copy files from source to dest, skipping identical files.',
  description:
    'Copies the source to the destination directory. Files that are the same on both sides (size and modification time, or checksum with -c) are skipped; nothing is deleted on the destination. If the source is a file, only that file is copied into the destination directory.',
  transfers: true,
  run: (env, [src, dst]) => transfer(env, 'copy', src!, dst!),
};
