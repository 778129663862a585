import { promises as fsp, close, open, write, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ConfigMap } from '../../src/fs/configmap.js';
import type { NewFsResult } from '../../src/fs/registry.js';
import type { CallOptions, CleanupOptions, Dir, Entry, Features, Fs, HashType, Obj, PutOptions, SrcInfo, Timestamp, WriterAt } from '../../src/fs/types.js';
import { LocalWriterAt } from './writer.js';
import { applyMetadata } from './metadata.js';
import { corrupted, fsError } from '../../src/fs/errors.js';
import { logError, logNotice } from '../../src/lib/log.js';
import { LocalObject, SMALL_FILE } from './object.js';
import { floorToMicros, setTimes, timeArg } from './times.js';
import { abortError, checkSignal, mapError, tempGone, workerReadError, wrongSize } from './errors.js';
import { cleanupTree, forgetSwept, isTempName, registerTemp, sweepDir, sweepOnce, tempName, unregisterTemp } from './tempfiles.js';
import { decodeName, localPath } from './encoding.js';
import { DIR, FILE, GONE, statDir, type DirStats } from './dirstat.js';
import { ask, workerError, workerAvailable, type Answer } from './worker.js';
import { escapeControls, quoteName } from '../../src/lib/escape.js';

export const LINK_SUFFIX = '.rclonelink';

const fdOpen = (p: string, flags: string) => new Promise<number>((res, rej) => open(p, flags, 0o666, (e, fd) => (e ? rej(e) : res(fd))));
const fdClose = (fd: number) => new Promise<void>((res, rej) => close(fd, (e) => (e ? rej(e) : res())));

async function writeAll(fd: number, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    off += await new Promise<number>((res, rej) => write(fd, buf, off, buf.length - off, null, (e, n) => (e ? rej(e) : res(n))));
  }
}

export interface LocalOptions {
  copyLinks: boolean;
  links: boolean;
  skipLinks: boolean;
}

export async function newFs(name: string, root: string, config: ConfigMap): Promise<NewFsResult> {
  const options: LocalOptions = {
    copyLinks: config.bool('copy_links'),
    links: config.bool('links'),
    skipLinks: config.bool('skip_links'),
  };
  const abs = path.resolve(root);
  // A root that names a file gives an Fs at its parent plus the file's name (rclone's ErrorIsFile).
  const st = await fsp.stat(abs).catch(() => undefined);
  if (st?.isFile()) return { fs: new LocalFs(name, path.dirname(abs), options), file: decodeName(path.basename(abs)) };
  return { fs: new LocalFs(name, abs, options) };
}

const FEATURES: Features = { canHaveEmptyDirectories: true, bucketBased: false, slowModTime: false, isLocal: true, slowHash: true };
const HASHES: ReadonlySet<HashType> = new Set<HashType>(['md5', 'sha1']);

export class LocalFs implements Fs {
  /** Node's utimes keeps microseconds (libuv truncates), so that is what this Fs can store. */
  readonly precision = 1000n;
  readonly hashes = HASHES;
  readonly features = FEATURES;

  constructor(
    readonly name: string,
    readonly root: string,
    readonly options: LocalOptions,
  ) {}

  toString(): string {
    return this.root;
  }

  /** The OS path of a remote path; throws 'invalidName' for one that can't be a local name. */
  abs(remote: string): string {
    return localPath(this.root, remote);
  }

  /**
   * nclone's temporary files (a download being written, or one a dead run left) are never
   * listed (see entry): ls, sync comparisons and deletes only see real names.
   */
  async list(dir: string, options: CallOptions = {}): Promise<Entry[]> {
    checkSignal(options);
    const dirPath = this.abs(dir);
    const stats = await statDir(dirPath, dirPath.endsWith(path.sep) ? dirPath : dirPath + path.sep, options.signal);
    if (stats !== undefined) return this.fromStats(dir, stats, options);
    checkSignal(options);
    let raw: Buffer[];
    try {
      raw = await fsp.readdir(dirPath, { encoding: 'buffer' });
    } catch (err) {
      throw mapError(err, `list ${dirPath}`, 'dirNotFound');
    }
    checkSignal(options);
    const names = raw.map((b) => b.toString('utf8'));
    const entries = await Promise.all(
      names.map((n, i) => {
        if (n.includes('\ufffd') && !Buffer.from(n, 'utf8').equals(raw[i]!)) return this.undecodable(dir, raw[i]!, options);
        const name = decodeName(n);
        return this.entry(dir === '' ? name : `${dir}/${name}`, options);
      }),
    );
    checkSignal(options);
    return entries.filter((e): e is Entry => e !== undefined);
  }

