import type { Entry, Fs, Timestamp } from '../fs/types.js';
import { errorMessage, FsError, isKind } from '../fs/errors.js';
import { quoteName } from '../lib/escape.js';
import { logError } from '../lib/log.js';
import { DirLister } from '../list/lister.js';
import { treeBytes } from '../list/format-size.js';
import { formatTreeTime } from '../list/format-time.js';
import type { OperationContext } from './context.js';

/**
 * rclone's tree (the look of the Unix tree command), printed as the listing goes: each
 * directory's entries are held while its lines are printed (an entry's branch depends on
 * whether it is the last), never the whole tree. Directory sizes need the whole subtree
 * before the directory's line, so with sizes a first pass adds them up, keeping one number
 * per directory, and the second pass prints (with --fast-list both passes share one listing).
 */

export type TreeSort = 'name' | 'size' | 'mtime' | 'version' | 'dirsfirst';

export interface TreeOptions {
  /** Show names starting with "." too. */
  all: boolean;
  dirsOnly: boolean;
  fullPath: boolean;
  /** Levels to descend below the root; -1 for no limit. */
  level: number;
  /** Sizes before names: in bytes, or human-readable ("2.0K"). */
  sizes?: 'bytes' | 'human';
  /** Modification times before file names. */
  modTimes: boolean;
  quote: boolean;
  noIndent: boolean;
  /** undefined leaves each directory in listing order. */
  sort?: TreeSort;
  reverse: boolean;
  color: boolean;
}

export interface TreeCounts {
  dirs: number;
  files: number;
}

interface Node {
  entry: Entry;
  name: string;
  /** Cached modification time (a request on S3). */
  time?: Timestamp;
}

interface DirSize {
  bytes: number;
  /** Part of the subtree was below the level limit, so the sum is short. */
  partial: boolean;
}

export async function printTree(ctx: OperationContext, fs: Fs, file: string | undefined, opts: TreeOptions, out: (line: string) => Promise<void>): Promise<TreeCounts> {
  const t = new TreeWalk(ctx, fs, opts, out);
  return t.run(file);
}

class TreeWalk {
  private readonly lister: DirLister;
  /** Directories whose listing failed (logged once): shown empty. */
  private readonly failed = new Set<string>();
  private readonly sizes = new Map<string, DirSize>();
  private readonly counts: TreeCounts = { dirs: 0, files: 0 };
  /** The root's shown entries, once listed (or the one object the path names). */
  private root: Node[] | undefined;

  constructor(
    private readonly ctx: OperationContext,
    private readonly fs: Fs,
    private readonly opts: TreeOptions,
    private readonly out: (line: string) => Promise<void>,
  ) {
    this.lister = new DirLister(fs, {
      fastList: ctx.opt.fastList,
      signal: ctx.signal,
      report: (err, where) => {
        logError(`${fs}${where ? '/' + where : ''}`, errorMessage(err));
        ctx.stats.countError(err);
      },
    });
  }

  async run(file: string | undefined): Promise<TreeCounts> {
    if (file !== undefined) {
      // The path names an object: the tree is the root with that one entry (if shown at all).
      const obj = await this.fs.newObject(file, { signal: this.ctx.signal });
      const f = this.ctx.filter;
      const kept = f.includeObject(obj.remote, obj.size, f.usesModTime ? await obj.modTime({ signal: this.ctx.signal }) : undefined);
      this.root = kept ? this.visible([obj]) : [];
    }
    // The root is listed before anything is printed: a path that is not there prints nothing.
    this.root ??= await this.nodes('');
    if (this.opts.sizes) await this.measure('', 0);
    await this.out((await this.props({ entry: { kind: 'dir', remote: '', items: -1 }, name: '/' }, 0)) + this.decorate('/', true));
    await this.printDir('', 0, '');
    return this.counts;
  }

  private expands(depth: number): boolean {
    return this.opts.level < 0 || depth < this.opts.level;
  }

