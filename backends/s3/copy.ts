import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { S3Fs } from './fs.js';
import { S3Object } from './object.js';
import { copySource } from './keys.js';
import { abortUpload, partSizeFor } from './upload.js';

/**
 * Server-side copy: CopyObject below copy_cutoff (metadata, and so the mtime, copied),
 * UploadPartCopy above it so objects over 5 GiB can be copied. A failed multipart copy
 * is aborted.
 */
export async function copyObject(fs: S3Fs, src: S3Object, dst: { bucket: string; key: string; remote: string }): Promise<S3Object> {
  const mtime = await src.modTime();
  const md5 = await src.hash('md5');
  const meta = { mtime, md5: md5 || undefined, metadata: {} as Record<string, string> };
  if (src.size <= fs.opt.copyCutoff) {
    const res = await fs.send<{ CopyObjectResult?: { ETag?: string } }>(
      new CopyObjectCommand({ ...fs.writeParams(dst.bucket, dst.key), CopySource: copySource(src.bucket, src.key), MetadataDirective: 'COPY' }),
      dst.remote,
      'copy to',
    );
    return S3Object.known(fs, dst.remote, dst.bucket, dst.key, src.size, res.CopyObjectResult?.ETag ?? '', meta);
  }
  // A multipart copy does not carry metadata over: write the source's again.
  const head = await fs.send<{ Metadata?: Record<string, string>; ContentType?: string }>(
    new HeadObjectCommand({ Bucket: src.bucket, Key: src.key }),
    src.remote,
    'read metadata of',
  );
  meta.metadata = { ...head.Metadata };
  if (md5 && !meta.metadata.md5chksum) meta.metadata.md5chksum = Buffer.from(md5, 'hex').toString('base64');
  const created = await fs.send<{ UploadId?: string }>(
    new CreateMultipartUploadCommand({ ...fs.writeParams(dst.bucket, dst.key), Metadata: meta.metadata, ContentType: head.ContentType }),
    dst.remote,
    'start copy to',
  );
  const uploadId = created.UploadId!;
  try {
    const partSize = partSizeFor(src.size, Math.max(fs.opt.copyCutoff, fs.opt.chunkSize), fs.opt.maxUploadParts);
    const limit = pLimit(fs.opt.uploadConcurrency);
    const jobs: Promise<CompletedPart>[] = [];
    for (let start = 0, part = 1; start < src.size; start += partSize, part++) {
      const end = Math.min(start + partSize, src.size) - 1;
      const partNumber = part;
      jobs.push(
        limit(async () => {
          const res = await fs.send<{ CopyPartResult?: { ETag?: string } }>(
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
    const done = await fs.send<{ ETag?: string }>(
      new CompleteMultipartUploadCommand({ Bucket: dst.bucket, Key: dst.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      dst.remote,
      'finish copy to',
    );
    return S3Object.known(fs, dst.remote, dst.bucket, dst.key, src.size, done.ETag ?? '', meta);
  } catch (err) {
    await abortUpload(fs, dst, uploadId);
    throw err;
  }
}