  /** The entries of a listing made on the worker thread (dirstat.ts). */
  private async fromStats(dir: string, st: DirStats, options: CallOptions): Promise<Entry[]> {
    checkSignal(options);
    const entries: Entry[] = [];
    let others: Promise<Entry | undefined>[] | undefined;
    for (let i = 0, start = 0; i < st.kinds.length; start = st.ends[i++]!) {
      const kind = st.kinds[i]!;
      if (kind === GONE) continue;
      const raw = st.names.subarray(start, st.ends[i]);
      const n = raw.toString('utf8');
      if (n.includes('\ufffd') && !Buffer.from(n, 'utf8').equals(raw)) {
        this.undecodable(dir, raw, options);
        continue;
      }
      const name = decodeName(n);
      const remote = dir === '' ? name : `${dir}/${name}`;
      if (kind === FILE) {
        if (!isTempName(n)) entries.push(new LocalObject(this, remote, st.sizes[i]!, st.mtimes[i]! as Timestamp));
      } else if (kind === DIR) {
        entries.push({ kind: 'dir', remote, modTime: st.mtimes[i]! as Timestamp, items: -1 });
      } else {
        (others ??= []).push(this.entry(remote, options));
      }
    }
    if (others) for (const e of await Promise.all(others)) if (e !== undefined) entries.push(e);
    checkSignal(options);
    return entries;
  }

  /**
   * A name that is not UTF-8 cannot be a remote path (nor reached again from one): it is
   * skipped as an error, so the run says so and a sync deletes nothing on its account.
   */
  private undecodable(dir: string, name: Buffer, listing: CallOptions): undefined {
    const shown = [...name].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    const where = dir === '' ? shown : `${dir}/${shown}`;
    const err = fsError('invalidName', `${where}: the name is not valid UTF-8: skipped; rename it (e.g. with convmv) to copy it`, { retry: 'noRetry' });
    if (listing.report) listing.report(undefined, err);
    else logError(undefined, err.message);
    return undefined;
  }

