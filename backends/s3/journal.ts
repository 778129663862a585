/**
 * The journals of resumable multipart uploads: one small file per upload in nclone's cache
 * directory ($NCLONE_CACHE_DIR, else $XDG_CACHE_HOME/nclone, else ~/.cache/nclone, then
 * uploads/), so that a run killed in the middle of a large upload can be followed by one
 * that sends only the parts still missing.
 *
 * A journal is a text file of JSON lines: the first line says which upload it is (remote,
 * endpoint, bucket, key, upload id) and of what source (origin, size, mtime, part size,
 * metadata), each further line one part the server acknowledged (number, ETag, MD5, size).
 * The first line is written to a temporary file renamed into place, so a journal always has
 * a complete head; parts are appended, one short write each, and a torn last line (the
 * process killed during the write) is ignored when read. Files are 0600, the directory 0700.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** nclone's cache directory. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NCLONE_CACHE_DIR) return path.resolve(env.NCLONE_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'nclone');
}

/** Where the upload journals live. */
export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'uploads');
}

/** Which upload a journal is about: one journal per destination object. */
export interface UploadPlace {
  /** The remote's name. */
  remote: string;
  /** The endpoint ('' for AWS's own). */
  endpoint: string;
  bucket: string;
  key: string;
}

/** What the upload is of: a rerun resumes only when all of it is the same. */
export interface SourceIdentity {
  origin: string;
  size: number;
  /** The source's mtime in nanoseconds, as a decimal string. */
  modTime: string;
  partSize: number;
  /** A hash of the metadata the upload was created with (mtime, whole-file MD5). */
  meta: string;
}

export interface JournalHead extends UploadPlace, SourceIdentity {
  v: 1;
  uploadId: string;
  /** When the upload was created (epoch ms). */
  created: number;
}

export interface JournalPart {
  n: number;
  etag: string;
  /** Hex MD5 of the part's bytes. */
  md5: string;
  size: number;
  /** The server said the part is encrypted so that its ETag is not its MD5. */
  enc?: boolean;
}

export interface Journal {
  file: string;
  head: JournalHead;
  parts: Map<number, JournalPart>;
}

export function journalFile(place: UploadPlace, dir = journalDir()): string {
  const id = createHash('sha256').update(JSON.stringify([place.remote, place.endpoint, place.bucket, place.key])).digest('hex').slice(0, 40);
  return path.join(dir, `${id}.journal`);
}

/** The hash stored as SourceIdentity.meta. */
export function metaHash(metadata: Record<string, string>): string {
  const sorted = Object.keys(metadata)
    .sort()
    .map((k) => [k, metadata[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

function parse(file: string, text: string): Journal | undefined {
  const lines = text.split('\n');
  let head: JournalHead;
  try {
    head = JSON.parse(lines[0]!) as JournalHead;
  } catch {
    return undefined;
  }
  if (head?.v !== 1 || typeof head.uploadId !== 'string' || typeof head.key !== 'string') return undefined;
  const parts = new Map<number, JournalPart>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    try {
      const p = JSON.parse(line) as JournalPart;
      if (Number.isInteger(p.n) && typeof p.etag === 'string' && typeof p.md5 === 'string' && Number.isInteger(p.size)) parts.set(p.n, p);
    } catch {
      // A line torn by a kill during its write: that part is simply not known.
    }
  }
  return { file, head, parts };
}

/** Reads a journal file; undefined when it is missing or unreadable. */
export function readJournalFile(file: string): Journal | undefined {
  let text: string;
  try {
    text = nfs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parse(file, text);
}

/** The journal of the upload to this place, if there is one. */
export function readJournal(place: UploadPlace, dir = journalDir()): Journal | undefined {
  const j = readJournalFile(journalFile(place, dir));
  if (!j) return undefined;
  const h = j.head;
  // (A hash collision, however unlikely, must never resume someone else's upload.)
  if (h.remote !== place.remote || h.endpoint !== place.endpoint || h.bucket !== place.bucket || h.key !== place.key) return undefined;
  return j;
}

/** Starts the journal of a new upload, replacing any earlier one for the same place. */
export function createJournal(head: JournalHead, dir = journalDir()): Journal {
  nfs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = journalFile(head, dir);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    nfs.writeFileSync(tmp, JSON.stringify(head) + '\n', { mode: 0o600, flag: 'wx' });
    nfs.renameSync(tmp, file);
  } catch (err) {
    nfs.rmSync(tmp, { force: true });
    throw err;
  }
  return { file, head, parts: new Map() };
}

/** Records a part the server acknowledged. */
export function appendPart(j: Journal, part: JournalPart): void {
  j.parts.set(part.n, part);
  nfs.appendFileSync(j.file, JSON.stringify(part) + '\n', { mode: 0o600 });
}

export function deleteJournal(j: Journal): void {
  nfs.rmSync(j.file, { force: true });
}

/** Every journal in the directory (unreadable ones left out). */
export function listJournals(dir = journalDir()): Journal[] {
  let names: string[];
  try {
    names = nfs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: Journal[] = [];
  for (const name of names) {
    if (!name.endsWith('.journal')) continue;
    const j = readJournalFile(path.join(dir, name));
    if (j) out.push(j);
  }
  return out;
}

/**
 * False when the journal's source is known to be gone: an origin that is a local absolute
 * path which no longer exists. Other origins (a remote object) can't be checked from here.
 */
export function sourceExists(origin: string): boolean {
  if (!path.isAbsolute(origin)) return true;
  try {
    nfs.statSync(origin);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

/**
 * Removes journal heads a killed run was writing (`*.tmp`, never renamed into place) that
 * are older than ageMs: no run is still writing them.
 */
export function removeStaleTemps(ageMs: number, dir = journalDir(), now = Date.now()): void {
  let names: string[];
  try {
    names = nfs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith('.tmp')) continue;
    const file = path.join(dir, name);
    try {
      if (now - nfs.statSync(file).mtimeMs >= ageMs) nfs.rmSync(file, { force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}
