import type { CommandDef } from '../cli/command.js';
import { formatLsl } from '../fs/time.js';
import { quoteName } from '../lib/escape.js';
import { listObjects } from './list-common.js';

export const lsl: CommandDef = {
  name: 'lsl',
  args: ['remote:path'],
  summary: 'List the objects in path with modification time, size and path.',
  description:
    'Like ls, with the modification time between size and path, in local time to the nanosecond ("2006-01-02 15:04:05.000000000"). On backends where the time costs a request per object (S3), lsl is slower than ls.',
  examples: [{ command: 'nclone lsl s3remote:my-bucket/photos' }],
  run: (env, [path]) => listObjects(env, path!, async (o) => `${String(o.size).padStart(9)} ${formatLsl(await o.modTime({ signal: env.ctx.signal }))} ${quoteName(o.remote)}`),
};
