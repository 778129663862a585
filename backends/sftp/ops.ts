import type { FileEntryWithStats, InputAttributes, SFTPWrapper, Stats } from 'ssh2';

/** ssh2's SFTP calls as promises. */
export function stat(s: SFTPWrapper, p: string): Promise<Stats> {
  return new Promise((res, rej) => s.stat(p, (e, st) => (e ? rej(e) : res(st))));
}

export function lstat(s: SFTPWrapper, p: string): Promise<Stats> {
  return new Promise((res, rej) => s.lstat(p, (e, st) => (e ? rej(e) : res(st))));
}

export function readdir(s: SFTPWrapper, p: string): Promise<FileEntryWithStats[]> {
  return new Promise((res, rej) => s.readdir(p, (e, list) => (e ? rej(e) : res(list))));
}

export function mkdir(s: SFTPWrapper, p: string): Promise<void> {
  return new Promise((res, rej) => s.mkdir(p, (e) => (e ? rej(e) : res())));
}

export function rmdir(s: SFTPWrapper, p: string): Promise<void> {
  return new Promise((res, rej) => s.rmdir(p, (e) => (e ? rej(e) : res())));
}

export function unlink(s: SFTPWrapper, p: string): Promise<void> {
  return new Promise((res, rej) => s.unlink(p, (e) => (e ? rej(e) : res())));
}

export function rename(s: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((res, rej) => s.rename(from, to, (e) => (e ? rej(e) : res())));
}

export function posixRename(s: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((res, rej) => s.ext_openssh_rename(from, to, (e) => (e ? rej(e) : res())));
}

export function setstat(s: SFTPWrapper, p: string, attrs: InputAttributes): Promise<void> {
  return new Promise((res, rej) => s.setstat(p, attrs, (e) => (e ? rej(e) : res())));
}

export function open(s: SFTPWrapper, p: string, flags: 'r' | 'w' | 'wx'): Promise<Buffer> {
  return new Promise((res, rej) => s.open(p, flags, (e, h) => (e ? rej(e) : res(h))));
}

export function fstat(s: SFTPWrapper, h: Buffer): Promise<Stats> {
  return new Promise((res, rej) => s.fstat(h, (e, st) => (e ? rej(e) : res(st))));
}

export function close(s: SFTPWrapper, h: Buffer): Promise<void> {
  return new Promise((res, rej) => s.close(h, (e) => (e ? rej(e) : res())));
}

export function write(s: SFTPWrapper, h: Buffer, buf: Buffer, pos: number): Promise<void> {
  return new Promise((res, rej) => s.write(h, buf, 0, buf.length, pos, (e) => (e ? rej(e) : res())));
}

/** Reads up to len bytes at pos; 0 at the end of the file. */
export function read(s: SFTPWrapper, h: Buffer, len: number, pos: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  return new Promise((res, rej) =>
    s.read(h, buf, 0, len, pos, (e, n) => {
      if (e) {
        // ssh2 reports the end of the file as an EOF status.
        if ((e as { code?: unknown }).code === 1) return res(buf.subarray(0, 0));
        return rej(e);
      }
      res(buf.subarray(0, n));
    }),
  );
}

/** statvfs@openssh.com: the file system's sizes in blocks of frsize bytes. */
export interface StatVfs {
  f_frsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
}

export function statvfs(s: SFTPWrapper, p: string): Promise<StatVfs> {
  return new Promise((res, rej) => s.ext_openssh_statvfs(p, (e, st) => (e ? rej(e) : res(st as StatVfs))));
}
