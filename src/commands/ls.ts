import type { CommandDef } from '../cli/command.js';
import { quoteName } from '../lib/escape.js';
import { sizeField } from '../list/format-size.js';
import { listObjects } from './list-common.js';

export const ls: CommandDef = {
  name: 'ls',
  args: ['remote:path'],
  summary: 'Print the size and path of every file below the path.',
  description:
    'Lists every object below the path, recursively, one per line: the size in bytes right-aligned in 9 columns, a space, then the path relative to the one given. With --human-readable the size is shown with a binary suffix ("1.953Ki"). Use --max-depth 1 to stay in the top directory. Filters apply. On a bucket the whole tree is read with one recursive listing (one request per 1,000 objects) and printed in the order it comes, as rclone does; with --max-depth or filters it is walked a directory at a time. Only the list goes to stdout, so it can be piped.',
  examples: [
    { command: 'nclone ls s3remote:my-bucket/photos' },
    { note: 'Only the top directory, only PDFs', command: "nclone ls --max-depth 1 --include '*.pdf' ~/docs" },
  ],
  flags: [{ spec: '--human-readable', help: 'Print sizes with Ki, Mi, Gi suffixes' }],
  run: (env, [path]) => {
    const human = env.flags.humanReadable === true;
    return listObjects(env, path!, async (o) => `${sizeField(o.size, human)} ${quoteName(o.remote)}`);
  },
};
