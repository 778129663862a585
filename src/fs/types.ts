import type { Readable } from 'node:stream';

/** Nanoseconds since the Unix epoch. bigint so that nanosecond mtimes survive exactly. */
export type Timestamp = bigint;

export type HashType = 'md5' | 'sha1';

/** rclone's metadata: lower-case keys to strings (src/fs/metadata.ts, docs/metadata.md). */
export type Metadata = Record<string, string>;
export const ALL_HASHES: readonly HashType[] = ['md5', 'sha1'];

/** What a writer needs to know about the thing being written. */
export interface SrcInfo {
  /** Path relative to the destination Fs root, '/' separated, no leading slash. */
  remote: string;
  /** Size in bytes, or -1 when unknown (streams). */
  size: number;
  modTime: Timestamp;
  /** Hashes already known for the data, so a backend can store or verify them. */
  hashes?: Partial<Record<HashType, string>>;
  /**
   * Asks the source for a hash before the data is sent, for backends that must store it
   * up front (S3 multipart uploads keep the whole-file MD5 in metadata). May read the source.
   */
  hash?(type: HashType): Promise<string>;
  /**
   * Reads the source once for its whole hash and the hash of each partSize piece (the last
   * one shorter), for a backend that must store the whole hash before sending and check
   * each part (S3 multipart: md5chksum and Content-MD5). With it the data need not be hashed
   * again while it is sent. Offered only by sources that would have to read themselves to
   * know their hash (a local file).
   */
  hashParts?(type: HashType, partSize: number): Promise<{ whole: string; parts: string[] }>;
  /**
   * Where the data comes from ("/home/me/file", "s3:bucket/key"), for backends that keep
   * state about an upload across runs (a resumable multipart upload's journal).
   */
  origin?: string;
  /**
   * -M: what to store beside the data. System keys the backend understands (mtime,
   * content-type, mode, ...) set those properties, mtime winning over modTime; the others are
   * kept as user metadata where the backend can. Undefined when -M is off.
   */
  metadata?: Metadata;
  /** The Content-Type the source stores (S3), carried across even without -M, as rclone does. */
  mimeType?: string;
}

/**
 * The call context every Fs and Obj method takes (rclone's ctx): the run's stop signal,
 * which must reach every request (listing included), and where to report errors that did
 * not stop the call (an unreadable entry skipped while listing).
 */
export interface CallOptions {
  signal?: AbortSignal;
  /** Counts and logs an error the call went past; without it the backend only logs. */
  report?: (subject: string | undefined, err: unknown) => void;
}

export interface OpenOptions extends CallOptions {
  /** First byte to read (inclusive). */
  start?: number;
  /** Last byte to read (inclusive), like an HTTP Range. */
  end?: number;
}

export interface CopyOptions extends CallOptions {
  /** Replaces the copy's metadata (-M with --metadata-set); without it the source's is kept as it is. */
  metadata?: Metadata;
}

export interface PutOptions extends CallOptions {
  /** Hashes the caller will ask the new object for; a backend that must compute them does so while writing. */
  hashes?: HashType[];
}

export interface Obj {
  readonly kind: 'object';
  readonly fs: Fs;
  /** Path relative to the Fs root. */
  readonly remote: string;
  /** Size in bytes, -1 when unknown. */
  readonly size: number;
  modTime(options?: CallOptions): Promise<Timestamp>;
  /** The hash in lower-case hex, or '' when this object cannot tell. */
  hash(type: HashType, options?: CallOptions): Promise<string>;
  open(options?: OpenOptions): Promise<Readable>;
  update(data: Readable, src: SrcInfo, options?: PutOptions): Promise<void>;
  remove(options?: CallOptions): Promise<void>;
  /** Throws FsError 'notSupported' when the backend cannot set times. */
  setModTime(t: Timestamp, options?: CallOptions): Promise<void>;

