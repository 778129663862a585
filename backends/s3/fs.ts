import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { _Object } from '@aws-sdk/client-s3';
import { s3 } from './commands.js';
import type { ConfigMap } from '../../src/fs/configmap.js';
import type { NewFsResult } from '../../src/fs/registry.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import type { BackendCommandOptions, CallOptions, CleanupOptions, CopyOptions, Dir, Entry, Features, Fs, HashType, ListRCallback, Obj, PutOptions, RemoveFailure, SrcInfo } from '../../src/fs/types.js';
import { errorMessage, fsError, isKind, FsError } from '../../src/fs/errors.js';
import { hasLoneSurrogate } from '../../src/fs/path.js';
import { escapeControls, quoteName } from '../../src/lib/escape.js';
import { logError, logNotice } from '../../src/lib/log.js';
import { makeClientWithFallback, normalizeEndpoint } from './client.js';
import { S3Door, type S3Options } from './door.js';
import { splitBucket } from './keys.js';
import { listPages } from './listing.js';
import { S3Object, encryptedEtag, type ObjectMeta } from './object.js';
import { detectProvider, quirksFor } from './providers.js';
import { ExactSize, checkStartable, forwardSourceEnd } from './body.js';
import { DELETE_BATCH, deleteKeys, type DeleteItem } from './batch-delete.js';
import { uploadMeta } from './metadata.js';
import { openMetaCache, type MetaCache } from './metacache.js';

export type { S3Options } from './door.js';
/** What a PutObject answer tells beyond success. */
type PutAnswer = { ETag?: string; ServerSideEncryption?: string; SSECustomerAlgorithm?: string; ServerDate?: Date };

export async function newFs(name: string, root: string, c: ConfigMap, globals: BackendGlobals): Promise<NewFsResult> {
  const endpoint = c.string('endpoint');
  // No provider: AWS without an endpoint, else whatever the endpoint's host says (Other if unknown).
  const detected = endpoint === '' ? undefined : detectProvider(endpoint);
  const provider = c.string('provider') || (endpoint === '' ? 'AWS' : (detected?.provider ?? 'Other'));
  const quirks = quirksFor(provider);
  let region = c.string('region') || (detected?.provider === provider ? (detected.region ?? '') : '');
  let v2Auth = c.bool('v2_auth');
  // Legacy region values from old rclone configs select the signature version.
  if (region === 'other-v2-signature') (v2Auth = true), (region = '');
  if (region === 'other-v4-signature') region = '';
  region ||= quirks.defaultRegion;
  const listVersion = c.number('list_version') || (quirks.listObjectsV2 ? 2 : 1);
  if (listVersion !== 1 && listVersion !== 2) throw fsError('config', `list_version must be 0, 1 or 2, not ${listVersion}`);
  const opt: S3Options = {
    provider,
    endpoint: normalizeEndpoint(endpoint) ?? '',
    region,
    acl: c.string('acl'),
    bucketAcl: c.string('bucket_acl'),
    locationConstraint: c.string('location_constraint'),
    sse: c.string('server_side_encryption'),
    sseKmsKeyId: c.string('sse_kms_key_id'),
    storageClass: c.string('storage_class'),
    uploadCutoff: c.number('upload_cutoff'),
    chunkSize: Math.max(c.number('chunk_size'), 5 * 1024 * 1024),
    maxUploadParts: Math.max(1, Math.min(10_000, c.number('max_upload_parts'))),
    uploadConcurrency: Math.max(1, c.number('upload_concurrency')),
    copyCutoff: c.number('copy_cutoff'),
    disableChecksum: c.bool('disable_checksum'),
    listChunk: Math.max(1, c.number('list_chunk')),
    listVersion,
    noCheckBucket: c.bool('no_check_bucket'),
    leavePartsOnError: c.bool('leave_parts_on_error'),
    metaCache: !c.bool('no_meta_cache'),
  };
  const settings = {
    quirks,
    isAws: provider === 'AWS',
    region,
    endpoint,
    // Access points (ARN buckets) are always addressed virtual-hosted style.
    forcePathStyle: !root.replace(/^\/+/, '').startsWith('arn:') && (v2Auth || (c.isSet('force_path_style') ? c.bool('force_path_style') : !quirks.virtualHostStyle)),
    v2Auth,
    accessKeyId: c.string('access_key_id'),
    secretAccessKey: c.string('secret_access_key'),
    sessionToken: c.string('session_token'),
    envAuth: c.bool('env_auth'),
    profile: c.string('profile'),
    sharedCredentialsFile: c.string('shared_credentials_file'),
    maxSockets: 64,
    env: process.env,
    globals,
  };
  const made = await makeClientWithFallback(settings);
  // Two Fs of the same remote reaching the same server as the same user can copy server-side
  // between each other (rclone's SameConfig), e.g. from one bucket to another.
  const { quirks: _q, env: _e, maxSockets: _m, globals: _g, ...connection } = settings;
  const sameConfig = createHash('sha256').update(JSON.stringify([name, connection])).digest('hex');
  const clean = root.replace(/^\/+|\/+$/g, '');
  const door = new S3Door(name, made, opt, quirks, globals);
  const fs = new S3Fs(name, clean, door, sameConfig);
  // A root naming an object gives an Fs at its parent plus the object's name (rclone's ErrorIsFile).
  if (fs.rootKey !== '') {
    try {
      const head = await door.send<{ ETag?: string }>(s3('HeadObject', { Bucket: fs.bucket, Key: fs.rootKey }), fs.rootKey, 'find');
      // Every S3 object has an ETag: a 200 without one is some web page, not an object.
      if (!head.ETag) return { fs };
      const cut = clean.lastIndexOf('/');
      return { fs: new S3Fs(name, clean.slice(0, cut), door, sameConfig), file: clean.slice(cut + 1) };
    } catch (err) {
      // Not an object (or not readable as one): a directory. Anything else (the server
      // unreachable after every retry) is said now, not taken for an empty directory later.
      if (!isKind(err, 'objectNotFound') && !isKind(err, 'permission') && !isKind(err, 'dirNotFound')) throw err;
    }
  }
  return { fs };
}

