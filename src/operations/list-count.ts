import type { Fs } from '../fs/types.js';
import type { OperationContext } from './context.js';
import { walkObjects } from './walk-objects.js';

export interface CountResult {
  count: number;
  /** The sum of the known sizes. */
  bytes: number;
  /** Objects whose size the backend does not know (counted, not added). */
  sizeless: number;
}

/** The objects below the path (or the one object `file` names) that the filters take, down to --max-depth. */
export async function countObjects(ctx: OperationContext, fs: Fs, file: string | undefined): Promise<CountResult> {
  const result: CountResult = { count: 0, bytes: 0, sizeless: 0 };
  const add = (size: number) => {
    result.count++;
    if (size < 0) result.sizeless++;
    else result.bytes += size;
  };
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: ctx.signal });
    const f = ctx.filter;
    if (f.includeObject(obj.remote, obj.size, f.usesModTime ? await obj.modTime({ signal: ctx.signal }) : undefined)) add(obj.size);
    return result;
  }
  await walkObjects(ctx, fs, async (o) => add(o.size));
  if (ctx.signal?.aborted) throw ctx.signal.reason;
  return result;
}