  // Optional, where the backend has them (rclone's GetTier / MimeTyper).
  /** The storage class or tier ('STANDARD', 'GLACIER'), when the backend has one and knows it without a request. */
  tier?(): string | undefined;
  /** The stored Content-Type; may cost a request. '' when none is stored. */
  mimeType?(options?: CallOptions): Promise<string>;
  /** Everything the backend knows of the object besides its data and hashes (rclone's Metadata); may cost a request. */
  metadata?(options?: CallOptions): Promise<Metadata>;
  /** What SrcInfo.hashParts gives, done better than by reading open()'s stream (local disk: on threads of its own). */
  hashParts?(type: HashType, partSize: number, options?: CallOptions): Promise<{ whole: string; parts: string[] }>;
}

export interface Dir {
  readonly kind: 'dir';
  readonly remote: string;
  /** Modification time when the backend knows one (buckets: creation time). */
  readonly modTime?: Timestamp;
  /** Number of entries, -1 when unknown. */
  readonly items: number;
}

export type Entry = Obj | Dir;

export interface Features {
  /** Can a directory exist with nothing in it? False for bucket stores with virtual dirs. */
  canHaveEmptyDirectories: boolean;
  /** The first path segment is a bucket. */
  bucketBased: boolean;
  /** Reading an object's modTime costs a request (S3 HEAD); the engine avoids it when it can. */
  slowModTime: boolean;
  /** Local disk: paths are OS paths. */
  isLocal: boolean;
  /** Hashes are computed by reading the data (local disk), not known from metadata (S3 ETags). */
  slowHash?: boolean;
}

/** Receives listR results page by page, so the whole tree is never held at once. */
export type ListRCallback = (entries: Entry[]) => Promise<void>;

export interface Fs {
  /** The remote's name as the user wrote it ('local' for local paths). */
  readonly name: string;
  /** Root inside the backend, no trailing slash. */
  readonly root: string;
  /** Smallest mtime difference the backend can store, in nanoseconds. */
  readonly precision: bigint;
  readonly hashes: ReadonlySet<HashType>;
  readonly features: Features;
  /** Human form, e.g. "s3:bucket/dir" or "/home/me". */
  toString(): string;

  /** Entries directly inside dir ('' is the root). Throws 'dirNotFound'. */
  list(dir: string, options?: CallOptions): Promise<Entry[]>;
  /** Throws 'objectNotFound' (or 'isDir' when remote is a directory). */
  newObject(remote: string, options?: CallOptions): Promise<Obj>;
  /** Writes a new object of known size; replaces one that exists. */
  put(data: Readable, src: SrcInfo, options?: PutOptions): Promise<Obj>;
  mkdir(dir: string, options?: CallOptions): Promise<void>;
  /** Removes an empty directory. Throws 'dirNotFound' or 'dirNotEmpty'. */
  rmdir(dir: string, options?: CallOptions): Promise<void>;

