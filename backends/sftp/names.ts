import { randomBytes } from 'node:crypto';
import { fsError } from '../../src/fs/errors.js';
import { hasLoneSurrogate } from '../../src/fs/path.js';
import { quoteName } from '../../src/lib/escape.js';

/**
 * Where a remote path lands on the server. Names come from other people's trees, so a
 * name must never climb out of the root: "." and ".." segments, empty segments, a leading
 * "/" and NUL (which the server would cut the name at) are refused for that object, as
 * is anything the server's disk could not hold (over 255 bytes, malformed Unicode).
 */
export const MAX_NAME_BYTES = 255;

/** The root as given, without trailing slashes ('' is the login directory, '/' the top). */
export function cleanRoot(root: string): string {
  if (root === '' || /^\/+$/.test(root)) return root === '' ? '' : '/';
  return root.replace(/\/+$/, '');
}

export function invalidReason(remote: string): string | undefined {
  if (remote.startsWith('/')) return 'it starts with "/"';
  if (remote.endsWith('/')) return 'it ends with "/"';
  if (remote.includes('//')) return 'it has an empty path segment ("//")';
  if (hasLoneSurrogate(remote)) return 'it is not valid Unicode';
  if (remote.includes('\u0000')) return 'it holds a NUL character';
  for (const seg of remote.split('/')) {
    if (seg === '.' || seg === '..') return `it has a "${seg}" path segment`;
    if (Buffer.byteLength(seg) > MAX_NAME_BYTES) return `a name in it is longer than ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

/** The server path of remote below root; throws invalidName for a path that can't be one. */
export function serverPath(root: string, remote: string): string {
  if (remote === '') return root === '' ? '.' : root;
  const reason = invalidReason(remote);
  if (reason !== undefined) throw fsError('invalidName', `${quoteName(remote)}: can't be stored as a file name on the SFTP server: ${reason}`, { retry: 'noRetry' });
  if (root === '') return remote;
  return root === '/' ? `/${remote}` : `${root}/${remote}`;
}

export function joinRemote(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentPath(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

/**
 * An upload is written under a name of this form in the target directory and renamed into
 * place once complete, so no one ever sees half a file under the real name. Such names are
 * never listed, and refused as object names.
 */
const TEMP = /^\.nclone-[0-9a-f]{16}\.partial$/;

export function isTempName(name: string): boolean {
  return TEMP.test(name);
}

export function tempName(): string {
  return `.nclone-${randomBytes(8).toString('hex')}.partial`;
}

export function baseName(remote: string): string {
  return remote.slice(remote.lastIndexOf('/') + 1);
}
