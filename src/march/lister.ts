import type { Entry, Fs } from '../fs/types.js';
import { fsError } from '../fs/errors.js';
import { parentOf } from '../fs/path.js';

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
  ) {}

  async list(dir: string): Promise<Entry[]> {
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