  // Optional capabilities: operations/ checks for them and falls back when absent.
  /** Server-side copy of src (an object of the same backend) to remote. Throws 'cantCopy' to ask for a streamed copy. */
  copy?(src: Obj, remote: string, options?: CopyOptions): Promise<Obj>;
  /** Server-side move. Throws 'cantMove' to ask for copy + delete. */
  move?(src: Obj, remote: string, options?: CallOptions): Promise<Obj>;
  /**
   * Deletes many objects of this Fs in few requests (S3 DeleteObjects: up to 1000 keys a
   * request). Resolves with the objects that could not be deleted and why; an error thrown
   * means none of the outcome is known. Without it, each object's remove() is called.
   */
  removeMany?(objs: readonly Obj[], options?: CallOptions): Promise<RemoveFailure[]>;
  /** Deletes dir and everything below it. */
  purge?(dir: string, options?: CallOptions): Promise<void>;
  /** Recursive listing of everything below dir, delivered in pages. */
  listR?(dir: string, callback: ListRCallback, options?: CallOptions): Promise<void>;
  /**
   * put() for a source this backend reads itself (a small local file into a local Fs),
   * without a stream between the two: the same check of the size, the same temporary name
   * until the data is complete; the caller counts the bytes once done. The time written is
   * src's: info.modTime is not read, as asking a source of another backend for its time
   * before knowing it is taken could cost a request (S3). Replaces an object of the name as
   * put() does (an Obj of it from before is not refreshed). Resolves undefined, having
   * written nothing, when it does not take this source; the caller then streams it.
   */
  putFrom?(src: Obj, info: SrcInfo, options?: PutOptions): Promise<Obj | undefined>;
  /** Writes an object whose size is not known in advance. */
  putStream?(data: Readable, src: SrcInfo, options?: PutOptions): Promise<Obj>;
  /**
   * Opens src.remote for writing at offsets, from several streams at once (rclone's
   * OpenWriterAt: multi-stream downloads). The object appears under its name, with
   * src.modTime, only on commit, after its size and the hashes src declares are checked;
   * until then it is nowhere to be seen, and abort (or the process ending) removes it.
   */
  openWriterAt?(src: SrcInfo, options?: CallOptions): Promise<WriterAt>;
  /**
   * Removes what interrupted writes left behind: unfinished multipart uploads and their
   * journals (older than maxAgeMs when given; all of them with all), temporary files.
   */
  cleanup?(options?: CleanupOptions): Promise<void>;
  /**
   * A URL that lets anyone who has it download the object at remote (rclone's PublicLink).
   * expireSeconds: how long it should work; undefined asks for the longest the backend
   * allows. Throws 'objectNotFound' when remote is not an object.
   */
  publicLink?(remote: string, expireSeconds: number | undefined, options?: CallOptions): Promise<string>;
  /** Moves obj (an object of this Fs) to another storage class or tier, keeping its data and metadata. */
  setTier?(obj: Obj, tier: string, options?: CallOptions): Promise<void>;
  /**
   * Runs one of the backend's own commands (`nclone backend NAME remote:`), which its
   * BackendDef declares with their help. Resolves with what to show: a string or string[]
   * (printed as lines), or any other value (printed as JSON).
   */
  command?(name: string, args: string[], opts: Readonly<Record<string, string>>, options: BackendCommandOptions): Promise<unknown>;
  /** Space used and free (rclone's About); fields the backend does not know are left out. */
  about?(options?: CallOptions): Promise<Usage>;
  /** Releases connections and file handles. */
  close?(): Promise<void>;
}

/** What a backend command gets from the command line besides its arguments. */
export interface BackendCommandOptions extends CallOptions {
  /** The object the path named, when it named one: the Fs is then rooted at its directory. */
  file?: string;
  /**
   * Calls visit with every object below the Fs root (or the one object the path named)
   * that the filters let through, a few at a time (--checkers), in listing order. Errors
   * visit throws are logged and counted, and the walk goes on.
   */
  forEachObject(visit: (obj: Obj) => Promise<void>): Promise<void>;
  /** The --dry-run and -i gate: true when the action on subject must be skipped. */
  skip(subject: string, action: string): Promise<boolean>;
}

/** Sizes in bytes (objects: a count), as rclone's about shows them. */
export interface Usage {
  total?: number;
  used?: number;
  free?: number;
  trashed?: number;
  other?: number;
  objects?: number;
}

/** An object being written at offsets: see Fs.openWriterAt. */
export interface WriterAt {
  /** Writes data at offset. Writes may come from several streams at once, each in order. */
  writeAt(data: Buffer, offset: number): Promise<void>;
  /** Checks that every byte was written (and the declared hashes), then gives the object its name. */
  commit(): Promise<Obj>;
  /** Drops what was written; safe to call more than once, and after a failed commit. */
  abort(): Promise<void>;
}

export interface RemoveFailure {
  obj: Obj;
  err: unknown;
}

export interface CleanupOptions extends CallOptions {
  /** Only what is older than this, in milliseconds. */
  maxAgeMs?: number;
  /** Also what nclone did not start (other tools' unfinished uploads). */
  all?: boolean;
  dryRun?: boolean;
}
