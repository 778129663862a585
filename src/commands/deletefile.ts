import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { deleteObject } from '../operations/delete.js';

export const deletefile: CommandDef = {
  name: 'deletefile',
  args: ['remote:path'],
  summary: 'Delete a single file.',
  description:
    'Removes the one file remote:path names. Unlike delete it never removes a directory (a directory, or a path that does not exist, is refused), and filters do not apply: the file named is removed whatever --include/--exclude say. --dry-run says what would be removed; -i asks first.',
  examples: [
    { command: 'nclone deletefile s3remote:my-bucket/logs/2023-01-01.log' },
    { note: 'See what would be removed', command: 'nclone deletefile --dry-run ~/tmp/old.iso' },
  ],
  // As rclone: re-run by --retries, and -i asks before the delete.
  retries: true,
  interactive: true,
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    if (file === undefined) {
      throw fsError('usage', `${path} is a directory or doesn't exist: deletefile removes one existing file (use delete or purge for a directory)`);
    }
    const obj = await fs.newObject(file, { signal: env.ctx.signal });
    const { maxDelete } = env.ctx.opt;
    // Counted before the dry-run gate, as rclone does: --max-delete 0 refuses even a trial.
    if (maxDelete >= 0 && maxDelete < 1) throw fsError('maxDeleteReached', `--max-delete threshold (${maxDelete}) reached: not deleting ${file}`, { retry: 'fatal' });
    await deleteObject(env.ctx, obj);
  },
};
