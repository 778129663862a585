import * as nfs from 'node:fs';
import * as path from 'node:path';
import type { Fs } from '../fs/types.js';
import { logNotice } from '../lib/log.js';

/**
 * A local file the run writes (a report, --output-file) or checks against (the sum file).
 * Inside a local tree being checked or hashed it is no part of the data: a report would be
 * hashed half-written and always be "missing" on the other side, and a sum file cannot
 * hold its own hash.
 */
export interface OwnFile {
  /** Absolute, with the links of its directory resolved. */
  path: string;
  /** What it is, for the log: "the --combined report". */
  what: string;
}

/** The path of a file, with links resolved as far as they exist. */
export function realFile(file: string): string {
  const abs = path.resolve(file);
  try {
    return nfs.realpathSync(abs);
  } catch {
    try {
      return path.join(nfs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/** The sum file as an OwnFile when it is on a local disk. */
export function localFileOf(fs: Fs, remote: string, what: string): OwnFile | undefined {
  if (!fs.features.isLocal) return undefined;
  return { path: realFile(path.join(fs.root, ...remote.split('/'))), what };
}

/**
 * Which remotes of fs the own files are (remote -> what), for a local fs whose tree holds
 * some of them; empty for other backends.
 */
export function ownRemotes(fs: Fs, files: readonly OwnFile[]): Map<string, string> {
  const found = new Map<string, string>();
  if (files.length === 0 || !fs.features.isLocal) return found;
  let root: string;
  try {
    root = nfs.realpathSync(fs.root);
  } catch {
    return found;
  }
  for (const f of files) {
    const rel = path.relative(root, f.path);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) continue;
    found.set(rel.split(path.sep).join('/'), f.what);
  }
  return found;
}

/** Whether remote is one of the own files, logging (once per side and name) that it is left out. */
export function leaveOut(own: Map<string, string>, remote: string, logged: Set<string>): boolean {
  const what = own.get(remote);
  if (what === undefined) return false;
  if (!logged.has(remote)) {
    logged.add(remote);
    logNotice(remote, `left out: it is ${what} of this run`);
  }
  return true;
}
