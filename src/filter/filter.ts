/**
 * rclone's filtering: include/exclude/filter rules (and their -from files),
 * --files-from lists, size and age limits.
 *
 * Rules are kept twice, as in rclone: file rules decide which objects are
 * included, directory rules decide which directories are worth listing. A
 * directory rule is tested against "dir/"; include rules also add rules for
 * each parent directory level of their glob so the walk reaches them, and the
 * implicit final "- /**" of --include prunes every other directory.
 */
import { createHash, randomInt } from 'node:crypto';
import { fsError } from '../fs/errors.js';
import type { Entry } from '../fs/types.js';
import { ValueError, parseAgeCutoff } from '../lib/units.js';
import type { GlobMatcher } from './glob.js';
import { type ParsedRule, RuleList, parseRule, readListFile } from './rules.js';

export interface FilterOptions {
  include?: string[];
  exclude?: string[];
  filter?: string[];
  includeFrom?: string[];
  excludeFrom?: string[];
  filterFrom?: string[];
  filesFrom?: string[];
  /** Bytes; -1 or undefined = off. */
  minSize?: number;
  /** Bytes; -1 or undefined = off. */
  maxSize?: number;
  /** Raw flag text, e.g. "2d" or "2024-01-31". */
  minAge?: string;
  /** Raw flag text, e.g. "2d" or "2024-01-31". */
  maxAge?: string;
  ignoreCase?: boolean;
  /** "K/N" (or "@/N": a random K, fixed for the run): only files whose path hashes to partition K of N. */
  hashFilter?: string;
  /** A directory holding a file of one of these names is left out, with everything below it. */
  excludeIfPresent?: string[];
}

/**
 * --hash-filter's K and N. rclone's rules: K is taken modulo N (so "3/3" is partition 0,
 * as "0/3"), "@" picks a random K once, N must be at least 1.
 */
export function parseHashFilter(text: string): { k: bigint; n: bigint } {
  const slash = text.indexOf('/');
  const bad = (why: string) => fsError('usage', `invalid --hash-filter "${text}": ${why}; write K/N (partition K of N, e.g. 0/4 ... 3/4) or @/N for a random partition`);
  if (slash < 0) throw bad('no "/"');
  const [kText, nText] = [text.slice(0, slash).trim(), text.slice(slash + 1).trim()];
  if (!/^\d+$/.test(nText) || BigInt(nText) === 0n || BigInt(nText) >= 1n << 64n) throw bad('N must be a whole number from 1 up');
  const n = BigInt(nText);
  if (kText === '@') return { k: BigInt(randomInt(Number(n > 281474976710655n ? 281474976710655n : n))), n };
  if (!/^\d+$/.test(kText) || BigInt(kText) >= 1n << 64n) throw bad('K must be a whole number (or @)');
  return { k: BigInt(kText) % n, n };
}

/**
 * The partition of a path for --hash-filter, computed as rclone does so that machines
 * running either tool split a tree the same way: MD5 of the path in Unicode NFC and lower
 * case, its first 8 bytes read as a little-endian unsigned integer, modulo N. Names that a
 * case-insensitive or normalising store would treat as one land in the same partition.
 */
export function hashPartition(remote: string, n: bigint): bigint {
  const digest = createHash('md5').update(remote.normalize('NFC').toLowerCase(), 'utf8').digest();
  return digest.readBigUInt64LE(0) % n;
}

const NS_PER_MS = 1_000_000n;

/** The glob compiler pulls in minimatch: a run loads it only when it was given a pattern. */
type GlobModule = typeof import('./glob.js');

function hasPatterns(opts: FilterOptions): boolean {
  return [opts.include, opts.includeFrom, opts.exclude, opts.excludeFrom, opts.filter, opts.filterFrom].some((list) => list !== undefined && list.length > 0);
}

function ageCutoff(flag: string, text: string | undefined, now: number): bigint | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'off') return undefined;
  let ms: number;
  try {
    ms = parseAgeCutoff(trimmed, now);
  } catch (err) {
    if (err instanceof ValueError) throw fsError('usage', `${flag}: ${err.message}`);
    throw err;
  }
  return BigInt(Math.round(ms)) * NS_PER_MS;
}

export class Filter {
  /** A filter that includes everything. */
  static readonly none: Filter = new Filter(false);

  private readonly fileRules = new RuleList();
  private readonly dirRules = new RuleList();
  private readonly ignoreCase: boolean;
  private minSize = -1;
  private maxSize = -1;
  /** Files must be modified at or after this (ns since epoch): --max-age. */
  private modTimeFrom: bigint | undefined;
  /** Files must be modified at or before this (ns since epoch): --min-age. */
  private modTimeTo: bigint | undefined;
  private files: Set<string> | undefined;
  private filesDirs: Set<string> | undefined;
  private filesSorted: readonly string[] | undefined;
  private isActive = false;
  private glob: GlobModule | undefined;
  private partition: { k: bigint; n: bigint } | undefined;
  private excludeFiles: ReadonlySet<string> | undefined;