  /** The shown entries of dir, sorted; [] for a directory that could not be listed. */
  private async nodes(dir: string): Promise<Node[]> {
    if (dir === '' && this.root) return this.root;
    if (this.failed.has(dir)) return [];
    let entries: Entry[];
    try {
      entries = await this.lister.listSorted(dir, this.ctx.filter);
    } catch (err) {
      if (dir === '') {
        // A bucket prefix with nothing under it is an empty directory to a listing.
        if (err instanceof FsError && err.emptyPrefix) return [];
        throw err;
      }
      this.failed.add(dir);
      // A directory removed while the tree was listed is simply gone.
      if (!isKind(err, 'dirNotFound')) {
        logError(`${this.fs}/${dir}`, errorMessage(err));
        this.ctx.stats.countError(err);
      }
      return [];
    }
    return this.sorted(this.visible(entries));
  }

  private visible(entries: Entry[]): Node[] {
    const out: Node[] = [];
    for (const entry of entries) {
      const name = entry.remote.slice(entry.remote.lastIndexOf('/') + 1);
      if (!this.opts.all && name.startsWith('.')) continue;
      if (this.opts.dirsOnly && entry.kind === 'object') continue;
      out.push({ entry, name });
    }
    return out;
  }

  private async time(n: Node): Promise<Timestamp> {
    if (n.time === undefined) {
      const e = n.entry;
      n.time = e.kind === 'dir' ? (e.modTime ?? BigInt(Date.now()) * 1_000_000n) : await e.modTime({ signal: this.ctx.signal });
    }
    return n.time;
  }

  /** The listing is in name order: the other orders are stable sorts over it. */
  private async sorted(nodes: Node[]): Promise<Node[]> {
    const how = this.opts.sort;
    if (how === undefined) return nodes;
    let less: (a: Node, b: Node) => boolean;
    switch (how) {
      case 'name':
        less = (a, b) => a.name < b.name;
        break;
      case 'mtime':
        for (const n of nodes) await this.time(n);
        less = (a, b) => a.time! < b.time!;
        break;
      case 'dirsfirst':
        less = (a, b) => a.entry.kind === 'dir' && b.entry.kind !== 'dir';
        break;
      case 'version':
        less = (a, b) => naturalLess(a.name, b.name);
        break;
      case 'size':
        less = (a, b) => sizeOf(a.entry) < sizeOf(b.entry);
        break;
    }
    const cmp = (a: Node, b: Node) => (less(a, b) ? -1 : less(b, a) ? 1 : 0);
    const reverse = this.opts.reverse;
    return nodes.sort(reverse ? (a, b) => cmp(b, a) : cmp);
  }

  /** First pass, for sizes: each directory's total over the files shown below it. */
  private async measure(dir: string, depth: number): Promise<DirSize> {
    const total: DirSize = { bytes: 0, partial: false };
    if (!this.expands(depth)) total.partial = true;
    else {
      for (const n of await this.nodes(dir)) {
        this.checkAborted();
        if (n.entry.kind === 'object') total.bytes += n.entry.size;
        else {
          const sub = await this.measure(n.entry.remote, depth + 1);
          total.bytes += sub.bytes;
          total.partial ||= sub.partial;
        }
      }
    }
    this.sizes.set(dir, total);
    return total;
  }

  private async printDir(dir: string, depth: number, indent: string): Promise<void> {
    if (!this.expands(depth)) return;
    const nodes = await this.nodes(dir);
    for (let i = 0; i < nodes.length; i++) {
      this.checkAborted();
      const n = nodes[i]!;
      const last = i === nodes.length - 1;
      const branch = this.opts.noIndent ? '' : indent + (last ? '└── ' : '├── ');
      const isDir = n.entry.kind === 'dir';
      const shown = this.opts.fullPath ? '/' + n.entry.remote : n.name;
      await this.out(branch + (await this.props(n, depth + 1)) + this.decorate(shown, isDir));
      if (isDir) {
        this.counts.dirs++;
        await this.printDir(n.entry.remote, depth + 1, this.opts.noIndent ? '' : indent + (last ? '    ' : '│   '));
      } else this.counts.files++;
    }
  }

