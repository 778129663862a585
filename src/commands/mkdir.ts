import type { CommandDef } from '../cli/command.js';
import { skipDestructive } from '../operations/context.js';
import { fsError } from '../fs/errors.js';

export const mkdir: CommandDef = {
  name: 'mkdir',
  args: ['remote:path'],
  summary: 'Create the directory (or bucket) if it does not exist.',
  description: 'Creates the directory (and its parents); on a bucket-based remote, creates the bucket. Succeeds if it exists already.',
  examples: [
    { command: 'nclone mkdir /mnt/backup/work' },
    { note: 'Create a bucket', command: 'nclone mkdir s3remote:my-new-bucket' },
  ],
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    if (file !== undefined) throw fsError('isFile', `${path}: a file is in the way`);
    if (skipDestructive(env.ctx, fs.toString(), 'make directory')) return;
    await fs.mkdir('', { signal: env.ctx.signal });
  },
};
