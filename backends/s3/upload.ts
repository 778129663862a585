import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { fsError } from '../../src/fs/errors.js';
import type { S3Fs } from './fs.js';
import { mapS3Error } from './errors.js';

/** Aborts a multipart upload (unless leave_parts_on_error); an upload already gone is fine. */
export async function abortUpload(fs: S3Fs, t: { bucket: string; key: string }, uploadId: string | undefined): Promise<void> {
  if (!uploadId || fs.opt.leavePartsOnError) return;
  await fs.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId })).catch(() => undefined);
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
export async function uploadMultipart(fs: S3Fs, t: MultipartTarget, data: Readable): Promise<{ size: number; etag: string }> {
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
