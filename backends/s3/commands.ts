import type * as S3 from '@aws-sdk/client-s3';

/**
 * An S3 request as plain data. The door sends it straight (lean.ts) or makes the SDK's
 * command of the same name for it, loading the SDK only then: a command that needs no
 * SDK request never pays for loading it.
 */
/** Which try of how many a request is, for the -vv request log. */
export type Attempt = { attempt: number; of: number };

export interface S3Request {
  readonly op: string;
  readonly input: object;
}

interface Inputs {
  HeadObject: S3.HeadObjectCommandInput;
  GetObject: S3.GetObjectCommandInput;
  PutObject: S3.PutObjectCommandInput;
  DeleteObject: S3.DeleteObjectCommandInput;
  DeleteObjects: S3.DeleteObjectsCommandInput;
  CopyObject: S3.CopyObjectCommandInput;
  GetObjectAcl: S3.GetObjectAclCommandInput;
  ListObjects: S3.ListObjectsCommandInput;
  ListObjectsV2: S3.ListObjectsV2CommandInput;
  ListBuckets: S3.ListBucketsCommandInput;
  HeadBucket: S3.HeadBucketCommandInput;
  CreateBucket: S3.CreateBucketCommandInput;
  DeleteBucket: S3.DeleteBucketCommandInput;
  CreateMultipartUpload: S3.CreateMultipartUploadCommandInput;
  UploadPart: S3.UploadPartCommandInput;
  UploadPartCopy: S3.UploadPartCopyCommandInput;
  CompleteMultipartUpload: S3.CompleteMultipartUploadCommandInput;
  AbortMultipartUpload: S3.AbortMultipartUploadCommandInput;
  ListParts: S3.ListPartsCommandInput;
  ListMultipartUploads: S3.ListMultipartUploadsCommandInput;
  RestoreObject: S3.RestoreObjectCommandInput;
}

export type S3Op = keyof Inputs;

export function s3<Op extends S3Op>(op: Op, input: Inputs[Op]): S3Request {
  return { op, input };
}