  /**
   * Stats one directory entry. While listing (listing given), problems are reported
   * through it (logged when it has no report) and the entry skipped; otherwise thrown.
   */
  private async entry(remote: string, listing?: CallOptions): Promise<Entry | undefined> {
    const p = this.abs(remote);
    try {
      let st = await fsp.lstat(p, { bigint: true });
      // A temporary file (or the temporary symlink of --links) is nobody's data yet. Only a
      // directory can bear such a name as an object's path (put refuses it as a file name).
      if (!st.isDirectory() && isTempName(path.basename(p))) return undefined;
      if (st.isSymbolicLink()) {
        if (this.options.links) {
          const target = await fsp.readlink(p);
          return new LocalObject(this, remote + LINK_SUFFIX, Buffer.byteLength(target), st.mtimeNs, target);
        }
        if (!this.options.copyLinks) {
          if (!this.options.skipLinks) logNotice(remote, "Can't follow symlink without -L/--copy-links");
          return undefined;
        }
        st = await fsp.stat(p, { bigint: true });
      }
      if (st.isDirectory()) return dirEntry(remote, st);
      if (st.isFile()) return new LocalObject(this, remote, Number(st.size), st.mtimeNs);
      logNotice(remote, "Can't transfer non file/directory");
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(p))) return undefined; // vanished while listing
      const mapped = mapError(err, `failed to read info of ${p}`);
      if (!listing) throw mapped;
      if (listing.report) listing.report(remote, mapped);
      else logError(remote, String((mapped as Error).message));
      return undefined;
    }
  }

  async newObject(remote: string, options?: CallOptions): Promise<Obj> {
    checkSignal(options);
    const asLink = this.options.links && remote.endsWith(LINK_SUFFIX);
    const name = asLink ? remote.slice(0, -LINK_SUFFIX.length) : remote;
    // A temporary file is never an object, as it is never listed.
    const e = await this.entry(name);
    // With --links, "x.rclonelink" names the symlink x, never a regular file x.
    if (e === undefined || (asLink && !(e instanceof LocalObject && e.linkTarget !== undefined))) {
      throw fsError('objectNotFound', `${remote}: object not found`, { retry: 'noRetry' });
    }
    if (e.kind === 'dir') throw fsError('isDir', `${remote}: is a directory, not a file`, { retry: 'noRetry' });
    return e;
  }

  async put(data: Readable, src: SrcInfo, options: PutOptions = {}): Promise<Obj> {
    if (options.signal?.aborted) {
      data.destroy();
      throw abortError(options.signal);
    }
    if (this.options.links && src.remote.endsWith(LINK_SUFFIX)) return this.putLink(data, src, options);
    const target = this.writable(src.remote);
    const dir = path.dirname(target);
    await this.ensureDir(dir, src.remote);
    checkSignal(options);
    // Written under a temporary name and renamed into place, so a failed or interrupted
    // transfer never leaves a half-written file under the real name.
    const tmp = path.join(dir, tempName());
    // Hashes the caller will ask for, and those the source declared: checked before the
    // rename, so a corrupted download never takes the real name.
    const expected = declaredHashes(src);
    const hashers = new Map([...(options.hashes ?? []), ...expected.map(([t]) => t)].map((t) => [t, createHash(t)] as const));
    let bytes = 0;
    let mtime = src.modTime;
    const signal = options.signal;
    const onAbort = () => data.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
      let body: AsyncIterable<Buffer> | Buffer[] = data;
      let hashed = false;
      if (src.size >= 0 && src.size <= SMALL_FILE && !src.metadata && workerAvailable()) {
        // A small file is taken whole and checked, then written, timed and renamed by a
        // worker thread in one message (worker.ts); without a worker, the ordinary way below.
        const whole = await readAll(data, src.size, src.remote);
        for (const h of hashers.values()) h.update(whole);
        checkDeclared(src, expected, (type) => hashers.get(type)!.copy().digest('hex'));
        registerTemp(tmp);
        if (await writeOnWorker(tmp, target, whole, src.modTime)) return this.written(src, whole.length, mtime, hashers);
        // A worker that died in the middle may have left the temporary file.
        await fsp.rm(tmp, { force: true });
        body = [whole];
        hashed = true;
      }
      registerTemp(tmp);
      const fd = await fdOpen(tmp, 'wx');
      try {
        // Plain descriptor writes: far cheaper per file than a write stream and a pipeline.
        for await (const chunk of body) {
          if (!hashed) for (const h of hashers.values()) h.update(chunk);
          bytes += chunk.length;
          await writeAll(fd, chunk);
        }
        if (src.size >= 0 && bytes !== src.size) {
          throw wrongSize(src.remote, src.size, bytes);
        }
        mtime = await applyMetadata(fd, src);
      } finally {
        await fdClose(fd);
      }
      // Complete and verified: renamed into place even if the signal fired meanwhile.
      checkDeclared(src, expected, (type) => hashers.get(type)!.copy().digest('hex'));
      await renameTemp(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      if (signal?.aborted) throw abortError(signal);
      throw mapError(err, `write ${target}`, 'dirNotFound');
    } finally {
      unregisterTemp(tmp);
      signal?.removeEventListener('abort', onAbort);
    }
    return this.written(src, bytes, mtime, hashers);
  }

  /**
   * A small local file (of any local Fs) copied by the worker in one request: read, hashed,
   * written under a temporary name, timed and renamed (worker.ts), where put() would take two
   * requests and a stream between them. The bytes hashed are the bytes written, so the
   * hashes remembered are the new file's. Undefined, with no file written, for any other
   * source, for the first file into a directory, or when no worker takes the request (the
   * caller then streams the file to put).
   */
  async putFrom(src: Obj, info: SrcInfo, options: PutOptions = {}): Promise<Obj | undefined> {
    if (!(src instanceof LocalObject) || src.linkTarget !== undefined || info.size < 0 || info.size > SMALL_FILE || info.metadata || info.hashes || !workerAvailable()) return undefined;
    if (this.options.links && info.remote.endsWith(LINK_SUFFIX)) return undefined;
    checkSignal(options);
    const target = this.writable(info.remote);
    const dir = path.dirname(target);
    // The first file into a directory goes the ordinary way, which reads the source before
    // making the directory: a source that can't be read leaves no empty directory behind.
    if (!this.knownDirs.has(dir)) return undefined;
    await this.ensureDir(dir, info.remote);
    checkSignal(options);
    const modTime = await src.modTime(options);
    const tmp = path.join(dir, tempName());
    const time = timeArg(modTime);
    const hashes = options.hashes ?? [];
    registerTemp(tmp);
    try {
      // Not given the signal: a write is always waited for, so its temporary file never outlives it.
      const a = await ask({ op: 'copy', from: src.path, size: info.size, tmp, target, atime: time, mtime: time, hashes });
      if (a === undefined) {
        // No worker took it: none yet (the first few calls), or one that died in the middle
        // and may have left the temporary file.
        await fsp.rm(tmp, { force: true });
        return undefined;
      }
      // As put: a file complete and in place is the result even if the signal fired meanwhile; a failure then is the signal's.
      if ((a.error || a.got !== undefined) && options.signal?.aborted) throw abortError(options.signal);
      if (a.read) throw workerReadError(a.error!, src.path);
      if (a.got !== undefined) throw wrongSize(info.remote, info.size, a.got as number);
      if (a.error) throw writeFailure(a, tmp, target);
      const obj = new LocalObject(this, info.remote, info.size, floorToMicros(modTime));
      obj.rememberHashes(a.sums as Partial<Record<HashType, string>>);
      return obj;
    } finally {
      unregisterTemp(tmp);
    }
  }

  /** The object put wrote. The time is stored floored to the microsecond; no need to stat it back. */
  private written(src: SrcInfo, bytes: number, mtime: Timestamp, hashers: Map<HashType, Hash>): Obj {
    const obj = new LocalObject(this, src.remote, bytes, floorToMicros(mtime));
    obj.rememberHashes(Object.fromEntries([...hashers].map(([t, h]) => [t, h.digest('hex')])));
    return obj;
  }

  /** Directories this Fs has made or seen, so a put into them skips mkdir. */
  private readonly knownDirs = new Set<string>();

  /**
   * Makes dir if needed, and before the first write into it in this process removes the
   * temporary files a dead run left there (see tempfiles.ts for how they are told apart
   * from a concurrent run's).
   */
  private async ensureDir(dir: string, remote: string): Promise<void> {
    if (this.knownDirs.has(dir)) return sweepOnce(dir, this.root, false);
    await this.refuseLinkedDirs(dir, remote);
    let made: string | undefined;
    try {
      made = await fsp.mkdir(dir, { recursive: true });
    } catch (err) {
      throw mapError(err, `make directory ${dir}`, 'dirNotFound');
    }
    if (this.knownDirs.size > 10_000) this.knownDirs.clear();
    this.knownDirs.add(dir);
    await sweepOnce(dir, this.root, made !== undefined);
  }

  /** The OS path to write remote to; a temporary file's name is refused (it would be hidden and swept). */
  private writable(remote: string): string {
    const p = this.abs(remote);
    if (isTempName(path.basename(p))) {
      throw fsError('invalidName', `${quoteName(remote)}: not written: the name is reserved for nclone's temporary files`, { retry: 'noRetry' });
    }
    return p;
  }

  putStream(data: Readable, src: SrcInfo, options?: PutOptions): Promise<Obj> {
    return this.put(data, { ...src, size: -1 }, options);
  }

  /** A file written at offsets under a temporary name (multi-stream downloads): see writer.ts. */
  async openWriterAt(src: SrcInfo, options?: CallOptions): Promise<WriterAt> {
    checkSignal(options);
    if (src.size < 0) throw fsError('other', `${src.remote}: writing at offsets needs the size`, { retry: 'noRetry' });
    const target = this.writable(src.remote);
    const dir = path.dirname(target);
    await this.ensureDir(dir, src.remote);
    checkSignal(options);
    const tmp = path.join(dir, tempName());
    try {
      return await LocalWriterAt.create(this, src, tmp, target, renameTemp);
    } catch (err) {
      throw mapError(err, `write ${target}`, 'dirNotFound');
    }
  }

  /**
   * With --links a symlink is a file ("x.rclonelink"), never a directory to write through:
   * otherwise a source could plant "x" -> /home/me/.ssh and then write "x/authorized_keys".
   * Every existing component of dir below the root must be a real directory.
   */
  private async refuseLinkedDirs(dir: string, remote: string): Promise<void> {
    if (!this.options.links) return;
    const rel = path.relative(this.root, dir);
    if (rel === '') return;
    let p = this.root;
    for (const part of rel.split(path.sep)) {
      p = p + (p.endsWith(path.sep) ? '' : path.sep) + part;
      const st = await fsp.lstat(p).catch(() => undefined);
      if (st === undefined) return; // the rest is made fresh by mkdir
      if (st.isSymbolicLink()) {
        throw fsError('invalidName', `${quoteName(remote)}: not written: ${escapeControls(p)} is a symlink, and with --links a symlink is a file, not a directory to write into`, { retry: 'noRetry' });
      }
    }
  }

  private async putLink(data: Readable, src: SrcInfo, options: CallOptions): Promise<Obj> {
    const name = src.remote.slice(0, -LINK_SUFFIX.length);
    if (name === '' || name.endsWith('/')) throw fsError('invalidName', `${quoteName(src.remote)}: a link needs a name before ${LINK_SUFFIX}`, { retry: 'noRetry' });
    const target = this.writable(name);
    const chunks: Buffer[] = [];
    for await (const c of data) chunks.push(c as Buffer);
    const content = Buffer.concat(chunks);
    const linkTo = content.toString('utf8');
    const dir = path.dirname(target);
    await this.ensureDir(dir, src.remote);
    checkSignal(options);
    const tmp = path.join(dir, tempName());
    registerTemp(tmp);
    try {
      // Checked like a file's data: a corrupted link never takes the real name.
      if (src.size >= 0 && content.length !== src.size) {
        throw wrongSize(src.remote, src.size, content.length);
      }
      checkDeclared(src, declaredHashes(src), (type) => createHash(type).update(content).digest('hex'));
      await fsp.symlink(linkTo, tmp);
      await setTimes(tmp, src.modTime, true);
      await renameTemp(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw mapError(err, `make symlink ${target}`, 'dirNotFound');
    } finally {
      unregisterTemp(tmp);
    }
    const st = await fsp.lstat(target, { bigint: true });
    return new LocalObject(this, src.remote, Buffer.byteLength(linkTo), st.mtimeNs, linkTo);
  }

  async mkdir(dir: string, options?: CallOptions): Promise<void> {
    checkSignal(options);
    const p = this.abs(dir);
    await this.refuseLinkedDirs(p, dir);
    try {
      await fsp.mkdir(p, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw fsError('isFile', `mkdir ${p}: a file is in the way`, { retry: 'noRetry' });
      }
      throw mapError(err, `mkdir ${p}`, 'dirNotFound');
    }
  }

  /** A directory whose only entries are temporary files a dead run left counts as empty (they are removed). */
  async rmdir(dir: string, options?: CallOptions): Promise<void> {
    checkSignal(options);
    const p = this.abs(dir);
    this.knownDirs.clear();
    forgetSwept();
    try {
      await fsp.rmdir(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await sweepDir(p, this.root)) === 0) {
        try {
          return await fsp.rmdir(p);
        } catch (again) {
          throw mapError(again, `rmdir ${p}`, 'dirNotFound');
        }
      }
      throw mapError(err, `rmdir ${p}`, 'dirNotFound');
    }
  }

  async move(src: Obj, remote: string, options?: CallOptions): Promise<Obj> {
    checkSignal(options);
    if (!(src instanceof LocalObject) || src.linkTarget !== undefined) throw fsError('cantMove', 'can only move local files');
    const target = this.writable(remote);
    await this.refuseLinkedDirs(path.dirname(target), remote);
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(src.fs.abs(src.remote), target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EXDEV') throw fsError('cantMove', 'different file systems', { cause: err });
      throw mapError(err, `move ${src.remote} to ${target}`);
    }
    return this.newObject(remote);
  }

  async purge(dir: string, options?: CallOptions): Promise<void> {
    checkSignal(options);
    const p = this.abs(dir);
    this.knownDirs.clear();
    forgetSwept();
    const st = await fsp.lstat(p).catch((err) => {
      throw mapError(err, `purge ${p}`, 'dirNotFound');
    });
    if (!st.isDirectory()) throw fsError('isFile', `purge ${p}: not a directory`, { retry: 'noRetry' });
    await fsp.rm(p, { recursive: true });
  }

  /** Removes the temporary files dead runs left anywhere under the root (see tempfiles.ts). */
  async cleanup(options?: CleanupOptions): Promise<void> {
    await cleanupTree(this.root, options);
  }
}