  private constructor(ignoreCase: boolean) {
    this.ignoreCase = ignoreCase;
  }

  /** False when no filtering option was given, so callers can skip all checks. */
  get active(): boolean {
    return this.isActive;
  }

  /** True when --min-age/--max-age are set: includeObject then needs modification times. */
  get usesModTime(): boolean {
    return this.modTimeFrom !== undefined || this.modTimeTo !== undefined;
  }

  /**
   * Builds a filter from the command-line options. Rules are added in rclone's
   * order: --include, --include-from, --exclude, --exclude-from, --filter,
   * --filter-from, then the implicit "- **" when any include flag was given.
   * Throws FsError 'usage' for unreadable files, malformed rules or bad values.
   */
  static async create(opts: FilterOptions, now: number = Date.now()): Promise<Filter> {
    const f = new Filter(opts.ignoreCase === true);
    if (hasPatterns(opts)) f.glob = await import('./glob.js');

    f.modTimeFrom = ageCutoff('--max-age', opts.maxAge, now);
    f.modTimeTo = ageCutoff('--min-age', opts.minAge, now);
    if (f.modTimeFrom !== undefined && f.modTimeTo !== undefined && f.modTimeTo < f.modTimeFrom) {
      throw fsError(
        'usage',
        `--min-age ${JSON.stringify(opts.minAge)} is larger than --max-age ${JSON.stringify(opts.maxAge)}, so no file can match: make --min-age smaller than --max-age`,
      );
    }
    if (opts.minSize !== undefined && opts.minSize >= 0) f.minSize = opts.minSize;
    if (opts.maxSize !== undefined && opts.maxSize >= 0) f.maxSize = opts.maxSize;

    let impliedExclude = false;
    for (const glob of opts.include ?? []) {
      f.addGlob(true, glob, `--include ${JSON.stringify(glob)}`);
      impliedExclude = true;
    }
    for (const file of opts.includeFrom ?? []) {
      for (const { text, line } of await readListFile('--include-from', file)) {
        f.addGlob(true, text, `--include-from ${JSON.stringify(file)} line ${line} ${JSON.stringify(text)}`);
      }
      impliedExclude = true;
    }
    for (const glob of opts.exclude ?? []) {
      f.addGlob(false, glob, `--exclude ${JSON.stringify(glob)}`);
    }
    for (const file of opts.excludeFrom ?? []) {
      for (const { text, line } of await readListFile('--exclude-from', file)) {
        f.addGlob(false, text, `--exclude-from ${JSON.stringify(file)} line ${line} ${JSON.stringify(text)}`);
      }
    }
    for (const rule of opts.filter ?? []) {
      f.addRule(rule, `--filter ${JSON.stringify(rule)}`);
    }
    for (const file of opts.filterFrom ?? []) {
      for (const { text, line } of await readListFile('--filter-from', file)) {
        f.addRule(text, `--filter-from ${JSON.stringify(file)} line ${line} ${JSON.stringify(text)}`);
      }
    }
    if (impliedExclude) f.addGlob(false, '/**', 'implied exclude');

    for (const file of opts.filesFrom ?? []) {
      f.files ??= new Set();
      f.filesDirs ??= new Set();
      for (const { text } of await readListFile('--files-from', file)) {
        f.addFile(text);
      }
    }
    if (f.files) f.filesSorted = Object.freeze([...f.files].sort());
    if (opts.hashFilter !== undefined && opts.hashFilter.trim() !== '') f.partition = parseHashFilter(opts.hashFilter);
    const markers = (opts.excludeIfPresent ?? []).filter((name) => name !== '');
    for (const name of markers) {
      if (name.includes('/')) throw fsError('usage', `--exclude-if-present "${name}": give a file name, not a path (no "/")`);
    }
    if (markers.length) f.excludeFiles = new Set(markers);

    f.isActive =
      f.usesModTime ||
      f.files !== undefined ||
      f.minSize >= 0 ||
      f.maxSize >= 0 ||
      f.fileRules.length > 0 ||
      f.dirRules.length > 0 ||
      f.partition !== undefined ||
      f.excludeFiles !== undefined;
    return f;
  }

  /** Whether the path passes the --files-from list and the path rules. */
  includeRemote(remote: string): boolean {
    if (!this.active) return true;
    if (this.files && !this.files.has(remote)) return false;
    if (!this.inPartition(remote)) return false;
    return this.fileRules.include(remote);
  }

