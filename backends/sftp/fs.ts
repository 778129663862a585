import type { Readable } from 'node:stream';
import type { Stats } from 'ssh2';
import type { ConfigMap } from '../../src/fs/configmap.js';
import { fsError, FsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import type { NewFsResult } from '../../src/fs/registry.js';
import type { CallOptions, CleanupOptions, Dir, Entry, Features, Fs, HashType, Obj, PutOptions, SrcInfo, Timestamp, Usage } from '../../src/fs/types.js';
import { quoteName } from '../../src/lib/escape.js';
import { logError, logNotice } from '../../src/lib/log.js';
import { readOptions, type SftpOptions } from './config.js';
import type { Connection } from './connect.js';
import { checkSignal, ConnectionLost, mapSftpError, sftpStatus, STATUS } from './errors.js';
import { baseName, cleanRoot, isTempName, joinRemote, parentPath, serverPath, tempName } from './names.js';
import * as op from './ops.js';
import { SftpObject, type SftpHome } from './object.js';
import { SftpPool } from './pool.js';
import { remoteHash, serverInfo, type ServerInfo } from './server-info.js';
import { renameInto, storedSeconds, timesAttrs, writeTemp } from './upload.js';

const FEATURES: Features = { canHaveEmptyDirectories: true, bucketBased: false, slowModTime: false, isLocal: false, slowHash: true };
const NS = 1_000_000_000n;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** The file type from the mode; a server that sends no type bits (some do) means a regular file, as rclone takes it. */
const kindOf = (st: Stats) => (Number.isInteger(st.mode) ? st.mode & S_IFMT : 0) || S_IFREG;

/** A size or time the server sent, checked: a listing is untrusted input. */
function wholeNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export async function newFs(name: string, root: string, config: ConfigMap, globals: BackendGlobals): Promise<NewFsResult> {
  const opt = readOptions(config, globals);
  const pool = new SftpPool(opt, globals, name);
  let info: ServerInfo;
  let rootStat: Stats | undefined;
  const cleaned = cleanRoot(root);
  try {
    // The first connection is not retried: a wrong host, port or login is said at once (rclone exits 1 here too).
    const first = await pool.acquire();
    try {
      info = await serverInfo(first.conn, opt);
      rootStat = cleaned === '' ? undefined : await op.stat(first.conn, cleaned).catch(() => undefined);
    } finally {
      pool.release(first);
    }
  } catch (err) {
    await pool.close();
    if (err instanceof FsError) throw err;
    if (err instanceof ConnectionLost) throw fsError('config', `sftp remote ${name}: ${err.detail}`, { retry: 'fatal' });
    throw mapSftpError(err, `sftp remote ${name}`);
  }
  if (rootStat && kindOf(rootStat) === S_IFREG && cleaned !== '/') {
    const slash = cleaned.lastIndexOf('/');
    const parent = slash < 0 ? '' : slash === 0 ? '/' : cleaned.slice(0, slash);
    return { fs: new SftpFs(name, parent, opt, pool, info), file: cleaned.slice(slash + 1) };
  }
  return { fs: new SftpFs(name, cleaned, opt, pool, info) };
}

export class SftpFs implements Fs, SftpHome {
  /** SFTP v3 carries times in whole seconds. */
  readonly precision = NS;
  readonly hashes: ReadonlySet<HashType>;
  readonly features = FEATURES;
  private readonly knownDirs = new Set<string>();

  constructor(
    readonly name: string,
    readonly root: string,
    readonly opt: SftpOptions,
    readonly pool: SftpPool,
    readonly info: ServerInfo,
  ) {
    this.hashes = new Set(Object.keys(info.hashCommands) as HashType[]);
  }

  toString(): string {
    return `${this.name}:${this.root}`;
  }

  path(remote: string): string {
    // A Windows server may take a backslash for a separator: a name "..<backslash>x" would climb out of the root.
    if ((this.info.shell === 'powershell' || this.info.shell === 'cmd') && remote.includes('\\')) {
      throw fsError('invalidName', `${quoteName(remote)}: a name with "\\" can't be written to a Windows server`, { retry: 'noRetry' });
    }
    return serverPath(this.root, remote);
  }

  /** remote as messages name it. */
  where(remote: string): string {
    return quoteName(`${this.name}:${remote === '' ? this.root : joinRemote(this.root, remote)}`);
  }

  async list(dir: string, options: CallOptions = {}): Promise<Entry[]> {
    checkSignal(options);
    const p = this.path(dir);
    return this.pool.run(
      `list ${this.where(dir)}`,
      async (c) => {
        const items = await op.readdir(c, p);
        const out: Entry[] = [];
        for (const it of items) {
          const n = it.filename;
          if (n === '.' || n === '..' || n.includes('/')) continue;
          const remote = joinRemote(dir, n);
          if (n.includes('\uFFFD') && (await this.undecodable(c, remote, options))) continue;
          const e = await this.entry(c, remote, it.attrs as Stats, options);
          if (e) out.push(e);
        }
        return out;
      },
      { signal: options.signal, notFound: 'dirNotFound' },
    );
  }

  /**
   * ssh2 decodes names as UTF-8, turning bytes that are not into U+FFFD: such a name is not
   * the file's (a lookup by it finds nothing), so it is skipped as an error, as the local
   * backend does, and a sync deletes nothing on its account. A name that really holds
   * U+FFFD is found and kept.
   */
  private async undecodable(c: Connection, remote: string, options: CallOptions): Promise<boolean> {
    try {
      await op.lstat(c, this.path(remote));
      return false;
    } catch (err) {
      if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
    }
    const e = fsError('invalidName', `${quoteName(remote)}: the name is not valid UTF-8 (shown with U+FFFD): skipped; rename it on the server to copy it`, { retry: 'noRetry' });
    if (options.report) options.report(undefined, e);
    else logError(undefined, e.message);
    return true;
  }

  /** An entry from its lstat attributes; a symlink is followed (as rclone does) unless skip_links. */
  private async entry(c: Connection, remote: string, st: Stats, options: CallOptions): Promise<Entry | undefined> {
    let kind = kindOf(st);
    if (kind === S_IFREG && isTempName(baseName(remote))) return undefined;
    if (kind !== S_IFREG && kind !== S_IFDIR) {
      if (this.opt.skipLinks) return undefined;
      if (kind !== S_IFLNK) {
        logNotice(remote, "Can't transfer non file/directory");
        return undefined;
      }
      try {
        st = await op.stat(c, this.path(remote));
      } catch (err) {
        if (sftpStatus(err) === STATUS.NO_SUCH_FILE) {
          logNotice(remote, 'symlink points nowhere: skipped');
          return undefined;
        }
        const mapped = mapSftpError(err, `stat ${this.where(remote)}`);
        if (options.report) options.report(remote, mapped);
        else logNotice(remote, mapped.message);
        return undefined;
      }
      kind = kindOf(st);
      if (kind !== S_IFREG && kind !== S_IFDIR) return undefined;
    }
    if (kind === S_IFDIR) return { kind: 'dir', remote, modTime: wholeNumber(st.mtime) ? BigInt(st.mtime) * NS : undefined, items: -1 } satisfies Dir;
    const bad = this.badAttributes(remote, st);
    if (bad) {
      if (options.report) options.report(remote, bad);
      else logError(remote, bad.message);
      return undefined;
    }
    return new SftpObject(this, remote, st.size, BigInt(st.mtime) * NS);
  }

  /** A file whose size or time the server did not send (or sent as nonsense) can't be copied or compared. */
  private badAttributes(remote: string, st: Stats): FsError | undefined {
    const missing = [wholeNumber(st.size) ? '' : 'size', wholeNumber(st.mtime) ? '' : 'modification time'].filter(Boolean);
    if (missing.length === 0) return undefined;
    return fsError('other', `${this.where(remote)}: the server sent no usable ${missing.join(' or ')}: skipped`, { retry: 'noRetry' });
  }

  async newObject(remote: string, options: CallOptions = {}): Promise<Obj> {
    checkSignal(options);
    const p = this.path(remote);
    if (remote === '' || isTempName(baseName(remote))) throw fsError('objectNotFound', `${this.where(remote)}: object not found`, { retry: 'noRetry' });
    const st = await this.pool.run(`stat ${this.where(remote)}`, (c) => (this.opt.skipLinks ? op.lstat(c, p) : op.stat(c, p)), { signal: options.signal });
    const kind = kindOf(st);
    if (kind === S_IFDIR) throw fsError('isDir', `${this.where(remote)}: is a directory, not a file`, { retry: 'noRetry' });
    if (kind !== S_IFREG) throw fsError('objectNotFound', `${this.where(remote)}: object not found (not a regular file)`, { retry: 'noRetry' });
    const bad = this.badAttributes(remote, st);
    if (bad) throw bad;
    return new SftpObject(this, remote, st.size, BigInt(st.mtime) * NS);
  }

  async put(data: Readable, src: SrcInfo, options: PutOptions = {}): Promise<SftpObject> {
    let target: string;
    try {
      if (isTempName(baseName(src.remote))) {
        throw fsError('invalidName', `${quoteName(src.remote)}: not written: the name is reserved for nclone's temporary files`, { retry: 'noRetry' });
      }
      target = this.path(src.remote);
      checkSignal(options);
    } catch (err) {
      data.destroy();
      throw err;
    }
    const slash = src.remote.lastIndexOf('/');
    if (slash > 0) await this.mkdirAll(src.remote.slice(0, slash), options).catch((err: unknown) => {
      data.destroy();
      throw err;
    });
    const tmp = `${parentPath(target)}/${tempName()}`;
    const written = await this.pool
      .run(
      `write ${this.where(src.remote)}`,
      async (c) => {
        const w = await writeTemp(c, tmp, data, src, this.opt, options.hashes ?? [], options.signal);
        try {
          await renameInto(c, tmp, target);
        } catch (err) {
          if (!c.dead) await op.unlink(c, tmp).catch(() => undefined);
          if (sftpStatus(err) === STATUS.FAILURE && (await this.isDir(c, target))) {
            throw fsError('isDir', `${this.where(src.remote)}: is a directory, not a file`, { retry: 'noRetry' });
          }
          throw err;
        }
        return w;
      },
      { signal: options.signal, replayable: false, settle: true, notFound: 'dirNotFound' },
      )
      .catch(async (err: unknown) => {
        // The connection broke under the upload: its temporary file is removed over a fresh one.
        if ((err as FsError).retry === 'retryable' && !options.signal?.aborted) {
          // Best effort, once: cleanup sweeps what is left if the server is still away.
          await this.pool.run(`remove ${tmp}`, (c) => op.unlink(c, tmp), { replayable: false }).catch(() => undefined);
        }
        throw err;
      });
    // Like rclone, whose upload fails at this point with the data in place: the data is
    // kept, the run counts an error, and the next run sends the file again.
    if (written.timesRefused !== undefined) {
      throw fsError('other', `${this.where(src.remote)}: written, but the server refused to set its modification time (${sftpStatus(written.timesRefused) === STATUS.OP_UNSUPPORTED ? 'not supported' : 'permission denied'}): set set_modtime = false for this server`, { retry: 'noRetry' });
    }
    // Without set_modtime the server chose the time: ask it.
    const mtime = this.opt.setModtime ? BigInt(storedSeconds(src.modTime)) * NS : await (await this.newObject(src.remote, options)).modTime();
    const obj = new SftpObject(this, src.remote, written.bytes, mtime);
    obj.rememberHashes(written.hashes);
    return obj;
  }

  putStream(data: Readable, src: SrcInfo, options?: PutOptions): Promise<Obj> {
    return this.put(data, { ...src, size: -1 }, options);
  }

  private async isDir(c: Connection, p: string): Promise<boolean> {
    return op.stat(c, p).then(
      (st) => kindOf(st) === S_IFDIR,
      () => false,
    );
  }

  /** Makes dir and its missing parents; an existing directory is fine, a file in the way is isFile. */
  private async mkdirAll(dir: string, options: CallOptions): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const p = this.path(dir);
    await this.pool.run(
      `mkdir ${this.where(dir)}`,
      async (c) => {
        const make = async (path: string, depth: number): Promise<void> => {
          try {
            await op.mkdir(c, path);
          } catch (err) {
            const status = sftpStatus(err);
            if (status === STATUS.NO_SUCH_FILE && depth < 4096 && parentPath(path) !== path) {
              await make(parentPath(path), depth + 1);
              return make(path, depth + 1);
            }
            const st = await op.stat(c, path).catch(() => undefined);
            if (st && kindOf(st) === S_IFDIR) return;
            if (st) throw fsError('isFile', `mkdir ${this.where(dir)}: a file is in the way`, { retry: 'noRetry' });
            throw err;
          }
        };
        await make(p, 0);
      },
      { signal: options.signal, notFound: 'dirNotFound' },
    );
    if (this.knownDirs.size > 10_000) this.knownDirs.clear();
    this.knownDirs.add(dir);
  }

  async mkdir(dir: string, options: CallOptions = {}): Promise<void> {
    checkSignal(options);
    this.path(dir);
    if (dir === '') {
      if (this.root === '' || this.root === '/') return;
      await this.pool.run(`mkdir ${this.where('')}`, async (c) => {
        if (await this.isDir(c, this.root)) return;
        await op.mkdir(c, this.root).catch(async (err: unknown) => {
          if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
          // The root's parents too, as `mkdir -p` would.
          const parts = this.root.split('/');
          for (let i = 1; i <= parts.length; i++) {
            const p = parts.slice(0, i).join('/');
            if (p === '' || (await this.isDir(c, p))) continue;
            await op.mkdir(c, p);
          }
        });
      }, { signal: options.signal, notFound: 'dirNotFound' });
      return;
    }
    this.knownDirs.delete(dir);
    await this.mkdirAll(dir, options);
  }

  /** A directory holding only temporary files of dead uploads counts as empty (they are removed). */
  async rmdir(dir: string, options: CallOptions = {}): Promise<void> {
    checkSignal(options);
    const p = this.path(dir);
    this.knownDirs.clear();
    await this.pool.run(
      `rmdir ${this.where(dir)}`,
      async (c) => {
        try {
          await op.rmdir(c, p);
        } catch (err) {
          if (sftpStatus(err) !== STATUS.FAILURE) throw err;
          const st = await op.lstat(c, p).catch(() => undefined);
          if (!st) throw fsError('dirNotFound', `rmdir ${this.where(dir)}: directory not found`, { retry: 'noRetry' });
          if (kindOf(st) !== S_IFDIR) throw fsError('isFile', `rmdir ${this.where(dir)}: not a directory`, { retry: 'noRetry' });
          const names = (await op.readdir(c, p)).map((e) => e.filename).filter((n) => n !== '.' && n !== '..');
          if (names.length === 0 || !names.every(isTempName)) throw fsError('dirNotEmpty', `rmdir ${this.where(dir)}: directory not empty`, { retry: 'noRetry' });
          for (const n of names) await op.unlink(c, `${p}/${n}`);
          await op.rmdir(c, p);
        }
      },
      { signal: options.signal, notFound: 'dirNotFound' },
    );
  }

  /** Server-side move: a rename, over an existing object too. */
  async move(src: Obj, remote: string, options: CallOptions = {}): Promise<Obj> {
    checkSignal(options);
    if (!(src instanceof SftpObject) || !(src.fs instanceof SftpFs) || !sameServer(src.fs.opt, this.opt)) {
      throw fsError('cantMove', 'can only move objects of the same SFTP server');
    }
    const from = src.fs.path(src.remote);
    const to = this.path(remote);
    if (isTempName(baseName(remote))) throw fsError('invalidName', `${quoteName(remote)}: the name is reserved for nclone's temporary files`, { retry: 'noRetry' });
    const slash = remote.lastIndexOf('/');
    if (slash > 0) await this.mkdirAll(remote.slice(0, slash), options);
    await this.pool.run(
      `move ${src.fs.where(src.remote)} to ${this.where(remote)}`,
      async (c) => {
        try {
          await renameInto(c, from, to);
        } catch (err) {
          if (sftpStatus(err) === STATUS.FAILURE && (await this.isDir(c, to))) throw fsError('isDir', `move to ${this.where(remote)}: is a directory`, { retry: 'noRetry' });
          throw err;
        }
      },
      { signal: options.signal },
    );
    return new SftpObject(this, remote, src.size, await src.modTime());
  }

  /** Removes dir and everything below it; symlinks are removed, never followed. */
  async purge(dir: string, options: CallOptions = {}): Promise<void> {
    checkSignal(options);
    const p = this.path(dir);
    this.knownDirs.clear();
    await this.pool.run(
      `purge ${this.where(dir)}`,
      async (c) => {
        const st = await op.lstat(c, p);
        if (kindOf(st) !== S_IFDIR) throw fsError('isFile', `purge ${this.where(dir)}: not a directory`, { retry: 'noRetry' });
        const remove = async (path: string): Promise<void> => {
          checkSignal(options);
          for (const e of await op.readdir(c, path)) {
            if (e.filename === '.' || e.filename === '..' || e.filename === '' || e.filename.includes('/')) continue;
            const child = `${path}/${e.filename}`;
            if (kindOf(e.attrs as Stats) === S_IFDIR) await remove(child);
            else await op.unlink(c, child);
          }
          await op.rmdir(c, path);
        };
        await remove(p);
      },
      { signal: options.signal, notFound: 'dirNotFound' },
    );
  }

  /**
   * `nclone cleanup`: removes the temporary files of uploads that a killed run left below the
   * root (listings never show them). With --max-age only those written to no later than that
   * long ago: an upload under way (another nclone's) keeps writing its file, so its time
   * stays recent. (The time is set to the source's just before the rename, for a moment.)
   */
  async cleanup(options: CleanupOptions = {}): Promise<void> {
    checkSignal(options);
    const now = Date.now();
    const old = (e: { attrs: { mtime: number } }) => options.maxAgeMs === undefined || now - e.attrs.mtime * 1000 >= options.maxAgeMs;
    await this.pool.run(
      `clean up ${this.where('')}`,
      async (c) => {
        const sweep = async (path: string): Promise<void> => {
          checkSignal(options);
          for (const e of await op.readdir(c, path)) {
            if (e.filename === '.' || e.filename === '..' || e.filename === '' || e.filename.includes('/')) continue;
            const child = `${path}/${e.filename}`;
            const kind = kindOf(e.attrs as Stats);
            if (kind === S_IFDIR) await sweep(child);
            else if (kind === S_IFREG && isTempName(e.filename) && old(e)) {
              logNotice(child, options.dryRun ? 'Not removing the leftover temporary file as --dry-run is set' : 'Removing a leftover temporary file');
              if (!options.dryRun) await op.unlink(c, child);
            }
          }
        };
        await sweep(this.path(''));
      },
      { signal: options.signal, notFound: 'dirNotFound' },
    );
  }

  /** Sizes of the file system holding the root, from statvfs@openssh.com (OpenSSH's servers offer it). */
  async about(options: CallOptions = {}): Promise<Usage> {
    checkSignal(options);
    const st = await this.pool.run(
      `about ${this.where('')}`,
      (c) => {
        if (!c.statvfs) throw fsError('notSupported', `about ${this.where('')}: the server does not offer statvfs@openssh.com`, { retry: 'noRetry' });
        return op.statvfs(c, this.path(''));
      },
      { signal: options.signal, notFound: 'dirNotFound' },
    );
    const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : NaN);
    const unit = n(st.f_frsize);
    const usage = { total: n(st.f_blocks) * unit, used: (n(st.f_blocks) - n(st.f_bfree)) * unit, free: n(st.f_bavail) * unit };
    if (!Object.values(usage).every((v) => Number.isFinite(v) && v >= 0)) throw fsError('other', `about ${this.where('')}: the server's statvfs answer makes no sense`, { retry: 'noRetry' });
    return usage;
  }

  async setTimes(remote: string, t: Timestamp, options: CallOptions = {}): Promise<void> {
    checkSignal(options);
    const p = this.path(remote);
    const attrs = timesAttrs(t);
    await this.pool.run(`set modification time of ${this.where(remote)}`, (c) => op.setstat(c, p, attrs), { signal: options.signal });
  }

  remoteHash(obj: SftpObject, type: HashType, options?: CallOptions): Promise<string> {
    return remoteHash(this, obj.remote, type, options);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function sameServer(a: SftpOptions, b: SftpOptions): boolean {
  return a.host === b.host && a.port === b.port && a.user === b.user;
}

