import type { CommandDef } from '../cli/command.js';
import { formatLocalSeconds, toDate } from '../fs/time.js';
import { quoteName } from '../lib/escape.js';
import { walk } from '../operations/walk.js';

export const lsd: CommandDef = {
  name: 'lsd',
  args: ['remote:path'],
  summary: 'Print the directories (or buckets) in the path.',
  description:
    'Lists the directories directly inside the path (with -R, all of them): size (-1), modification time, number of items (-1 when unknown) and name. On the root of a bucket-based remote it lists the buckets.',
  examples: [
    { note: 'The buckets of a remote', command: 'nclone lsd s3remote:' },
    { note: 'Every directory below one', command: 'nclone lsd -R ~/docs' },
  ],
  flags: [{ spec: '-R, --recursive', help: 'Recurse into the listing' }],
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    // A file has no directories in it: like rclone, list nothing and succeed.
    if (file !== undefined) return;
    const maxDepth = env.flags.recursive === true ? env.ctx.opt.maxDepth : env.ctx.opt.maxDepth < 0 ? 1 : env.ctx.opt.maxDepth;
    await walk(env.ctx, fs, { maxDepth }, async (_dir, entries) => {
      for (const e of entries) {
        if (e.kind !== 'dir') continue;
        const when = formatLocalSeconds(e.modTime === undefined ? new Date() : toDate(e.modTime));
        await env.out(`${String(-1).padStart(12)} ${when.padStart(13)} ${String(e.items).padStart(9)} ${quoteName(e.remote)}`);
      }
    });
  },
};
