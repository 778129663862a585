import type { CallOptions, Dir, Entry } from '../fs/types.js';
import type { Filter } from '../filter/filter.js';

/** The filter's choice among a directory's entries (asking modification times only when a rule needs them). */
export async function applyFilter(filter: Filter, entries: Entry[], o: CallOptions = {}): Promise<Entry[]> {
  if (!filter.active) return entries;
  const out: Entry[] = [];
  for (const e of entries) {
    if (e.kind === 'dir' ? filter.includeDirectory(e.remote) : filter.includeObject(e.remote, e.size, filter.usesModTime ? await e.modTime(o) : undefined)) out.push(e);
  }
  return out;
}

/** Sorted by name; a file and a directory of the same name are different entries. */
export function compareEntries(a: Entry | Dir, b: Entry | Dir): number {
  const an = leaf(a.remote);
  const bn = leaf(b.remote);
  if (an < bn) return -1;
  if (an > bn) return 1;
  if (a.kind === b.kind) return 0;
  return a.kind === 'object' ? -1 : 1;
}

function leaf(remote: string): string {
  return remote.slice(remote.lastIndexOf('/') + 1);
}
