import type { CommandDef } from '../cli/command.js';
import { quoteName } from '../lib/escape.js';
import { listObjects } from './list-common.js';

export const ls: CommandDef = {
  name: 'ls',
  args: ['remote:path'],
  summary: 'List the objects in the path with size and path.',
  description:
    'Lists every object below the path, recursively, one per line: the size in bytes right-aligned in 9 columns, a space, then the path relative to the one given. Use --max-depth 1 to stay in the top directory. Filters apply. Only the list goes to stdout, so it can be piped.',
  examples: [
    { command: 'nclone ls s3remote:my-bucket/photos' },
    { note: 'Only the top directory, only PDFs', command: "nclone ls --max-depth 1 --include '*.pdf' ~/docs" },
  ],
  run: (env, [path]) => listObjects(env, path!, async (o) => `${String(o.size).padStart(9)} ${quoteName(o.remote)}`),
};