  /**
   * Whether an object passes every filter. modTime (ns since epoch) is only
   * consulted when usesModTime; if it is missing then, the age limits are not
   * applied.
   */
  includeObject(remote: string, size: number, modTime?: bigint): boolean {
    if (!this.active) return true;
    if (this.files && !this.files.has(remote)) return false;
    if (!this.inPartition(remote)) return false;
    if (modTime !== undefined) {
      if (this.modTimeFrom !== undefined && modTime < this.modTimeFrom) return false;
      if (this.modTimeTo !== undefined && modTime > this.modTimeTo) return false;
    }
    if (this.minSize >= 0 && size < this.minSize) return false;
    if (this.maxSize >= 0 && size > this.maxSize) return false;
    return this.fileRules.include(remote);
  }

  /**
   * Whether a directory (no trailing slash, '' = root) may contain included
   * files. False means the directory and its whole subtree can be skipped.
   */
  includeDirectory(dir: string): boolean {
    if (!this.active) return true;
    const d = dir.replace(/^\/+|\/+$/g, '');
    if (d === '') return true;
    if (this.filesDirs && !this.filesDirs.has(d)) return false;
    return this.dirRules.include(d);
  }

  /** --hash-filter: whether the file belongs to the partition this run takes. */
  private inPartition(remote: string): boolean {
    return this.partition === undefined || hashPartition(remote, this.partition.n) === this.partition.k;
  }

  /**
   * --exclude-if-present: whether a directory with these entries is left out (its listing
   * then counts as empty, and nothing below it is listed).
   */
  excludesListing(entries: readonly Entry[]): boolean {
    const names = this.excludeFiles;
    if (names === undefined) return false;
    for (const e of entries) if (e.kind === 'object' && names.has(e.remote.slice(e.remote.lastIndexOf('/') + 1))) return true;
    return false;
  }

  /** The --files-from entries (sorted, unique), or undefined when the flag was not given. */
  filesFrom(): readonly string[] | undefined {
    return this.filesSorted;
  }

  /** The rules in rclone's --dump filters style, for debugging. */
  describe(): string {
    const show = (list: RuleList) => list.list().map((r) => `${r.include ? '+' : '-'} ${r.glob}`);
    return ['--- File filter rules ---', ...show(this.fileRules), '--- Directory filter rules ---', ...show(this.dirRules)].join('\n');
  }

  private addRule(text: string, where: string): void {
    const parsed: ParsedRule | undefined = parseRule(text);
    if (parsed === undefined) {
      throw fsError('usage', `${where}: malformed rule: start it with "+ " to include or "- " to exclude, or use "!" to clear the rules so far`);
    }
    if (parsed.kind === 'clear') {
      this.fileRules.clear();
      this.dirRules.clear();
    } else {
      this.addGlob(parsed.include, parsed.glob, where);
    }
  }

  /** Adds one include/exclude glob to the file and/or directory rules, like rclone's Filter.Add. */
  private addGlob(include: boolean, glob: string, where: string): void {
    const { GlobError, compileGlob, globToDirGlobs } = this.glob!;
    try {
      const dirOnly = glob.endsWith('/');
      let pattern = glob;
      // Excluding "dir/" excludes everything below it too.
      if (dirOnly && !include) pattern += '**';
      const both = pattern.includes('**');
      const isFileRule = both || !dirOnly;
      const isDirRule = both || dirOnly;
      if (isFileRule) {
        this.fileRules.add(include, pattern, compileGlob(pattern, { ignoreCase: this.ignoreCase }));
        // An include needs its parent directories walked. An exclude can only
        // prune directories when it excludes every name ("*").
        if (include || pattern === '*') {
          for (const dirGlob of globToDirGlobs(pattern)) {
            if (dirGlob === '/') continue; // the root is always listed
            this.dirRules.add(include, dirGlob, this.dirMatcher(dirGlob));
          }
        }
      }
      if (isDirRule) this.dirRules.add(include, pattern, this.dirMatcher(pattern));
    } catch (err) {
      if (err instanceof GlobError) throw fsError('usage', `${where}: invalid pattern: ${err.message} (put \\ before a special character to match it literally)`);
      throw err;
    }
  }

  private dirMatcher(glob: string): GlobMatcher {
    return this.glob!.compileGlob(glob, { ignoreCase: this.ignoreCase, forDirs: true });
  }

  private addFile(line: string): void {
    const file = line.replace(/^\/+|\/+$/g, '');
    if (file === '') return;
    this.files!.add(file);
    let dir = file;
    for (let slash = dir.lastIndexOf('/'); slash > 0; slash = dir.lastIndexOf('/')) {
      dir = dir.slice(0, slash);
      if (this.filesDirs!.has(dir)) break;
      this.filesDirs!.add(dir);
    }
  }
}