  /** The bracketed size and time before a name ("[       2000 Mar 04 05:06]  "). */
  private async props(n: Node, depth: number): Promise<string> {
    const parts: string[] = [];
    const human = this.opts.sizes === 'human';
    if (this.opts.sizes) {
      if (n.entry.kind === 'object') parts.push(human ? treeBytes(n.entry.size).padStart(4) : String(n.entry.size).padStart(11));
      else {
        const s = this.sizes.get(n.entry.remote) ?? { bytes: 0, partial: depth > 0 && !this.expands(depth) };
        if (s.partial && s.bytes <= 0) parts.push(human ? '????' : '???????????');
        else parts.push(human ? treeBytes(s.bytes).padStart(4) : String(s.bytes).padStart(11));
      }
    }
    if (this.opts.modTimes && n.entry.kind === 'object') parts.push(formatTreeTime(await this.time(n)));
    return parts.length > 0 ? `[${parts.join(' ')}]  ` : '';
  }

  /** The name as shown: escaped when it holds control characters, quoted with -Q, coloured with -C. */
  private decorate(name: string, isDir: boolean): string {
    let text = quoteName(name);
    if (this.opts.quote && text === name) text = `"${name}"`;
    return this.opts.color ? colorize(text, name, isDir) : text;
  }

  private checkAborted(): void {
    if (this.ctx.signal?.aborted) throw this.ctx.signal.reason;
  }
}

function sizeOf(e: Entry): number {
  return e.kind === 'dir' ? -1 : e.size;
}

/**
 * "abc2" before "abc12": runs of digits compare as numbers (fewer leading zeros first when
 * equal), other characters one by one, digits before other characters.
 */
export function naturalLess(a: string, b: string): boolean {
  const digit = (s: string, i: number) => {
    const c = s.charCodeAt(i);
    return c >= 48 && c <= 57;
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const da = digit(a, i);
    const db = digit(b, j);
    if (da !== db) return da;
    if (!da) {
      if (a[i] !== b[j]) return a[i]! < b[j]!;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const si = i;
    const sj = j;
    while (i < a.length && digit(a, i)) i++;
    while (j < b.length && digit(b, j)) j++;
    if (i - si !== j - sj) return i - si < j - sj;
    const na = a.slice(si, i);
    const nb = b.slice(sj, j);
    if (na !== nb) return na < nb;
    if (si !== sj) return si < sj;
  }
  return a.length < b.length;
}

// The Unix tree's colours, by extension first, then directories in blue.
const EXEC = ['.bat', '.btm', '.cmd', '.com', '.dll', '.exe'];
const ARCHIVE = ['.arj', '.bz2', '.deb', '.gz', '.lzh', '.rpm', '.tar', '.taz', '.tb2', '.tbz2', '.tbz', '.tgz', '.tz', '.tz2', '.z', '.zip', '.zoo'];
// ".jpeg" is missing on purpose: the original table has "jpeg" without its dot, so .jpeg files stay plain there too.
const MEDIA = ['.asf', '.avi', '.bmp', '.flac', '.gif', '.jpg', '.m2a', '.m2v', '.mov', '.mp3', '.mpeg', '.mpg', '.ogg', '.ppm', '.rm', '.tga', '.tif', '.wav', '.wmv', '.xbm', '.xpm'];

function colorize(text: string, name: string, isDir: boolean): string {
  const leaf = name.slice(name.lastIndexOf('/') + 1);
  const dot = leaf.lastIndexOf('.');
  const ext = dot < 0 ? '' : leaf.slice(dot).toLowerCase();
  const style = EXEC.includes(ext) ? '1;32' : ARCHIVE.includes(ext) ? '1;31' : MEDIA.includes(ext) ? '1;35' : isDir ? '1;34' : undefined;
  return style === undefined ? text : `\x1b[${style}m${text}\x1b[0m`;
}
