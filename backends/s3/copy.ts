import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type CopyObjectCommandInput,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { completed, noResult } from './errors.js';
import type { CopyOptions } from '../../src/fs/types.js';
import { headersOf, uploadMeta, type ObjectHeaders } from './metadata.js';
import type { S3Door } from './door.js';
import { S3Object, type ObjectMeta, type S3Home } from './object.js';
import { copySource } from './keys.js';
import { abortStrays, abortUpload, partSizeFor } from './upload.js';
import { attemptsOf } from './client.js';

export type CopyExtra = Pick<CopyObjectCommandInput, 'StorageClass' | 'GrantRead' | 'GrantReadACP' | 'GrantWriteACP' | 'GrantFullControl'>;

/**
 * Server-side copy: CopyObject below copy_cutoff (metadata, and so the mtime, copied),
 * UploadPartCopy above it so objects over 5 GiB can be copied. A failed multipart copy
 * is aborted.
 */
export async function copyObject(
  door: S3Door,
  home: S3Home,
  src: S3Object,
  dst: { bucket: string; key: string; remote: string },
  o: CopyOptions = {},
  /** Headers that replace the remote's own for this copy (settier: the storage class and the source's grants). */
  extra: CopyExtra = {},
): Promise<S3Object> {
  let mtime = await src.modTime(o);
  const md5 = await src.hash('md5', o);
  // -M with --metadata-set: the copy gets the metadata given (the source's, amended) instead of the source's own.
  const given = o.metadata ? await uploadMeta({ remote: dst.remote, size: src.size, modTime: mtime, metadata: o.metadata }) : undefined;
  if (given) {
    mtime = given.modTime;
    if (md5) given.metadata.md5chksum = Buffer.from(md5, 'hex').toString('base64');
  }
  const meta: ObjectMeta = { mtime, md5: md5 || undefined, metadata: given?.metadata ?? {}, headers: given?.headers };
  const directive = given ? { MetadataDirective: 'REPLACE' as const, Metadata: given.metadata, ...given.headers } : { MetadataDirective: 'COPY' as const };
  if (src.size <= door.opt.copyCutoff) {
    const res = await door.send<{ CopyObjectResult?: { ETag?: string } }>(
      new CopyObjectCommand({ ...door.writeParams(dst.bucket, dst.key), ...extra, CopySource: copySource(src.bucket, src.key), ...directive }),
      dst.remote,
      'copy to',
      o,
    );
    // S3 may answer 200 and only then fail, with an <Error> body: no result is no copy.
    if (!res.CopyObjectResult?.ETag) throw noResult(door.name, dst.remote, 'copy to');
    return S3Object.known(home, dst.remote, dst.bucket, dst.key, src.size, res.CopyObjectResult.ETag, meta);
  }
  // A multipart copy does not carry metadata over: write the source's (or the given) again.
  if (!given) {
    const head = await door.send<{ Metadata?: Record<string, string> } & ObjectHeaders>(new HeadObjectCommand({ Bucket: src.bucket, Key: src.key }), src.remote, 'read metadata of', o);
    meta.metadata = { ...head.Metadata };
    meta.headers = headersOf(head);
  }
  if (md5 && !meta.metadata.md5chksum) meta.metadata.md5chksum = Buffer.from(md5, 'hex').toString('base64');
  const create = new CreateMultipartUploadCommand({ ...door.writeParams(dst.bucket, dst.key), ...extra, Metadata: meta.metadata, ...meta.headers });
  const startedAt = Date.now();
  const created = await door.send<{ UploadId?: string }>(create, dst.remote, 'start copy to', o);
  if (!created.UploadId) throw noResult(door.name, dst.remote, 'start copy to');
  const uploadId = created.UploadId;
  if (attemptsOf(create) > 1) await abortStrays(door, dst, uploadId, startedAt, o.signal);
  try {
    const partSize = partSizeFor(src.size, Math.max(door.opt.copyCutoff, door.opt.chunkSize), door.opt.maxUploadParts);
    const limit = pLimit(door.opt.uploadConcurrency);
    const jobs: Promise<CompletedPart>[] = [];
    for (let start = 0, part = 1; start < src.size; start += partSize, part++) {
      const end = Math.min(start + partSize, src.size) - 1;
      const partNumber = part;
      jobs.push(
        limit(async () => {
          const res = await door.send<{ CopyPartResult?: { ETag?: string } }>(
            new UploadPartCopyCommand({
              Bucket: dst.bucket,
              Key: dst.key,
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: copySource(src.bucket, src.key),
              CopySourceRange: `bytes=${start}-${end}`,
            }),
            dst.remote,
            `copy part ${partNumber} to`,
            o,
          );
          return { PartNumber: partNumber, ETag: res.CopyPartResult?.ETag };
        }),
      );
    }
    // Wait for every part, even after a failure, so the abort below comes after the last one.
    const settled = await Promise.allSettled(jobs);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const parts = settled.map((r) => (r as PromiseFulfilledResult<CompletedPart>).value);
    const done = await door.send<{ ETag?: string; Key?: string; Location?: string }>(
      new CompleteMultipartUploadCommand({ Bucket: dst.bucket, Key: dst.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      dst.remote,
      'finish copy to',
      o,
    );
    if (!completed(done)) throw noResult(door.name, dst.remote, 'finish copy to');
    return S3Object.known(home, dst.remote, dst.bucket, dst.key, src.size, done.ETag ?? '', meta);
  } catch (err) {
    await abortUpload(door, dst, uploadId);
    throw err;
  }
}

