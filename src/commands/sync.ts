import type { CommandDef } from '../cli/command.js';
import { transfer } from './transfer-common.js';

export const sync: CommandDef = {
  name: 'sync',
  args: ['source:path', 'dest:path'],
  summary: 'Make dest match source: copy what differs, delete what source lacks.',
  description:
    'Syncs the contents of source:path to dest:path: copies what is new or changed, and deletes the files in dest:path that source:path does not have (after all transfers, by default). The source is never changed.\n\n' +
    'It is always the contents of the directory that is synced, not the directory itself: `nclone sync /home/me/docs backup:docs` makes backup:docs hold what /home/me/docs holds, not a docs directory inside it.\n\n' +
    'Nothing is deleted if any error happened during the run. Sync deletes files: try it with --dry-run (-n) first.',
  examples: [
    { note: 'See what would change, then do it, logging each file', command: 'nclone sync -n ~/work /mnt/backup/work' },
    { command: 'nclone sync -v ~/work /mnt/backup/work' },
    { note: 'Mirror into a bucket, with a progress display', command: 'nclone sync -P ~/photos s3remote:my-bucket/photos' },
    { note: 'Keep what is replaced or deleted in a dated directory', command: 'nclone sync --backup-dir /mnt/backup/old/$(date +%F) ~/work /mnt/backup/work' },
  ],
  transfers: true,
  run: (env, [src, dst]) => transfer(env, 'sync', src!, dst!),
};
