import type { Entry, Obj } from '../fs/types.js';
import type { CommandEnv } from '../cli/command.js';
import { walk } from '../operations/walk.js';

/**
 * Shared by ls and lsl: every object below the path (or the one file the path names),
 * one line each, in walk order.
 */
export async function listObjects(env: CommandEnv, path: string, line: (o: Obj) => Promise<string>): Promise<void> {
  const { fs, file } = await env.fs(path);
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: env.ctx.signal });
    if (env.ctx.filter.includeObject(obj.remote, obj.size, env.ctx.filter.usesModTime ? await obj.modTime({ signal: env.ctx.signal }) : undefined)) await env.out(await line(obj));
    return;
  }
  await walk(env.ctx, fs, { maxDepth: env.ctx.opt.maxDepth }, async (_dir, entries: Entry[]) => {
    for (const e of entries) if (e.kind === 'object') await env.out(await line(e));
  });
}
