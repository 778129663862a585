import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { purgeDir } from '../operations/purge.js';
import { withQuestions } from './transfer-common.js';

export const purge: CommandDef = {
  name: 'purge',
  args: ['remote:path'],
  summary: 'Delete the path and everything below it.',
  description:
    'Deletes the directory at the path with everything below it: every file and every directory, the path itself included. On S3, a bucket path deletes the bucket\'s objects (in batches of 1000 per request) and then the bucket; a path inside a bucket deletes the objects under that prefix.\n\n' +
    'purge does not take filters: it refuses to run with --include, --exclude, --min-size or any other filter, since it would delete everything anyway. Use delete to remove some files, rmdir or rmdirs for empty directories. ' +
    'The root of an S3 remote (all its buckets) can\'t be purged.\n\n' +
    'Check first with --dry-run (-n), or confirm with --interactive (-i).',
  examples: [
    { note: 'Delete a directory tree', command: 'nclone purge /mnt/backup/old' },
    { note: 'Delete a bucket and everything in it', command: 'nclone purge s3remote:old-bucket' },
  ],
  retries: true,
  run: async (env, [path]) => {
    if (env.ctx.filter.active) {
      throw fsError('usage', `purge does not take filters: it deletes everything under ${path}. Use delete to remove only the files the filters select`);
    }
    const { fs, file } = await env.fs(path!);
    if (file !== undefined) throw fsError('usage', `${path} is a file, not a directory: use delete to remove a file`);
    if (fs.features.bucketBased && fs.root === '') throw fsError('usage', `can't purge the root of ${path}: it would delete every bucket; give the bucket, as ${path.endsWith(':') ? path : path + '/'}BUCKET`);
    await withQuestions(env, (ctx) => purgeDir(ctx, fs));
  },
};
