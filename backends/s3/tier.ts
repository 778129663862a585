import type { StorageClass } from '@aws-sdk/client-s3';
import { fsError, FsError } from '../../src/fs/errors.js';
import type { CallOptions } from '../../src/fs/types.js';
import { logDebug } from '../../src/lib/log.js';
import { s3 } from './commands.js';
import { copyObject } from './copy.js';
import { noResult } from './errors.js';
import { copySource } from './keys.js';
import type { S3Home, S3Object } from './object.js';

/**
 * Moves an object to another storage class by copying it onto itself with the new class
 * (rclone's SetTier): data, metadata and content type are kept, and so are its grants
 * unless the remote sets an acl. Above copy_cutoff the copy is a multipart one.
 */
export async function setStorageClass(home: S3Home, obj: S3Object, tier: string, o: CallOptions = {}): Promise<void> {
  const target = tier.toUpperCase();
  const where = `${home.name}:${obj.bucket}/${obj.key}`;
  // S3 (and Ceph) refuse a copy onto itself that changes nothing: there is nothing to do.
  if (obj.tier() === target) {
    logDebug(where, `already in storage class ${target}`);
    return;
  }
  const door = home.door;
  const grants = door.opt.acl ? undefined : await obj.currentGrants(o);
  const extra = { ...grants, StorageClass: target as StorageClass };
  try {
    if (obj.size > door.opt.copyCutoff) {
      await copyObject(door, home, obj, { bucket: obj.bucket, key: obj.key, remote: obj.remote }, o, extra);
    } else {
      const res = await door.send<{ CopyObjectResult?: { ETag?: string } }>(
        s3('CopyObject', { ...door.writeParams(obj.bucket, obj.key), ...extra, CopySource: copySource(obj.bucket, obj.key), MetadataDirective: 'COPY' }),
        obj.remote,
        'set storage class of',
        o,
      );
      if (!res.CopyObjectResult?.ETag) throw noResult(door.name, obj.remote, 'set storage class of');
    }
  } catch (err) {
    throw explain(err, where, target);
  }
  // The copy has a new LastModified: what the metadata cache knew no longer matches it.
  home.metaFor(obj.bucket)?.forget(obj.key);
  obj.storageClass = target;
}

/** A refused storage class said as such: the server's own words are a bare "InvalidArgument". */
function explain(err: unknown, where: string, target: string): unknown {
  const code = err instanceof FsError ? (err.cause as { name?: string; Code?: string } | undefined)?.name : undefined;
  if (code === 'InvalidStorageClass' || code === 'InvalidArgument') {
    return fsError('other', `set storage class of ${where}: the server does not accept storage class "${target}" (${code}): use one the provider offers (on AWS: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, REDUCED_REDUNDANCY)`, {
      cause: err,
      retry: 'noRetry',
    });
  }
  return err;
}