/**
 * Renames a temporary file into place. If it is gone, another nclone took it for a dead
 * run's leftover (see tempfiles.ts: only when it cannot tell, and never for a file changed
 * since it started): the file is then sent again, never reported as a missing directory.
 */
async function renameTemp(tmp: string, target: string): Promise<void> {
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (await exists(path.dirname(tmp))) && !(await exists(tmp))) {
      throw tempGone(target, tmp, err);
    }
    throw err;
  }
}

/**
 * All of a small file's data, which must be size bytes: more or fewer is a corrupted
 * transfer, as on the ordinary path.
 */
async function readAll(data: AsyncIterable<Buffer>, size: number, remote: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of data) {
    bytes += chunk.length;
    if (bytes <= size) chunks.push(chunk);
  }
  if (bytes !== size) throw wrongSize(remote, size, bytes);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * Has a worker write data under tmp, give it the time t and rename it to target; false when
 * no worker can (nothing was written then). On failure the worker has removed tmp.
 */
async function writeOnWorker(tmp: string, target: string, data: Buffer, t: Timestamp): Promise<boolean> {
  const time = timeArg(t);
  const a = await ask({ op: 'write', tmp, target, data, atime: time, mtime: time });
  if (a?.error) throw a.gone ? tempGone(target, tmp) : workerError(a.error);
  return a !== undefined;
}

/** A worker's failed write of target (under tmp), as put reports it. */
function writeFailure(a: Answer, tmp: string, target: string): unknown {
  return a.gone ? tempGone(target, tmp) : mapError(workerError(a.error!), `write ${target}`, 'dirNotFound');
}

/** The hashes the source declared for the data, to be checked before the rename. */
function declaredHashes(src: SrcInfo): [HashType, string][] {
  return Object.entries(src.hashes ?? {}).filter(([, v]) => !!v) as [HashType, string][];
}

function checkDeclared(src: SrcInfo, expected: [HashType, string][], sum: (type: HashType) => string): void {
  for (const [type, want] of expected) {
    const got = sum(type);
    if (got !== want.toLowerCase()) throw corrupted(src.remote, type, want, got);
  }
}

function dirEntry(remote: string, st: BigIntStats): Dir {
  return { kind: 'dir', remote, modTime: st.mtimeNs as Timestamp, items: -1 };
}

async function exists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(
    () => true,
    () => false,
  );
}
