/**
 * Helpers for the sync engine tests: temporary trees with fixed mtimes, full snapshots,
 * a context builder, a runner that captures the outcome, and a fault-injecting Fs.
 */
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { Stats } from '../../src/accounting/stats.js';
import { Filter } from '../../src/filter/filter.js';
import { ConfigMap } from '../../src/fs/configmap.js';
import { FsError, fsError } from '../../src/fs/errors.js';
import type { Entry, Fs, HashType, ListRCallback, Obj, OpenOptions, PutOptions, SrcInfo, Timestamp } from '../../src/fs/types.js';
import { configureLog } from '../../src/lib/log.js';
import { DEFAULT_OPTIONS, type OperationContext, type OperationOptions } from '../../src/operations/context.js';
import { runSync } from '../../src/sync/sync.js';
import { newFs } from '../../backends/local/fs.js';
import { localBackend } from '../../backends/local/index.js';

/** A fixed base time (seconds since the epoch) so that every mtime is deterministic. */
export const T0 = 1_600_000_000;
export const NS_PER_S = 1_000_000_000n;

const made: string[] = [];

/**
 * Call at the top of a test file: log lines go to the returned array (emptied before
 * each test) instead of stderr, and temporary directories are removed after each test.
 */
export function useSyncTestEnv(): string[] {
  const logs: string[] = [];
  beforeEach(() => {
    logs.length = 0;
    configureLog({ sink: (line) => logs.push(line) });
  });
  afterEach(() => removeTmpDirs());
  afterAll(() => configureLog({ sink: undefined }));
  return logs;
}

export function tmpDir(label: string): string {
  const d = nfs.mkdtempSync(path.join(os.tmpdir(), `nclone-sync-${label}-`));
  made.push(d);
  return d;
}

export function removeTmpDirs(): void {
  for (const d of made.splice(0)) nfs.rmSync(d, { recursive: true, force: true });
}

/** Content, or content with an mtime in seconds (T0 when not given). */
export type FileSpec = string | Buffer | { data: string | Buffer; mtime: number };

/** Writes files under root; a key ending in '/' makes an (empty) directory. */
export function writeTree(root: string, spec: Record<string, FileSpec>): void {
  for (const [rel, s] of Object.entries(spec)) {
    const p = path.join(root, rel);
    if (rel.endsWith('/')) {
      nfs.mkdirSync(p, { recursive: true });
      continue;
    }
    const { data, mtime } = typeof s === 'string' || Buffer.isBuffer(s) ? { data: s, mtime: T0 } : s;
    nfs.mkdirSync(path.dirname(p), { recursive: true });
    nfs.writeFileSync(p, data);
    nfs.utimesSync(p, mtime, mtime);
  }
}

/** src and dst directories filled from specs; dst is left absent when dstSpec is undefined. */
export function pair(srcSpec: Record<string, FileSpec>, dstSpec?: Record<string, FileSpec>): { src: string; dst: string } {
  const src = tmpDir('src');
  writeTree(src, srcSpec);
  const dst = path.join(tmpDir('dst'), 'dst');
  if (dstSpec) {
    nfs.mkdirSync(dst);
    writeTree(dst, dstSpec);
  }
  return { src, dst };
}

export interface FileNode {
  kind: 'file';
  size: number;
  data: string;
  mtimeNs: bigint;
}
export type Node = FileNode | { kind: 'dir' };

/** Everything below root (files with content and mtime, directories), keyed by '/' paths. */
export function snapshot(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  if (!nfs.existsSync(root)) return out;
  const walk = (rel: string) => {
    for (const name of nfs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = path.join(root, r);
      const st = nfs.lstatSync(p, { bigint: true });
      if (st.isDirectory()) {
        out.set(r, { kind: 'dir' });
        walk(r);
      } else {
        out.set(r, { kind: 'file', size: Number(st.size), data: nfs.readFileSync(p).toString('latin1'), mtimeNs: st.mtimeNs });
      }
    }
  };
  walk('');
  return out;
}

/** name -> content of every file below root (sorted names), for readable assertions. */
export function contents(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of snapshot(root)) if (v.kind === 'file') out[k] = Buffer.from(v.data, 'latin1').toString('utf8');
  return out;
}

/** Directory paths below root, sorted. */
export function dirs(root: string): string[] {
  return [...snapshot(root)].filter(([, v]) => v.kind === 'dir').map(([k]) => k);
}

