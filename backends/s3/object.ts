import { PassThrough, Readable } from 'node:stream';
import type { GetObjectAclCommandOutput, HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { s3 } from './commands.js';
import type { CallOptions, Fs, HashType, Metadata, Obj, OpenOptions, PutOptions, SrcInfo, Timestamp } from '../../src/fs/types.js';
import { FsError, errorMessage, fsError } from '../../src/fs/errors.js';
import { logNotice } from '../../src/lib/log.js';
import { echo, mapS3Error } from './errors.js';
import { fromDecimalSeconds, toDecimalSeconds } from '../../src/fs/time.js';
import type { S3Door } from './door.js';
import { copySource } from './keys.js';
import type { CachedMeta, MetaCache } from './metacache.js';
import { headersOf, readMeta, type ObjectHeaders } from './metadata.js';

/** What a HEAD tells beyond the listing. */
export interface ObjectMeta {
  mtime?: Timestamp;
  md5?: string;
  contentType?: string;
  /** Content-Type and the other headers -M carries (metadata.ts). */
  headers?: ObjectHeaders;
  metadata: Record<string, string>;
  restore?: string;
  /** Encrypted with SSE-KMS or a customer key: the ETag is then not the MD5 of the data. */
  etagNotMd5?: boolean;
}

/** What a HEAD or GET answer says about encryption that changes the ETag. */
export function encryptedEtag(answer: { ServerSideEncryption?: string; SSECustomerAlgorithm?: string }): boolean {
  return (answer.ServerSideEncryption ?? '').startsWith('aws:kms') || !!answer.SSECustomerAlgorithm;
}

const MD5_ETAG = /^"?([0-9a-f]{32})"?$/i;

/** The part of its Fs an object needs: where it lives and the remote's door. */
export interface S3Home extends Fs {
  readonly door: S3Door;
  metaFor(bucket: string): MetaCache | undefined;
}

export class S3Object implements Obj {
  readonly kind = 'object';

  constructor(
    readonly fs: S3Home,
    readonly remote: string,
    readonly bucket: string,
    readonly key: string,
    private _size: number,
    private lastModified: Timestamp,
    private etag: string,
    /** From the listing or HEAD; S3 leaves it out for STANDARD. */
    public storageClass: string | undefined,
    private meta?: ObjectMeta,
  ) {}

  /** Set when a GET answer said the object is encrypted in a way that changes its ETag. */
  private encrypted = false;
  /** Made from a listing entry: size, ETag and LastModified are the server's, so the metadata cache may answer for it. */
  listed = false;
  /** What the metadata cache knew, when it knew. */
  private cached?: CachedMeta;

  /** The metadata cache's entry for this object, if it still matches the listing. */
  private async fromCache(): Promise<CachedMeta | undefined> {
    if (this.meta || !this.listed) return undefined;
    if (this.cached) return this.cached;
    const cache = this.fs.metaFor(this.bucket);
    if (!cache) return undefined;
    this.cached = await cache.lookup(this.key, this._size, this.etag, Number(this.lastModified / 1_000_000n));
    return this.cached;
  }

  get size(): number {
    return this._size;
  }

  /** Fills the object from a HEAD response. */
  static fromHead(fs: S3Home, remote: string, bucket: string, key: string, head: HeadObjectCommandOutput): S3Object {
    const meta = metaOf(head);
    const lm = head.LastModified ? BigInt(head.LastModified.getTime()) * 1_000_000n : 0n;
    return new S3Object(fs, remote, bucket, key, head.ContentLength ?? 0, lm, head.ETag ?? '', head.StorageClass, meta);
  }

  /** The object's metadata, read with a HEAD unless already known (or again, with fresh). */
  private async head(o: CallOptions = {}, fresh = false): Promise<ObjectMeta> {
    if (this.meta && !fresh) return this.meta;
    const res = await this.fs.door.send<HeadObjectCommandOutput>(s3('HeadObject', { Bucket: this.bucket, Key: this.key }), this.remote, 'read metadata of', { signal: o.signal });
    const read = S3Object.fromHead(this.fs, this.remote, this.bucket, this.key, res);
    this.meta = read.meta!;
    this._size = read._size;
    this.etag = read.etag;
    this.storageClass = read.storageClass ?? this.storageClass;
    this.remember(res);
    return this.meta;
  }

  /** Tells the metadata cache what a HEAD or GET answer said (this.meta) about the object as the listing shows it. */
  private remember(res: { ETag?: string; LastModified?: Date }): void {
    const mtime = this.meta?.mtime;
    if (mtime === undefined || !res.ETag || !res.LastModified || (this.listed && res.ETag !== this.etag)) return;
    this.fs.metaFor(this.bucket)?.record(this.key, { size: this._size, etag: res.ETag, lastModifiedMs: res.LastModified.getTime(), mtime, md5: this.meta!.md5 });
  }

  /** X-Amz-Meta-Mtime as rclone writes it; objects without one report their LastModified. */
  async modTime(o?: CallOptions): Promise<Timestamp> {
    const hit = await this.fromCache();
    if (hit) return hit.mtime;
    const meta = await this.head(o);
    return meta.mtime ?? this.lastModified;
  }

  async hash(type: HashType, o?: CallOptions): Promise<string> {
    if (type !== 'md5') return '';
    // A bucket may encrypt with KMS by default, whatever this remote's sse says: a HEAD or
    // GET answer that told so (this.encrypted) rules the ETag out as well.
    const m = MD5_ETAG.exec(this.etag);
    if (m && !this.fs.door.sseChangesEtag && !this.encrypted && !this.meta?.etagNotMd5) return m[1]!.toLowerCase();
    const hit = await this.fromCache();
    if (hit?.md5) return hit.md5;
    const meta = await this.head(o);
    return meta.md5 ?? '';
  }

  /** S3 names no storage class for STANDARD objects: rclone shows STANDARD then. */
  tier(): string {
    return this.storageClass || 'STANDARD';
  }

  /**
   * The Content-Type the server keeps, read with a HEAD when the object came from a listing
   * or from an upload (whose metadata nclone knows but whose type the server chose). As
   * rclone, a failed HEAD is logged and gives '' (callers then guess from the name).
   */
  async mimeType(o: CallOptions = {}): Promise<string> {
    if (this.meta?.contentType !== undefined) return this.meta.contentType;
    try {
      return (await this.head(o, true)).contentType ?? '';
    } catch (err) {
      if (o.signal?.aborted) throw err;
      logNotice(`${this.fs.name}:${this.bucket}/${this.key}`, `failed to read the content type: ${errorMessage(err)}`);
      return '';
    }
  }

  /** -M: user metadata, the content headers, mtime, btime (LastModified) and tier; a HEAD unless a GET or HEAD told already. */
  async metadata(o: CallOptions = {}): Promise<Metadata> {
    const meta = await this.head(o, this.meta?.headers === undefined);
    return readMeta(meta.metadata, meta.headers ?? {}, this.lastModified, this.tier());
  }

  async open(options: OpenOptions = {}): Promise<Readable> {
    if (this.storageClass === 'GLACIER' || this.storageClass === 'DEEP_ARCHIVE') {
      const meta = await this.head(options);
      if (!meta.restore?.includes('ongoing-request="false"')) throw fsError('other', `Object in ${this.storageClass}, restore first: ${this.remote}`, { retry: 'noRetry' });
    }
    const ranged = options.start !== undefined || options.end !== undefined;
    const range = ranged ? `bytes=${options.start ?? 0}-${options.end ?? ''}` : undefined;
    // S3 answers 416 to any range on an empty object.
    if (this._size === 0 && ranged) return Readable.from([]);
    const res = await this.fs.door.send<HeadObjectCommandOutput & { Body?: unknown }>(
      s3('GetObject', { Bucket: this.bucket, Key: this.key, Range: range }),
      this.remote,
      'open',
      { signal: options.signal },
    );
    if (encryptedEtag(res)) this.encrypted = true;
    // The answer carries the metadata a HEAD would read, for the very data being read.
    if (!this.meta && res.Metadata) {
      this.meta = metaOf(res);
      this.remember(res);
    }
    return bodyOf(res.Body as Readable, this.fs.door, `${this.bucket}/${this.key}`, options.signal);
  }

  async update(data: Readable, src: SrcInfo, options?: PutOptions): Promise<void> {
    const fresh = (await this.fs.put(data, { ...src, remote: this.remote }, options)) as S3Object;
    Object.assign(this, { _size: fresh._size, lastModified: fresh.lastModified, etag: fresh.etag, meta: fresh.meta });
  }

  async remove(o: CallOptions = {}): Promise<void> {
    this.fs.metaFor(this.bucket)?.forget(this.key);
    await this.fs.door.send(s3('DeleteObject', { Bucket: this.bucket, Key: this.key }), this.remote, 'remove', { signal: o.signal });
  }

  /** Rewrites the metadata with a copy onto itself, keeping content type, ACL, storage class and other metadata. */
  async setModTime(t: Timestamp, o: CallOptions = {}): Promise<void> {
    const meta = await this.head(o);
    const door = this.fs.door;
    // An archived object cannot be copied onto itself: the engine uploads it again instead (as rclone).
    if (this.storageClass === 'GLACIER' || this.storageClass === 'DEEP_ARCHIVE') throw fsError('notSupported', `${this.remote}: can't set the modification time of an object in ${this.storageClass}`);
    const metadata = { ...meta.metadata, mtime: toDecimalSeconds(t) };
    if (this._size > door.opt.copyCutoff) throw fsError('notSupported', `${this.remote}: too large to update the modification time in place`);
    // A copy gets a fresh ACL: without a configured acl, give the object its current grants again.
    const grants = door.opt.acl ? undefined : await this.currentGrants(o);
    const res = await door.send<{ CopyObjectResult?: { ETag?: string; LastModified?: Date } }>(
      s3('CopyObject', {
        ...door.writeParams(this.bucket, this.key),
        ...grants,
        CopySource: copySource(this.bucket, this.key),
        MetadataDirective: 'REPLACE',
        Metadata: metadata,
        ...meta.headers,
        ContentType: meta.contentType,
        StorageClass: (this.storageClass as never) ?? door.writeParams(this.bucket, this.key).StorageClass,
      }),
      this.remote,
      'set modification time of',
      { signal: o.signal },
    );
    this.meta = { ...meta, mtime: t, metadata };
    const copied = res.CopyObjectResult;
    if (copied?.ETag && copied.LastModified) {
      this.fs.metaFor(this.bucket)?.record(this.key, { size: this._size, etag: copied.ETag, lastModifiedMs: copied.LastModified.getTime(), mtime: t, md5: meta.md5 });
    }
  }

  /**
   * The object's ACL as x-amz-grant-* values, or undefined when it is private (only the owner's
   * full control, which a copy gets anyway) or cannot be read: then nothing is sent, which also
   * suits buckets with ACLs disabled.
   */
  async currentGrants(o: CallOptions): Promise<Partial<Record<'GrantRead' | 'GrantReadACP' | 'GrantWriteACP' | 'GrantFullControl', string>> | undefined> {
    let acl: GetObjectAclCommandOutput;
    try {
      acl = await this.fs.door.send<GetObjectAclCommandOutput>(s3('GetObjectAcl', { Bucket: this.bucket, Key: this.key }), this.remote, 'read the ACL of', { signal: o.signal });
    } catch {
      return undefined;
    }
    const header = { READ: 'GrantRead', READ_ACP: 'GrantReadACP', WRITE_ACP: 'GrantWriteACP', FULL_CONTROL: 'GrantFullControl' } as const;
    const out: Partial<Record<(typeof header)[keyof typeof header], string[]>> = {};
    let onlyOwner = true;
    for (const g of acl.Grants ?? []) {
      const name = header[g.Permission as keyof typeof header];
      const e = g.Grantee;
      const who = e?.ID ? `id="${e.ID}"` : e?.URI ? `uri="${e.URI}"` : e?.EmailAddress ? `emailAddress="${e.EmailAddress}"` : undefined;
      if (!name || !who) continue;
      if (!(g.Permission === 'FULL_CONTROL' && e?.ID !== undefined && e.ID === acl.Owner?.ID)) onlyOwner = false;
      (out[name] ??= []).push(who);
    }
    if (onlyOwner) return undefined;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join(', ')]));
  }

  /** Used by the Fs after an upload or copy, when it already knows everything. */
  static known(fs: S3Home, remote: string, bucket: string, key: string, size: number, etag: string, meta: ObjectMeta): S3Object {
    return new S3Object(fs, remote, bucket, key, size, BigInt(Date.now()) * 1_000_000n, etag, fs.door.opt.storageClass || undefined, meta);
  }

  get eTag(): string {
    return this.etag;
  }
}

