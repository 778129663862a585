import type { Entry, Fs } from '../fs/types.js';
import { fsError, type FsError } from '../fs/errors.js';
import { parentOf } from '../fs/path.js';
import { escapeControls } from '../lib/escape.js';

/** Receives entries a listing gave for a directory they are not in (skipped, never descended into). */
export type StrayEntryReport = (err: FsError, dir: string) => void;

/**
 * Lists one directory at a time. With --fast-list on a backend that has listR, the
 * whole tree is fetched once in pages and served from memory: fewer requests, more
 * memory, as rclone documents for --fast-list.
 */
export class DirLister {
  private tree: Promise<Map<string, Entry[]>> | undefined;

  constructor(
    private readonly fs: Fs,
    private readonly fastList: boolean,
    private readonly reportStray: StrayEntryReport = () => undefined,
  ) {}

  /**
   * The entries of dir. An entry whose path is not dir + "/" + a non-empty name (a key such
   * as "a//b" or "/x" on a bucket store) would be descended into as the same directory
   * again, or land on another name: it is reported and skipped, as rclone does.
   */
  async list(dir: string): Promise<Entry[]> {
    const entries = await this.listRaw(dir);
    let out: Entry[] | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (belongsIn(dir, e.remote)) {
        out?.push(e);
        continue;
      }
      out ??= entries.slice(0, i);
      const what = e.kind === 'dir' ? 'directory' : 'object';
      this.reportStray(
        fsError('invalidName', `skipped the ${what} "${escapeControls(e.remote)}" listed in "${escapeControls(dir)}": not a name in that directory (a key with an empty path segment, like "a//b" or "/a")`, {
          retry: 'noRetry',
        }),
        dir,
      );
    }
    return out ?? entries;
  }

  private async listRaw(dir: string): Promise<Entry[]> {
    if (!this.fastList || !this.fs.listR) return this.fs.list(dir);
    this.tree ??= this.loadTree(dir);
    const tree = await this.tree;
    const entries = tree.get(dir);
    if (!entries) {
      if (dir === '' || tree.size > 0) return [];
      throw fsError('dirNotFound', `${dir}: directory not found`);
    }
    return entries;
  }

  private async loadTree(root: string): Promise<Map<string, Entry[]>> {
    const tree = new Map<string, Entry[]>();
    const dirs = new Set<string>();
    const add = (e: Entry) => {
      const dir = parentOf(e.remote);
      let list = tree.get(dir);
      if (!list) tree.set(dir, (list = []));
      list.push(e);
    };
    // Bucket stores list objects without their directories: make every directory on the way.
    const noteDirs = (d: string) => {
      for (; d !== root && d !== '' && !dirs.has(d); d = parentOf(d)) {
        dirs.add(d);
        add({ kind: 'dir', remote: d, items: -1 });
      }
    };
    await this.fs.listR!(root, async (page) => {
      for (const e of page) {
        if (e.kind === 'dir') {
          if (dirs.has(e.remote)) continue;
          dirs.add(e.remote);
        }
        add(e);
        noteDirs(parentOf(e.remote));
      }
    });
    return tree;
  }
}

/** Whether remote is a direct child of dir with a non-empty name. */
export function belongsIn(dir: string, remote: string): boolean {
  const prefix = dir === '' ? '' : dir + '/';
  if (!remote.startsWith(prefix)) return false;
  const leaf = remote.slice(prefix.length);
  return leaf !== '' && !leaf.includes('/');
}
