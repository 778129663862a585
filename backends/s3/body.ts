import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { FsError, fsError } from '../../src/fs/errors.js';

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
    if (this.seen > this.size) cb(largerError(this.remote, this.size));
    else cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.seen !== this.size) cb(shortError(this.remote, this.size, this.seen));
    else cb();
  }
}

export function largerError(remote: string, size: number): FsError {
  return fsError('other', `${remote}: source is larger than its stated size ${size}`, { retry: 'retryable' });
}

export function shortError(remote: string, size: number, got: number): FsError {
  return fsError('other', `${remote}: corrupted on transfer: expected ${size} bytes, got ${got}`, { retry: 'retryable' });
}

export function closedError(remote: string): FsError {
  return fsError('other', `upload ${remote}: the source was closed before its end`, { retry: 'retryable' });
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
    if (!data.readableEnded && !into.destroyed) into.destroy(data.errored ?? closedError(remote));
  });
}
