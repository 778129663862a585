import type { Obj } from '../fs/types.js';
import type { CommandEnv } from '../cli/command.js';
import { walkObjects } from '../operations/walk-objects.js';

/**
 * Shared by ls and lsl: every object below the path (or the one file the path names),
 * one line each, in walk order; or in the backend's order when it can list the whole tree
 * at once (see walkObjects).
 */
export async function listObjects(env: CommandEnv, path: string, line: (o: Obj) => Promise<string>): Promise<void> {
  const { fs, file } = await env.fs(path);
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: env.ctx.signal });
    if (env.ctx.filter.includeObject(obj.remote, obj.size, env.ctx.filter.usesModTime ? await obj.modTime({ signal: env.ctx.signal }) : undefined)) await env.out(await line(obj));
    return;
  }
  await walkObjects(env.ctx, fs, async (o) => env.out(await line(o)));
}
