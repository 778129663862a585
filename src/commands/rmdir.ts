import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { removeDir } from '../operations/rmdirs.js';
import { withQuestions } from './transfer-common.js';

export const rmdir: CommandDef = {
  name: 'rmdir',
  args: ['remote:path'],
  summary: 'Remove the directory at the path, which must be empty.',
  description:
    'Removes the directory at the path if it is empty: it fails if the directory holds anything, even only empty directories (use rmdirs for those, purge to remove a directory with its contents). ' +
    'On S3, a bucket path removes the bucket if it is empty; a directory inside a bucket exists only through the objects under it, so there is nothing to remove: rmdir succeeds if no object is under it, and fails as not empty otherwise.',
  examples: [
    { command: 'nclone rmdir /mnt/backup/empty-dir' },
    { note: 'Remove an empty bucket', command: 'nclone rmdir s3remote:old-bucket' },
  ],
  retries: true,
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    if (file !== undefined) throw fsError('usage', `${path} is a file, not a directory: use delete to remove a file`);
    await withQuestions(env, (ctx) => removeDir(ctx, fs));
  },
};