export function mtimeOf(root: string, rel: string): bigint {
  return nfs.statSync(path.join(root, rel), { bigint: true }).mtimeNs;
}

/** Asserts a file's mtime equals `seconds` to within 1µs. */
export function expectMtime(root: string, rel: string, seconds: number): void {
  const diff = mtimeOf(root, rel) - BigInt(seconds) * NS_PER_S;
  expect(diff < 0n ? -diff : diff, `mtime of ${rel}`).toBeLessThanOrEqual(1000n);
}

/**
 * Asserts that the files of `actual` are exactly those of `expected` (names, sizes,
 * contents, mtimes within 1µs); with withDirs, the directory sets must match too.
 */
export function expectSameTree(actual: string, expected: string, withDirs = true): void {
  const a = snapshot(actual);
  const e = snapshot(expected);
  const pick = (m: Map<string, Node>) => [...m].filter(([, v]) => withDirs || v.kind === 'file').map(([k]) => k);
  expect(pick(a)).toEqual(pick(e));
  for (const [k, ev] of e) {
    if (ev.kind !== 'file') continue;
    const av = a.get(k) as FileNode;
    expect(av.size, `size of ${k}`).toBe(ev.size);
    expect(av.data === ev.data, `content of ${k}`).toBe(true);
    const d = av.mtimeNs - ev.mtimeNs;
    expect(d < 0n ? -d : d, `mtime of ${k}`).toBeLessThanOrEqual(1000n);
  }
}

export async function localFs(root: string): Promise<{ fs: Fs; file?: string }> {
  return newFs('local', root, new ConfigMap(localBackend.options, []));
}

export function makeCtx(over: Partial<OperationOptions> = {}, filter: Filter = Filter.none): OperationContext {
  return { opt: { ...DEFAULT_OPTIONS, ...over }, filter, stats: new Stats() };
}

export interface RunResult {
  stats: Stats;
  /** What runSync rejected with, if it did. */
  error: unknown;
}

export interface RunOptions {
  opt?: Partial<OperationOptions>;
  filter?: Filter;
  /** Wraps the source or destination Fs (fault injection, listing records). */
  wrapSrc?: (fs: Fs) => Fs;
  wrapDst?: (fs: Fs) => Fs;
  wrapBackup?: (fs: Fs) => Fs;
  /** Root of --backup-dir. */
  backupDir?: string;
  /** Use the destination itself as the backup Fs (--suffix without --backup-dir). */
  suffixInPlace?: boolean;
  signal?: AbortSignal;
}

/** Runs copy or sync of the local directories (or a single source file) src -> dst. */
export async function run(mode: 'copy' | 'sync', src: string, dst: string, o: RunOptions = {}): Promise<RunResult> {
  const s = await localFs(src);
  const d = await localFs(dst);
  const ctx = { ...makeCtx(o.opt, o.filter), signal: o.signal };
  const fdst = o.wrapDst ? o.wrapDst(d.fs) : d.fs;
  if (o.backupDir !== undefined) {
    const b = (await localFs(o.backupDir)).fs;
    ctx.backupFs = o.wrapBackup ? o.wrapBackup(b) : b;
  }
  else if (o.suffixInPlace) ctx.backupFs = fdst;
  let error: unknown;
  try {
    await runSync(ctx, { fsrc: o.wrapSrc ? o.wrapSrc(s.fs) : s.fs, fdst, mode, srcFile: s.file });
  } catch (err) {
    error = err;
  }
  return { stats: ctx.stats, error };
}

type Counter = 'transfers' | 'checks' | 'deletes' | 'deletedDirs' | 'errors' | 'bytes';

/** Asserts the named stats counters (and only those) have the given values. */
export function expectCounts(r: RunResult, want: Partial<Record<Counter, number>>): void {
  const got: Record<Counter, number> = {
    transfers: r.stats.transfers,
    checks: r.stats.checks,
    deletes: r.stats.deletes,
    deletedDirs: r.stats.deletedDirs,
    errors: r.stats.errors,
    bytes: r.stats.bytes,
  };
  expect(Object.fromEntries(Object.keys(want).map((k) => [k, got[k as Counter]]))).toEqual(want);
}

export function expectFsError(err: unknown, kind: string): void {
  expect(err).toBeInstanceOf(FsError);
  expect((err as FsError).kind).toBe(kind);
}

