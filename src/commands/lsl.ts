import type { CommandDef } from '../cli/command.js';
import { formatLsl } from '../fs/time.js';
import { quoteName } from '../lib/escape.js';
import { sizeField } from '../list/format-size.js';
import { listObjects } from './list-common.js';

export const lsl: CommandDef = {
  name: 'lsl',
  args: ['remote:path'],
  summary: 'Print the size, modification time and path of every file below the path.',
  description:
    'Like ls, with the modification time between size and path, in local time to the nanosecond ("2006-01-02 15:04:05.000000000"). With --human-readable the size is shown with a binary suffix ("1.953Ki"). On backends where the time costs a request per object (S3), lsl is slower than ls.',
  examples: [{ command: 'nclone lsl s3remote:my-bucket/photos' }],
  flags: [{ spec: '--human-readable', help: 'Print sizes with Ki, Mi, Gi suffixes' }],
  run: (env, [path]) => {
    const human = env.flags.humanReadable === true;
    return listObjects(env, path!, async (o) => `${sizeField(o.size, human)} ${formatLsl(await o.modTime({ signal: env.ctx.signal }))} ${quoteName(o.remote)}`);
  },
};