/** What a HEAD or GET answer says about an object beyond the listing. */
function metaOf(head: Pick<HeadObjectCommandOutput, 'Metadata' | 'ContentType' | 'CacheControl' | 'ContentDisposition' | 'ContentEncoding' | 'ContentLanguage' | 'Restore' | 'ServerSideEncryption' | 'SSECustomerAlgorithm'>): ObjectMeta {
  const metadata = head.Metadata ?? {};
  const md5b64 = metadata.md5chksum;
  return {
    mtime: metadata.mtime !== undefined ? fromDecimalSeconds(metadata.mtime) : undefined,
    md5: md5b64 ? Buffer.from(md5b64, 'base64').toString('hex') : undefined,
    contentType: head.ContentType,
    headers: headersOf(head),
    metadata,
    restore: head.Restore,
    etagNotMd5: encryptedEtag(head),
  };
}

/**
 * A GET answer's body, whose failures name the object and say what they are. The request
 * has returned by then, so the pacer cannot send it again: a body that breaks off (a reset,
 * a short body, --timeout, a failed checksum) is a retryable failure of the transfer, which
 * starts again from a fresh GET.
 */
function bodyOf(body: Readable, door: S3Door, where: string, signal: AbortSignal | undefined): Readable {
  const out = new PassThrough();
  body.once('error', (e: Error) => {
    if (signal?.aborted && signal.reason instanceof FsError) return out.destroy(signal.reason);
    const mapped = mapS3Error(e, door.errorContext(where, 'read'));
    // Whatever the failure, the same GET again may well succeed.
    out.destroy(mapped.retry === 'fatal' || mapped.retry === 'retryable' ? mapped : fsError('other', `read ${door.name}:${where}: the download broke off: ${echo(e.message || e.name)}`, { retry: 'retryable', cause: e }));
  });
  out.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}
