import type { CommandDef } from '../cli/command.js';
import { errorMessage, fsError } from '../fs/errors.js';
import type { CleanupOptions } from '../fs/types.js';
import { logError } from '../lib/log.js';
import { parseAgeCutoff } from '../lib/units.js';

/** rclone's cleanup aborts unfinished uploads older than this by default. */
const DEFAULT_MAX_AGE_MS = 24 * 3_600_000;

/**
 * How old an unfinished upload must be to be removed. rclone's cleanup has its own --max-age;
 * here the global --max-age (a filter flag everywhere else) is read instead, as the two
 * can't share the name on one command line. "off" removes them whatever their age.
 */
function maxAgeMs(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return DEFAULT_MAX_AGE_MS;
  if (text.trim() === 'off') return undefined;
  const now = Date.now();
  try {
    return Math.max(0, now - parseAgeCutoff(text, now));
  } catch (err) {
    throw fsError('usage', `invalid value "${text}" for --max-age: ${errorMessage(err)}`);
  }
}

export const cleanup: CommandDef = {
  name: 'cleanup',
  args: ['remote:path'],
  summary: 'Remove what interrupted runs left: unfinished uploads, temporary files.',
  description:
    'Removes what interrupted transfers left behind. On S3: aborts the unfinished multipart uploads below the path that were started more than --max-age ago (default 24h), whoever started them, as rclone does, and deletes the journals nclone keeps to resume its own; an interrupted nclone upload younger than that is kept for the next run to resume, unless its source file is gone. On a local path: removes the temporary files of interrupted downloads. On SFTP: removes the temporary files of interrupted uploads not written to for --max-age. With --dry-run, only says what it would remove.',
  examples: [
    { note: 'Abort uploads started more than a day ago', command: 'nclone cleanup s3remote:bucket' },
    { note: 'Abort every unfinished upload, whatever its age', command: 'nclone cleanup --max-age 0s s3remote:bucket' },
    { note: 'Show what would be aborted', command: 'nclone cleanup --dry-run --max-age 1h s3remote:bucket/backups' },
  ],
  run: async (env, [path]) => {
    const options: CleanupOptions = {
      maxAgeMs: maxAgeMs((env.flags.maxAge as string | undefined) ?? process.env.NCLONE_MAX_AGE),
      all: true,
      dryRun: env.ctx.opt.dryRun,
      signal: env.ctx.signal,
      report: (subject, err) => {
        logError(subject, errorMessage(err));
        env.ctx.stats.countError(err);
      },
    };
    const { fs, file } = await env.fs(path!);
    if (file !== undefined) throw fsError('usage', `${path}: is a file: cleanup takes a directory or a bucket`);
    if (!fs.cleanup) throw fsError('notSupported', `${fs}: cleanup is not supported by this backend (it has nothing to clean up)`, { retry: 'noRetry' });
    await fs.cleanup(options);
  },
};