/**
 * Why a key can't be stored, or undefined. S3 keys are up to 1024 bytes of UTF-8; a lone
 * surrogate has no UTF-8 form, and NUL can't appear in an XML listing (Ceph refuses it).
 */
function keyProblem(key: string): string | undefined {
  if (key.includes('\u0000')) return 'it contains a NUL character';
  if (hasLoneSurrogate(key)) return 'it is not valid Unicode (a lone surrogate)';
  if (Buffer.byteLength(key, 'utf8') > 1024) return 'keys are at most 1024 bytes of UTF-8';
  return undefined;
}

const FEATURES: Features = { canHaveEmptyDirectories: false, bucketBased: true, slowModTime: true, isLocal: false };
const HASHES: ReadonlySet<HashType> = new Set<HashType>(['md5']);

export class S3Fs implements Fs {
  readonly precision = 1n;
  readonly hashes = HASHES;
  readonly features = FEATURES;
  /** The bucket of the root, '' when the root is the remote itself (buckets are then the top level). */
  readonly bucket: string;
  /** The key prefix of the root inside its bucket, no slashes at either end. */
  readonly rootKey: string;
  readonly opt: S3Options;
  private readonly bucketsChecked = new Map<string, Promise<void>>();
  /** Buckets whose check failed in a way that lets writes go ahead (no right to HEAD them). */
  private readonly bucketsWritable = new Set<string>();
  /** Each bucket's metadata cache, opened on first use and closed with the Fs. */
  private readonly metaCaches = new Map<string, MetaCache>();

  constructor(
    readonly name: string,
    readonly root: string,
    /** Every request of this remote goes through it. */
    readonly door: S3Door,
    /** Identifies the remote's connection settings: Fs with equal values may copy server-side between each other. */
    readonly sameConfig = '',
  ) {
    ({ bucket: this.bucket, key: this.rootKey } = splitBucket(root));
    this.opt = door.opt;
  }

  toString(): string {
    return `${this.name}:${this.root}`;
  }

