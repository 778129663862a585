import { createHash } from 'node:crypto';
import type { BuildMiddleware, HttpRequest } from '@smithy/types';
import { FsError, fsError, isKind } from '../../src/fs/errors.js';
import type { CallOptions } from '../../src/fs/types.js';
import { quoteName } from '../../src/lib/escape.js';
import { logDebug } from '../../src/lib/log.js';
import type { S3Door } from './door.js';
import { mapS3Error } from './errors.js';

/** S3's limit on the keys of one DeleteObjects request. */
export const DELETE_BATCH = 1000;

/** Single deletes in flight at once when a batch has to go key by key. */
const SINGLE_CONCURRENCY = 8;

export interface DeleteItem<T> {
  key: string;
  obj: T;
}

export interface DeleteFailure<T> {
  obj: T;
  err: unknown;
}

/**
 * Remotes whose server answered DeleteObjects with 501 (a clone without it): the rest of
 * the run deletes key by key there, rather than trying and failing once per batch.
 */
const noBatchDelete = new WeakSet<S3Door>();

/**
 * Deletes the keys of one bucket with DeleteObjects, DELETE_BATCH keys a request, and
 * resolves with the items that were not deleted and why (errors mapped as for a single
 * delete; a key the server no longer has counts as deleted, as DeleteObject says). Throws
 * only what stops everything (the run aborted; a request that failed after its retries
 * is reported against each of its keys instead, so the outcome of the others is kept).
 *
 * Quiet is off: the answer must then name every key sent, as Deleted or as an Error, so a
 * 200 that is no DeleteResult, or one that forgets keys, is never taken for success.
 */
export async function deleteKeys<T>(door: S3Door, bucket: string, items: readonly DeleteItem<T>[], o: CallOptions = {}): Promise<DeleteFailure<T>[]> {
  const failures: DeleteFailure<T>[] = [];
  // Keys with control characters are not safe in an XML body (most are not even legal
  // XML 1.0, and line ends are normalised): those go one by one, in the URL.
  const batchable: DeleteItem<T>[] = [];
  const single: DeleteItem<T>[] = [];
  for (const item of items) (XML_UNSAFE.test(item.key) ? single : batchable).push(item);
  for (let i = 0; i < batchable.length; i += DELETE_BATCH) {
    throwIfAborted(o.signal);
    const chunk = batchable.slice(i, i + DELETE_BATCH);
    if (noBatchDelete.has(door)) single.push(...chunk);
    else failures.push(...(await deleteChunk(door, bucket, chunk, single, o)));
  }
  if (single.length > 0) failures.push(...(await deleteOneByOne(door, bucket, single, o)));
  return failures;
}

const XML_UNSAFE = /[\u0000-\u001f\u007f\u0085\u2028]/;

/** One DeleteObjects request; a server without it moves the chunk onto `single` instead. */
async function deleteChunk<T>(door: S3Door, bucket: string, chunk: DeleteItem<T>[], single: DeleteItem<T>[], o: CallOptions): Promise<DeleteFailure<T>[]> {
  // Loaded here, not at start-up: a command that deletes nothing never pays for the SDK.
  const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  const cmd = new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((it) => ({ Key: it.key })), Quiet: false } });
  cmd.middlewareStack.add(contentMd5Only(), { step: 'build', priority: 'low', name: 'ncloneDeleteContentMd5' });
  type Answer = { Deleted?: { Key?: string }[]; Errors?: { Key?: string; Code?: string; Message?: string }[] };
  let res: Answer;
  try {
    res = await door.send<Answer>(cmd, bucket, 'remove', { signal: o.signal });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    if (notImplemented(err)) {
      logDebug(`${door.name}:${bucket}`, 'the server does not implement DeleteObjects: deleting one key a request from now on');
      noBatchDelete.add(door);
      single.push(...chunk);
      return [];
    }
    return chunk.map((it) => ({ obj: it.obj, err }));
  }
  if (res.Deleted === undefined && res.Errors === undefined) {
    const err = fsError('other', `remove ${door.name}:${bucket}: the server answered DeleteObjects with 200 but not with a DeleteResult`, { retry: 'retryable' });
    return chunk.map((it) => ({ obj: it.obj, err }));
  }
  const byKey = new Map<string, DeleteItem<T>[]>();
  for (const it of chunk) {
    const same = byKey.get(it.key);
    if (same) same.push(it);
    else byKey.set(it.key, [it]);
  }
  const failures: DeleteFailure<T>[] = [];
  // A key the answer calls both deleted and failed is not taken as deleted.
  const refused = new Set((res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey').map((e) => e.Key ?? ''));
  for (const d of res.Deleted ?? []) if (!refused.has(d.Key ?? '')) byKey.delete(d.Key ?? '');
  for (const e of res.Errors ?? []) {
    const same = byKey.get(e.Key ?? '');
    if (!same) continue;
    byKey.delete(e.Key ?? '');
    if (e.Code === 'NoSuchKey') continue;
    // The same shape as an SDK error, so the mapping (and the retry class) is the single delete's.
    const err = mapS3Error({ name: e.Code, Code: e.Code, message: e.Message }, door.errorContext(`${bucket}/${e.Key}`, 'remove'));
    for (const it of same) failures.push({ obj: it.obj, err });
  }
  for (const [key, same] of byKey) {
    const err = fsError('other', `remove ${door.name}:${bucket}/${quoteName(key)}: the server's DeleteObjects answer did not say whether it was deleted`, { retry: 'retryable' });
    for (const it of same) failures.push({ obj: it.obj, err });
  }
  return failures;
}

/** DeleteObject per key, a few at a time: clones without DeleteObjects, and keys XML can't carry. */
async function deleteOneByOne<T>(door: S3Door, bucket: string, items: DeleteItem<T>[], o: CallOptions): Promise<DeleteFailure<T>[]> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const failures: DeleteFailure<T>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      throwIfAborted(o.signal);
      const it = items[next++]!;
      try {
        await door.send(new DeleteObjectCommand({ Bucket: bucket, Key: it.key }), `${bucket}/${it.key}`, 'remove', { signal: o.signal });
      } catch (err) {
        if (o.signal?.aborted) throw err;
        if (!isKind(err, 'objectNotFound')) failures.push({ obj: it.obj, err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SINGLE_CONCURRENCY, items.length) }, worker));
  return failures;
}

/** A 501 (NotImplemented): the server has no DeleteObjects. */
function notImplemented(err: unknown): boolean {
  const cause = (err instanceof FsError ? err.cause : err) as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return cause?.$metadata?.httpStatusCode === 501 || cause?.Code === 'NotImplemented' || cause?.name === 'NotImplemented';
}

/**
 * DeleteObjects must carry a checksum of its body. The SDK sends a CRC32 header, which AWS
 * takes but many S3 clones refuse (MinIO and others ask for Content-MD5); Content-MD5 is
 * what every implementation has accepted since the operation exists, so it alone is sent.
 * Runs after the SDK's checksum step and before signing (both signatures cover it).
 */
function contentMd5Only<I extends object, O extends object>(): BuildMiddleware<I, O> {
  return (next) => async (args) => {
    const request = args.request as HttpRequest;
    if (typeof request.body === 'string' || request.body instanceof Uint8Array) {
      for (const name of Object.keys(request.headers)) {
        const l = name.toLowerCase();
        if (l.startsWith('x-amz-checksum-') || l === 'x-amz-sdk-checksum-algorithm' || l === 'content-md5') delete request.headers[name];
      }
      request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
    }
    return next(args);
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof FsError ? signal.reason : fsError('other', 'interrupted', { retry: 'fatal' });
}
