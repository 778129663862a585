import type { Entry, Fs, Obj } from '../fs/types.js';
import type { CommandEnv } from '../cli/command.js';
import { errorMessage, fsError, FsError } from '../fs/errors.js';
import { escapeControls } from '../lib/escape.js';
import { parentOf } from '../fs/path.js';
import { logError } from '../lib/log.js';
import { walk } from '../operations/walk.js';

/**
 * Shared by ls and lsl: every object below the path (or the one file the path names),
 * one line each, in walk order; or in the backend's order when it can list the whole tree
 * at once (see listWhole).
 */
export async function listObjects(env: CommandEnv, path: string, line: (o: Obj) => Promise<string>): Promise<void> {
  const { fs, file } = await env.fs(path);
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: env.ctx.signal });
    if (env.ctx.filter.includeObject(obj.remote, obj.size, env.ctx.filter.usesModTime ? await obj.modTime({ signal: env.ctx.signal }) : undefined)) await env.out(await line(obj));
    return;
  }
  if (fs.listR && env.ctx.opt.maxDepth < 0 && !env.ctx.filter.active) return listWhole(env, fs, line);
  await walk(env.ctx, fs, { maxDepth: env.ctx.opt.maxDepth }, async (_dir, entries: Entry[]) => {
    for (const e of entries) if (e.kind === 'object') await env.out(await line(e));
  });
}

/**
 * As rclone's ls-type commands: one recursive listing, printed page by page as it comes (one
 * request per 1,000 objects on S3 instead of one per directory), when the backend has one and
 * nothing needs the tree walked a directory at a time: no --max-depth and no filter (rclone
 * also walks with directory filters, --files-from or --exclude-if-present).
 */
async function listWhole(env: CommandEnv, fs: Fs, line: (o: Obj) => Promise<string>): Promise<void> {
  const { ctx } = env;
  const report = (where: string, err: unknown) => {
    logError(where, errorMessage(err));
    ctx.stats.countError(err);
  };
  try {
    await fs.listR!(
      '',
      async (page) => {
        for (const e of page) {
          // A path with an empty segment ("a//b", "/a", a marker "a//") names no file: reported
          // and skipped as the walk does, once for the highest such directory, which the walk
          // would not have entered.
          if (emptySegment(e.remote) || (e.kind === 'object' && e.remote === '')) {
            if (!emptySegment(parentOf(e.remote))) {
              const what = e.kind === 'dir' ? 'directory' : 'object';
              report(`${fs}`, fsError('invalidName', `skipped the ${what} "${escapeControls(e.remote)}": not a name in that directory (a key with an empty path segment, like "a//b" or "/a")`, { retry: 'noRetry' }));
            }
            continue;
          }
          if (e.kind === 'object') await env.out(await line(e));
        }
      },
      { signal: ctx.signal, report: (subject, err) => report(subject ?? `${fs}`, err) },
    );
  } catch (err) {
    // A bucket prefix with nothing under it is an empty directory to a listing.
    if (err instanceof FsError && err.emptyPrefix) return;
    throw err;
  }
}

function emptySegment(remote: string): boolean {
  return remote.startsWith('/') || remote.endsWith('/') || remote.includes('//');
}
