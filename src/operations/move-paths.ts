import * as path from 'node:path';
import type { Fs, Obj } from '../fs/types.js';

// Kept apart from copy.ts and move.ts, which load the transfer machinery: commands check
// paths with these before they know they will transfer anything.

/** Both Fs are the same configured remote, so the backend can copy or move between them itself. */
export function sameRemote(a: Fs, b: Fs): boolean {
  return a.constructor === b.constructor && a.name === b.name;
}

/** Both Fs address the same storage: the same remote, or the local disk under any name. */
export function sameStore(a: Fs, b: Fs): boolean {
  return (a.features.isLocal && b.features.isLocal) || sameRemote(a, b);
}

/**
 * a and b are one stored object (the same path of the same storage): removing one as the
 * other's "moved" source would lose the only copy.
 */
export function sameObject(a: Obj, b: Obj): boolean {
  return sameStore(a.fs, b.fs) && fullPath(a.fs, a.remote) === fullPath(b.fs, b.remote);
}

/** Where remote lies in its storage: the OS path on a local disk, bucket/key on a bucket store. */
export function fullPath(fs: Fs, remote: string): string {
  return fs.features.isLocal ? path.join(fs.root, remote) : path.posix.join(fs.root, remote).replace(/^\/+|\/+$/g, '');
}
