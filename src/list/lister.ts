import type { CallOptions, Entry, Fs } from '../fs/types.js';
import { fsError } from '../fs/errors.js';
import { parentOf } from '../fs/path.js';
import type { Filter } from '../filter/filter.js';
import { escapeControls } from '../lib/escape.js';
import { logDebug } from '../lib/log.js';
import { applyFilter, compareEntries } from './order.js';

/**
 * Receives what a listing went past: entries given for a directory they are not in
 * (skipped, never descended into) and entries the backend could not read. `where` is the
 * directory or the entry.
 */
export type ListingReport = (err: unknown, where: string) => void;

export interface ListerOptions {
  fastList: boolean;
  signal?: AbortSignal;
  report?: ListingReport;
}

/**
 * The one place listings are read, shared by the march (sync, copy) and the walk (ls and
 * the other listing commands).
 */

/**
 * Lists one directory at a time. With --fast-list on a backend that has listR, the
 * whole tree is fetched once in pages and served from memory: fewer requests, more
 * memory, as rclone documents for --fast-list.
 */
export class DirLister {
  private tree: Promise<Map<string, Entry[]>> | undefined;
  private readonly call: CallOptions;

  constructor(
    private readonly fs: Fs,
    private readonly o: ListerOptions,
  ) {
    const report = o.report;
    this.call = { signal: o.signal, report: report && ((subject, err) => report(err, subject ?? '')) };
  }

  /** The entries of dir the filter takes (all without one), sorted as the march pairs them. */
  async listSorted(dir: string, filter?: Filter): Promise<Entry[]> {
    const entries = await this.list(dir);
    if (filter?.excludesListing(entries)) {
      logDebug(dir === '' ? '/' : dir, 'Excluded: holds an --exclude-if-present file');
      return [];
    }
    const kept = filter ? await applyFilter(filter, entries, this.call) : entries;
    return kept.sort(compareEntries);
  }

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
      this.o.report?.(
        fsError('invalidName', `skipped the ${what} "${escapeControls(e.remote)}" listed in "${escapeControls(dir)}": not a name in that directory (a key with an empty path segment, like "a//b" or "/a")`, {
          retry: 'noRetry',
        }),
        dir,
      );
    }
    return out ?? entries;
  }

  private async listRaw(dir: string): Promise<Entry[]> {
    if (!this.o.fastList || !this.fs.listR) return this.fs.list(dir, this.call);
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
    await this.fs.listR!(
      root,
      async (page) => {
      for (const e of page) {
        if (e.kind === 'dir') {
          if (dirs.has(e.remote)) continue;
          dirs.add(e.remote);
        }
        add(e);
        noteDirs(parentOf(e.remote));
      }
      },
      this.call,
    );
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