  /** The metadata cache of a bucket (see metacache.ts), or undefined when it is off. */
  metaFor(bucket: string): MetaCache | undefined {
    if (!this.opt.metaCache || bucket === '') return undefined;
    let cache = this.metaCaches.get(bucket);
    if (!cache) {
      cache = openMetaCache({ endpoint: this.opt.endpoint || `aws:${this.opt.region}`, bucket, enabled: true });
      this.metaCaches.set(bucket, cache);
    }
    return cache;
  }

  /** Bucket and key of a path relative to the root. */
  split(remote: string): { bucket: string; key: string } {
    const where = this.bucket !== '' ? { bucket: this.bucket, key: [this.rootKey, remote].filter((p) => p !== '').join('/') } : splitBucket(remote);
    const why = keyProblem(where.key);
    if (why) throw fsError('invalidName', `${this.name}:${quoteName(remote)}: can't be an S3 key: ${why}`, { retry: 'noRetry' });
    return where;
  }

  private remoteOf(bucket: string, key: string): string {
    if (this.bucket === '') return key === '' ? bucket : `${bucket}/${key}`;
    return this.rootKey === '' ? key : key.slice(this.rootKey.length + 1);
  }

  async list(dir: string, o: CallOptions = {}): Promise<Entry[]> {
    const { bucket, key } = this.split(dir);
    if (bucket === '') return this.listBuckets(o);
    const prefix = key === '' ? '' : `${key}/`;
    const entries: Entry[] = [];
    let marker = false;
    await listPages(this.door, bucket, prefix, '/', o.signal, async (objects, prefixes) => {
      for (const p of prefixes) entries.push({ kind: 'dir', remote: this.remoteOf(bucket, p.slice(0, -1)), items: -1 });
      // The key equal to the prefix is a folder marker ("Create folder"): the directory itself.
      for (const o of objects) if (o.Key === prefix) marker = true;
      else entries.push(this.fromListing(bucket, o));
    });
    if (entries.length === 0 && !marker) this.checkExists(dir, key);
    return entries;
  }

  /**
   * S3 has no directories: a prefix is there while some key starts with it, or a folder
   * marker (a key ending in "/") names it. A prefix with neither is reported missing, as the
   * bucket's root never is (a bucket that does not exist fails with NoSuchBucket). Listing
   * commands show it as empty, as rclone does (emptyPrefix); sync refuses it as a source,
   * where rclone would delete everything in the destination of `sync remote:bucket/typo dst`.
   */
  private checkExists(dir: string, key: string): void {
    if (key === '') return;
    const path = [this.root, dir].filter((p) => p !== '').join('/');
    throw fsError('dirNotFound', `${this.name}:${quoteName(path)}: directory not found (no object's key starts with "${escapeControls(key)}/")`, { retry: 'noRetry', emptyPrefix: true });
  }

