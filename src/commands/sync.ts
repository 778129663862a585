import type { CommandDef } from '../cli/command.js';
import { transfer } from './transfer-common.js';

export const sync: CommandDef = {
  name: 'sync',
  args: ['source:path', 'dest:path'],
  summary: 'Make source and dest identical, modifying destination only.',
  description:
    'Makes the destination identical to the source: copies what differs and deletes destination files that are not in the source (after all transfers, by default). Deletes are skipped entirely if any error happened during the run. Test first with --dry-run.',
  transfers: true,
  run: (env, [src, dst]) => transfer(env, 'sync', src!, dst!),
};
