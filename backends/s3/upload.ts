import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { fsError } from '../../src/fs/errors.js';
import type { CleanupOptions, Timestamp } from '../../src/fs/types.js';
import { logInfo, logNotice } from '../../src/lib/log.js';
import type { S3Door } from './door.js';
import { mapS3Error } from './errors.js';

/** Aborts a multipart upload (unless leave_parts_on_error); an upload already gone is fine. */
export async function abortUpload(door: S3Door, t: { bucket: string; key: string }, uploadId: string | undefined): Promise<void> {
  if (!uploadId || door.opt.leavePartsOnError) return;
  await door.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId }), t.key, 'abort upload of').catch(() => undefined);
}

/**
 * Passes exactly `size` bytes or fails: a short stream would otherwise leave the HTTP
 * request waiting for bytes that never come, and a long one would be cut silently.
 */
export class ExactSize extends Transform {
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly remote: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.size) cb(fsError('other', `${this.remote}: source is larger than its stated size ${this.size}`, { retry: 'retryable' }));
    else cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.seen !== this.size) cb(fsError('other', `${this.remote}: corrupted on transfer: expected ${this.size} bytes, got ${this.seen}`, { retry: 'retryable' }));
    else cb();
  }
}

/**
 * Fails at once when the run was interrupted, or the source already failed or closed, before
 * the upload began: the request would otherwise wait forever for bytes that never come.
 */
export function checkStartable(data: Readable, signal: AbortSignal | undefined, remote: string): void {
  if (signal?.aborted) {
    data.destroy();
    throw signal.reason instanceof Error ? signal.reason : fsError('other', `upload ${remote}: interrupted`, { retry: 'fatal' });
  }
  if (data.errored) throw data.errored;
  if (data.destroyed) throw fsError('other', `upload ${remote}: the source was closed before the upload began`, { retry: 'retryable' });
}

/** Passes the source's failure, or its closing before the end, on to the stream the request reads. */
export function forwardSourceEnd(data: Readable, into: Transform, remote: string): void {
  data.once('error', (e) => into.destroy(e));
  data.once('close', () => {
    if (!data.readableEnded && !into.destroyed) into.destroy(data.errored ?? fsError('other', `upload ${remote}: the source was closed before its end`, { retry: 'retryable' }));
  });
}

export interface MultipartTarget {
  bucket: string;
  key: string;
  remote: string;
  /** -1 when unknown. */
  size: number;
  metadata: Record<string, string>;
  signal?: AbortSignal;
  /** Where the data comes from, and its mtime: what identifies the source to resume from. */
  origin?: string;
  modTime?: Timestamp;
}

/** The smallest part size (at least chunk_size) that fits the object in max_upload_parts parts. */
export function partSizeFor(size: number, chunkSize: number, maxParts: number): number {
  if (size < 0) return chunkSize;
  const min = Math.ceil(size / maxParts);
  if (min <= chunkSize) return chunkSize;
  const MiB = 1024 * 1024;
  return Math.ceil(min / MiB) * MiB;
}

/**
 * A multipart upload through lib-storage: upload_concurrency parts at once, and on any
 * failure or interrupt the upload is aborted so no parts are left behind (unless
 * leave_parts_on_error). The byte count is checked before the upload is completed.
 */
export async function uploadMultipart(fs: S3Door, t: MultipartTarget, data: Readable): Promise<{ size: number; etag: string }> {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (t.size >= 0 && bytes > t.size) cb(fsError('other', `${t.remote}: source is larger than its stated size ${t.size}`, { retry: 'retryable' }));
      else cb(null, chunk);
    },
    flush(cb) {
      if (t.size >= 0 && bytes !== t.size) cb(fsError('other', `${t.remote}: corrupted on transfer: expected ${t.size} bytes, got ${bytes}`, { retry: 'retryable' }));
      else cb();
    },
  });
  checkStartable(data, t.signal, t.remote);
  forwardSourceEnd(data, counted, t.remote);
  const upload = new Upload({
    client: fs.client,
    params: { ...fs.writeParams(t.bucket, t.key), Body: data.pipe(counted), Metadata: t.metadata },
    partSize: partSizeFor(t.size, fs.opt.chunkSize, fs.opt.maxUploadParts),
    queueSize: fs.opt.uploadConcurrency,
    leavePartsOnError: fs.opt.leavePartsOnError,
  });
  const stop = () => void upload.abort().catch(() => undefined);
  t.signal?.addEventListener('abort', stop, { once: true });
  // A source error must fail the upload even if lib-storage is between reads.
  let sourceError: unknown;
  counted.once('error', (e) => {
    sourceError = e;
    stop();
  });
  try {
    const res = await upload.done();
    if (sourceError !== undefined) throw sourceError;
    return { size: bytes, etag: res.ETag ?? '' };
  } catch (err) {
    // done() can reject on an abort before lib-storage has aborted the upload itself: do it
    // here and wait for it, so no parts are left once this returns.
    await abortUpload(fs, t, (upload as unknown as { uploadId?: string }).uploadId);
    throw sourceError ?? mapS3Error(err, fs.errorContext(t.remote, 'upload'));
  } finally {
    t.signal?.removeEventListener('abort', stop);
  }
}

/**
 * Aborts unfinished multipart uploads below bucket/prefix (rclone's cleanup), those started
 * longer ago than maxAgeMs when given.
 */
export async function cleanupUploads(door: S3Door, bucket: string, prefix: string, o: CleanupOptions): Promise<void> {
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const res = await door.send<{
      Uploads?: { Key?: string; UploadId?: string; Initiated?: Date }[];
      IsTruncated?: boolean;
      NextKeyMarker?: string;
      NextUploadIdMarker?: string;
    }>(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix === '' ? undefined : `${prefix}/`, KeyMarker: keyMarker, UploadIdMarker: idMarker }), bucket, 'list unfinished uploads of', { signal: o.signal });
    for (const u of res.Uploads ?? []) {
      if (!u.Key || !u.UploadId) continue;
      const age = u.Initiated ? Date.now() - u.Initiated.getTime() : Infinity;
      if (o.maxAgeMs !== undefined && age < o.maxAgeMs) continue;
      if (o.dryRun) {
        logNotice(u.Key, 'Skipped aborting the unfinished upload as --dry-run is set');
        continue;
      }
      await door.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }), u.Key, 'abort upload of', { signal: o.signal });
      logInfo(u.Key, 'Aborted an unfinished multipart upload');
    }
    if (!res.IsTruncated) return;
    const next = `${res.NextKeyMarker ?? ''}\u0000${res.NextUploadIdMarker ?? ''}`;
    if (seen.has(next) || (!res.NextKeyMarker && !res.NextUploadIdMarker)) throw mapS3Error(new Error('the listing of unfinished uploads repeats itself'), door.errorContext(bucket, 'list unfinished uploads of'));
    seen.add(next);
    keyMarker = res.NextKeyMarker;
    idMarker = res.NextUploadIdMarker;
  }
}