export interface Faults {
  /** Remotes whose open() fails with a non-retryable error. */
  open?: string[];
  /** Directories whose list() fails with a non-retryable error. */
  list?: string[];
  /** Called before each listing. */
  onList?: (dir: string) => void;
  /** Called with each listing before it is returned (to change the real tree behind it). */
  afterList?: (dir: string, entries: Entry[]) => void;
  /** Awaited before each object's remove() goes on. */
  onRemove?: (remote: string) => Promise<void>;
  /** Remotes whose put() fails at once, without reading its data. */
  put?: string[];
  /** Remotes whose open() fails with a retryable error this many more times. */
  flakyOpen?: Record<string, number>;
}

/** A test-only Fs delegating to another, failing where told and recording what it lists. */
export class FaultyFs implements Fs {
  readonly listed: string[] = [];
  /** Every stream open() handed out. */
  readonly opened: Readable[] = [];

  constructor(
    readonly inner: Fs,
    readonly faults: Faults = {},
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get root(): string {
    return this.inner.root;
  }
  get precision(): bigint {
    return this.inner.precision;
  }
  get hashes(): ReadonlySet<HashType> {
    return this.inner.hashes;
  }
  get features(): Fs['features'] {
    return this.inner.features;
  }
  toString(): string {
    return `faulty(${this.inner.toString()})`;
  }

  async list(dir: string): Promise<Entry[]> {
    this.listed.push(dir);
    this.faults.onList?.(dir);
    if (this.faults.list?.includes(dir)) throw fsError('permission', `list ${dir}: permission denied (injected)`, { retry: 'noRetry' });
    const entries = await this.inner.list(dir);
    this.faults.afterList?.(dir, entries);
    return entries.map((e) => this.wrap(e));
  }
  wrap(e: Entry): Entry {
    return e.kind === 'object' ? new FaultyObj(this, e) : e;
  }
  async newObject(remote: string): Promise<Obj> {
    return new FaultyObj(this, await this.inner.newObject(remote));
  }
  async put(data: Readable, src: SrcInfo, options?: PutOptions): Promise<Obj> {
    if (this.faults.put?.includes(src.remote)) throw fsError('permission', `put ${src.remote}: permission denied (injected)`, { retry: 'noRetry' });
    return new FaultyObj(this, await this.inner.put(data, src, options));
  }
  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }
  rmdir(dir: string): Promise<void> {
    return this.inner.rmdir(dir);
  }
}

class FaultyObj implements Obj {
  readonly kind = 'object';
  constructor(
    readonly fs: FaultyFs,
    private readonly inner: Obj,
  ) {}
  get remote(): string {
    return this.inner.remote;
  }
  get size(): number {
    return this.inner.size;
  }
  modTime(): Promise<Timestamp> {
    return this.inner.modTime();
  }
  hash(type: HashType): Promise<string> {
    if (this.fs.faults.open?.includes(this.remote)) return Promise.reject(fsError('permission', `${this.remote}: permission denied (injected)`, { retry: 'noRetry' }));
    return this.inner.hash(type);
  }
  open(options?: OpenOptions): Promise<Readable> {
    if (this.fs.faults.open?.includes(this.remote)) return Promise.reject(fsError('permission', `open ${this.remote}: permission denied (injected)`, { retry: 'noRetry' }));
    const flaky = this.fs.faults.flakyOpen;
    if (flaky?.[this.remote]) {
      flaky[this.remote]!--;
      return Promise.reject(fsError('other', `open ${this.remote}: connection reset (injected)`, { retry: 'retryable' }));
    }
    return this.inner.open(options).then((stream) => {
      this.fs.opened.push(stream);
      return stream;
    });
  }
  update(data: Readable, src: SrcInfo, options?: PutOptions): Promise<void> {
    return this.inner.update(data, src, options);
  }
  async remove(): Promise<void> {
    await this.fs.faults.onRemove?.(this.remote);
    return this.inner.remove();
  }
  setModTime(t: Timestamp): Promise<void> {
    return this.inner.setModTime(t);
  }
}

/**
 * Adds a recursive listing like a bucket store's: objects only (no directory entries),
 * delivered in small pages, so the --fast-list path has to build the directories itself.
 */
export class ListRFs extends FaultyFs {
  async listR(dir: string, callback: ListRCallback): Promise<void> {
    this.listed.push(`listR:${dir}`);
    let page: Entry[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await this.inner.list(d)) {
        if (e.kind === 'dir') await walk(e.remote);
        else page.push(this.wrap(e));
        if (page.length >= 3) await callback(page.splice(0));
      }
    };
    await walk(dir);
    if (page.length > 0) await callback(page);
    page = [];
  }
}