  async listR(dir: string, callback: ListRCallback, o: CallOptions = {}): Promise<void> {
    const { bucket, key } = this.split(dir);
    if (bucket === '') {
      const buckets = await this.listBuckets(o);
      await callback(buckets);
      for (const b of buckets) await this.listR(b.remote, callback, o);
      return;
    }
    const prefix = key === '' ? '' : `${key}/`;
    let found = false;
    // Directories are implied by the keys below them: report each once, parents first.
    const seen = new Set<string>();
    const addDirs = (page: Entry[], relKey: string) => {
      const parts = relKey.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = prefix + parts.slice(0, i).join('/');
        if (seen.has(d)) continue;
        seen.add(d);
        page.push({ kind: 'dir', remote: this.remoteOf(bucket, d), items: -1 });
      }
    };
    await listPages(this.door, bucket, prefix, undefined, o.signal, async (objects) => {
      const page: Entry[] = [];
      for (const o of objects) {
        found = true;
        if (o.Key === prefix) continue; // a folder marker: the directory itself
        const rel = o.Key!.slice(prefix.length);
        // A key ending in "/" is a directory marker made by other tools.
        addDirs(page, o.Key!.endsWith('/') ? rel + 'x' : rel);
        if (!o.Key!.endsWith('/')) page.push(this.fromListing(bucket, o));
      }
      if (page.length) await callback(page);
    });
    if (!found) this.checkExists(dir, key);
  }

  private fromListing(bucket: string, o: _Object): S3Object {
    const lm = o.LastModified ? BigInt(o.LastModified.getTime()) * 1_000_000n : 0n;
    const obj = new S3Object(this, this.remoteOf(bucket, o.Key!), bucket, o.Key!, o.Size ?? 0, lm, o.ETag ?? '', o.StorageClass);
    obj.listed = true;
    return obj;
  }

  private async listBuckets(o: CallOptions): Promise<Dir[]> {
    if (this.door.auth === 'anonymous') {
      throw fsError('permission', `${this.name}: listing buckets needs credentials: give a bucket (remote:bucket) or set access_key_id/secret_access_key or env_auth`, { retry: 'noRetry' });
    }
    const res = await this.door.send<{ Buckets?: { Name?: string; CreationDate?: Date }[] }>(s3('ListBuckets', {}), '', 'list buckets of', o);
    // A real answer has a Buckets element, empty or not; a web page parses to nothing.
    if (res.Buckets === undefined) throw fsError('other', `list buckets of ${this.name}: the server's answer was not an S3 bucket listing (a web page? check the endpoint)`, { retry: 'retryable' });
    return res.Buckets.map((b) => ({
      kind: 'dir' as const,
      remote: b.Name!,
      modTime: b.CreationDate ? BigInt(b.CreationDate.getTime()) * 1_000_000n : undefined,
      items: -1,
    }));
  }

  async newObject(remote: string, o: CallOptions = {}): Promise<Obj> {
    const { bucket, key } = this.split(remote);
    if (bucket === '' || key === '') throw fsError('isDir', `${this.name}:${remote}: is a bucket, not an object`, { retry: 'noRetry' });
    const head = await this.door.send<any>(s3('HeadObject', { Bucket: bucket, Key: key }), remote, 'find', o);
    return S3Object.fromHead(this, remote, bucket, key, head);
  }

  async put(data: Readable, src: SrcInfo, options: PutOptions = {}): Promise<S3Object> {
    const { bucket, key } = this.split(src.remote);
    if (bucket === '' || key === '') throw fsError('usage', `${this.name}:${src.remote}: can't write an object at the top level: give a bucket`);
    await this.ensureBucket(bucket, options);
    const { metadata, headers, modTime } = await uploadMeta(src);
    const meta: ObjectMeta = { mtime: modTime, metadata, headers, contentType: headers.ContentType };
    if (src.size >= 0 && src.size < this.opt.uploadCutoff) {
      checkStartable(data, options.signal, src.remote);
      // Up to chunk_size (what a multipart part holds anyway) the body is read into memory:
      // its MD5 goes in Content-MD5 for the server to check, and the request can be sent
      // again by the pacer without reopening the source.
      if (src.size <= this.opt.chunkSize) {
        const body = await readExactly(data, src.size, src.remote, options.signal);
        const md5 = createHash('md5').update(body).digest();
        const res = await this.door.send<PutAnswer>(
          s3('PutObject', { ...this.door.writeParams(bucket, key), Body: body, ContentLength: src.size, Metadata: metadata, ...headers, ContentMD5: this.contentMd5(md5.toString('hex')) }),
          src.remote,
          'upload',
          options,
        );
        if (res.ETag && res.ServerDate) this.metaFor(bucket)?.recordPut(key, { size: src.size, etag: res.ETag, serverDateMs: res.ServerDate.getTime(), mtime: modTime, md5: md5.toString('hex') });
        return S3Object.known(this, src.remote, bucket, key, src.size, res.ETag ?? '', { ...meta, md5: md5.toString('hex'), etagNotMd5: encryptedEtag(res) });
      }
      const declared = src.hashes?.md5;
      const body = data.pipe(new ExactSize(src.size, src.remote));
      // A failing body must end the request at once: the server would wait for the missing bytes.
      const stop = new AbortController();
      let bodyError: unknown;
      const fail = (e: unknown) => {
        bodyError ??= e;
        stop.abort(e);
      };
      forwardSourceEnd(data, body, src.remote);
      body.once('error', fail);
      const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
      try {
        const res = await this.door.send<PutAnswer>(
          s3('PutObject', { ...this.door.writeParams(bucket, key), Body: body, ContentLength: src.size, Metadata: metadata, ...headers, ContentMD5: declared ? this.contentMd5(declared) : undefined }),
          src.remote,
          'upload',
          { signal },
        );
        // A bucket encrypting with KMS by default answers with an ETag that is no MD5: say so.
        return S3Object.known(this, src.remote, bucket, key, src.size, res.ETag ?? '', { ...meta, etagNotMd5: encryptedEtag(res) });
      } catch (err) {
        // The server may answer before reading the body: release the source at once.
        body.destroy();
        data.destroy();
        throw bodyError ?? err;
      }
    }
    // A source that reads itself for its MD5 is read ahead by the upload, for the whole MD5
    // and each part's in one pass (upload.ts); others say theirs now.
    const hashParts = !this.opt.disableChecksum && src.size > 0 ? src.hashParts?.bind(src) : undefined;
    if (!this.opt.disableChecksum && !hashParts && src.hash) {
      const md5 = await src.hash('md5');
      if (md5) meta.md5 = md5;
      if (md5) metadata.md5chksum = Buffer.from(md5, 'hex').toString('base64');
    }
    // Multipart uploads and copies load the SDK's commands: only when one is made.
    const { uploadMultipart } = await import('./upload.js');
    const res = await uploadMultipart(this.door, { bucket, key, remote: src.remote, size: src.size, metadata, headers, signal: options.signal, origin: src.origin, modTime, hashParts }, data);
    if (res.md5) meta.md5 = res.md5;
    return S3Object.known(this, src.remote, bucket, key, res.size, res.etag, { ...meta, etagNotMd5: res.encrypted });
  }

  /** Content-MD5 for a hex MD5, unless disable_checksum or the provider can't check it. */
  private contentMd5(hex: string): string | undefined {
    if (this.opt.disableChecksum || !this.door.quirks.contentMd5) return undefined;
    return Buffer.from(hex, 'hex').toString('base64');
  }

  putStream(data: Readable, src: SrcInfo, options?: PutOptions): Promise<S3Object> {
    return this.put(data, { ...src, size: -1 }, options);
  }

  /** Makes sure a bucket exists before the first write into it (once per bucket; skipped with no_check_bucket). */
  private ensureBucket(bucket: string, o: CallOptions): Promise<void> {
    if (this.opt.noCheckBucket || this.door.auth === 'anonymous') return Promise.resolve();
    return this.checkBucket(bucket, o, true);
  }

  /**
   * Asks once per bucket whether it exists and makes it when not. Ask first: some servers
   * (Ceph) refuse CreateBucket on the owner's own bucket when the ACL differs. With lenient,
   * a failing HEAD (no rights to HEAD a bucket one can write to) lets the write go ahead.
   */
  private checkBucket(bucket: string, o: CallOptions, lenient: boolean): Promise<void> {
    if (lenient && this.bucketsWritable.has(bucket)) return Promise.resolve();
    let p = this.bucketsChecked.get(bucket);
    if (!p) {
      p = this.door.send(s3('HeadBucket', { Bucket: bucket }), bucket, 'check bucket', { signal: o.signal, notFound: 'dirNotFound' }).then(
        () => undefined,
        async (err) => {
          // 404: not there; 403: someone else's (CreateBucket then says so clearly).
          if (isKind(err, 'dirNotFound') || (!lenient && isKind(err, 'permission'))) return this.makeBucket(bucket, o);
          if (!lenient || o.signal?.aborted) throw err;
          // Writes go ahead without asking again, but a later mkdir must still ask.
          this.bucketsChecked.delete(bucket);
          this.bucketsWritable.add(bucket);
        },
      );
      this.bucketsChecked.set(bucket, p);
      p.catch(() => this.bucketsChecked.delete(bucket));
    }
    return p;
  }

  private async makeBucket(bucket: string, o: CallOptions): Promise<void> {
    try {
      await this.door.send(
        s3('CreateBucket', {
          Bucket: bucket,
          ACL: (this.opt.bucketAcl || this.opt.acl || undefined) as never,
          // us-east-1 is where a bucket goes without a constraint, and AWS (and Ceph) refuse it
          // spelled out, as the AWS CLI knows.
          CreateBucketConfiguration:
            this.opt.locationConstraint && this.opt.locationConstraint !== 'us-east-1' ? { LocationConstraint: this.opt.locationConstraint as never } : undefined,
        }),
        bucket,
        'create bucket',
        o,
      );
    } catch (err) {
      const code = ((err as FsError).cause as { name?: string } | undefined)?.name;
      if (code === 'BucketAlreadyOwnedByYou') return;
      if (code === 'BucketAlreadyExists') throw fsError('other', `bucket "${bucket}" already exists and belongs to another account: choose another name`, { cause: err, retry: 'noRetry' });
      throw err;
    }
  }

  async mkdir(dir: string, o: CallOptions = {}): Promise<void> {
    const { bucket } = this.split(dir);
    if (bucket === '' || this.opt.noCheckBucket) return;
    // Directories inside a bucket are virtual: only the bucket is made.
    return this.checkBucket(bucket, o, false);
  }

  async rmdir(dir: string, o: CallOptions = {}): Promise<void> {
    const { bucket, key } = this.split(dir);
    if (bucket === '' || key !== '') return; // virtual directories vanish with their last object
    await this.door.send(s3('DeleteBucket', { Bucket: bucket }), bucket, 'remove bucket', { signal: o.signal, notFound: 'dirNotFound' });
    this.bucketsChecked.delete(bucket);
  }

  async copy(src: Obj, remote: string, o: CopyOptions = {}): Promise<Obj> {
    if (!(src instanceof S3Object)) throw fsError('cantCopy', 'not an S3 object');
    const from = src.fs as S3Fs;
    if (from.door !== this.door && (this.sameConfig === '' || from.sameConfig !== this.sameConfig)) throw fsError('cantCopy', 'not the same S3 remote');
    const { bucket, key } = this.split(remote);
    await this.ensureBucket(bucket, o);
    const { copyObject } = await import('./copy.js');
    return copyObject(this.door, this, src, { bucket, key, remote }, o);
  }

  /** Deletes objects with DeleteObjects, up to 1000 keys a request (batch-delete.ts). */
  async removeMany(objs: readonly Obj[], o: CallOptions = {}): Promise<RemoveFailure[]> {
    const failures: RemoveFailure[] = [];
    const byBucket = new Map<string, DeleteItem<Obj>[]>();
    for (const obj of objs) {
      let where: { bucket: string; key: string };
      try {
        where = obj instanceof S3Object && obj.fs === this ? obj : this.split(obj.remote);
      } catch (err) {
        failures.push({ obj, err });
        continue;
      }
      const items = byBucket.get(where.bucket);
      if (items) items.push({ key: where.key, obj });
      else byBucket.set(where.bucket, [{ key: where.key, obj }]);
    }
    for (const [bucket, items] of byBucket) {
      // Deleted or not, what the cache held about these keys may no longer be so.
      const cache = this.metaFor(bucket);
      for (const it of items) cache?.forget(it.key);
      failures.push(...(await deleteKeys(this.door, bucket, items, o)));
    }
    return failures;
  }

  /**
   * Deletes everything below dir with DeleteObjects, up to 1000 keys a request, and the
   * bucket itself when dir is a bucket.
   */
  async purge(dir: string, o: CallOptions = {}): Promise<void> {
    const { bucket, key } = this.split(dir);
    if (bucket === '') throw fsError('usage', `${this.name}: can't purge the whole remote: give a bucket or a directory`);
    const prefix = key === '' ? '' : `${key}/`;
    let batch: string[] = [];
    let found = false;
    const flush = async () => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      const failed = await deleteKeys(this.door, bucket, keys.map((k) => ({ key: k, obj: k })), o);
      // Each key's error is logged; the first one (its kind and retry class) fails the purge.
      for (const f of failed.slice(1)) logError(undefined, errorMessage(f.err));
      if (failed.length > 0) throw failed[0]!.err;
    };
    await listPages(this.door, bucket, prefix, undefined, o.signal, async (objects) => {
      for (const o of objects) {
        found = true;
        batch.push(o.Key!);
        if (batch.length === DELETE_BATCH) await flush();
      }
    });
    await flush();
    if (key === '') await this.rmdir(dir, o);
    else if (!found) throw fsError('dirNotFound', `${this.name}:${bucket}/${key}: directory not found`, { retry: 'noRetry' });
  }

  /** Unfinished multipart uploads below the root (and their journals): see upload.ts. */
  async cleanup(options: CleanupOptions = {}): Promise<void> {
    const { bucket, key } = this.split('');
    if (bucket === '') throw fsError('usage', `${this.name}: cleanup needs a bucket (remote:bucket)`);
    const { cleanupUploads } = await import('./upload.js');
    await cleanupUploads(this.door, bucket, key, options);
  }

  /** A presigned GET URL for the object (link.ts), after checking it is there, as rclone does. */
  async publicLink(remote: string, expireSeconds: number | undefined, o: CallOptions = {}): Promise<string> {
    const { bucket, key } = remote === '' ? { bucket: this.bucket, key: this.rootKey } : this.split(remote);
    const notAnObject = () => fsError('objectNotFound', `no object at ${this.name}:${[bucket, key].filter((p) => p !== '').join('/')}: a link points at one object, not at a bucket or directory`, { retry: 'noRetry' });
    if (bucket === '' || key === '') throw notAnObject();
    try {
      await this.door.send(s3('HeadObject', { Bucket: bucket, Key: key }), remote, 'find', o);
    } catch (err) {
      // A root newFs found no object at is a directory, unless the HEAD says otherwise (no right to read it).
      throw remote === '' && isKind(err, 'objectNotFound') ? notAnObject() : err;
    }
    const { objectLink, MAX_LINK_SECONDS } = await import('./link.js');
    if (expireSeconds !== undefined && expireSeconds > MAX_LINK_SECONDS) logNotice(`${this.name}:${bucket}/${key}`, `S3 links work for 7 days at most: this one expires in 7 days, not ${expireSeconds} s`);
    return objectLink(this.door, bucket, key, Math.min(expireSeconds ?? MAX_LINK_SECONDS, MAX_LINK_SECONDS));
  }

  /** Changes an object's storage class in place (tier.ts). */
  async setTier(obj: Obj, tier: string, o: CallOptions = {}): Promise<void> {
    if (!(obj instanceof S3Object) || obj.fs !== this) throw fsError('notSupported', `${obj.remote}: not an object of ${this}`, { retry: 'noRetry' });
    const { setStorageClass } = await import('./tier.js');
    await setStorageClass(this, obj, tier, o);
  }

  /** restore, restore-status, list-multipart-uploads (declared in index.ts, run in run-command.ts). */
  async command(name: string, args: string[], opts: Readonly<Record<string, string>>, options: BackendCommandOptions): Promise<unknown> {
    if (args.length > 0) throw fsError('usage', `backend ${name} takes no arguments after the path, got ${args.length}: give options with -o name=value`);
    const { runS3Command } = await import('./run-command.js');
    return runS3Command(this, name, opts, options);
  }

  async close(): Promise<void> {
    const caches = [...this.metaCaches.values()];
    this.metaCaches.clear();
    await Promise.all(caches.map((c) => c.close()));
    this.door.destroy();
  }
}

/** Reads exactly size bytes of a stream into one buffer, or fails (a short or long source). */
async function readExactly(data: Readable, size: number, remote: string, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  const onAbort = () => data.destroy(signal!.reason instanceof FsError ? signal!.reason : fsError('other', `upload ${remote}: interrupted`, { retry: 'fatal' }));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of data) {
      got += (chunk as Buffer).length;
      if (got > size) throw fsError('other', `${remote}: source is larger than its stated size ${size}`, { retry: 'retryable' });
      chunks.push(chunk as Buffer);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (got !== size) throw fsError('other', `${remote}: corrupted on transfer: expected ${size} bytes, got ${got}`, { retry: 'retryable' });
  return Buffer.concat(chunks, size);
}
