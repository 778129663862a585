import type { BackendCommandDef, BackendDef } from '../../src/fs/registry.js';
import { S3_OPTIONS } from './options.js';
import { parseS3Url } from './url.js';
import type { MetadataHelp } from '../../src/fs/metadata.js';

/**
 * The S3 backend's own commands, as data: `nclone backend help s3` and docs/backends/s3.md
 * show them, and `nclone backend` refuses names and -o options not listed here before
 * anything is sent. run-command.ts runs them.
 */
export const S3_COMMANDS: BackendCommandDef[] = [
  {
    name: 'restore',
    summary: 'Start restoring archived objects (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING archive tiers) so they can be read.',
    description: [
      'Asks S3 to make a readable copy of every archived object below the path (or of the one object the path names) for a number of days. Filters apply, so --include and --exclude choose the objects; try it first with --dry-run, which lists the objects without asking for anything.',
      'Objects in other storage classes are left alone. S3 takes minutes to hours to finish a restore: follow it with `backend restore-status`.',
      'Prints a JSON list with one entry per object: "Remote" is its path and "Status" is "OK" when S3 accepted the request, else why not. Exits non-zero when any request failed.',
    ].join('\n\n'),
    opts: {
      priority: 'how fast and at what price: Standard, Expedited or Bulk (S3 defaults to Standard)',
      lifetime: 'days the restored copy stays readable (required for GLACIER and DEEP_ARCHIVE; not sent for INTELLIGENT_TIERING)',
      description: 'a note stored with the restore request',
    },
    examples: ['nclone backend restore s3remote:bucket/path -o priority=Standard -o lifetime=1', 'nclone backend restore --include "*.txt" --dry-run s3remote:bucket/path -o priority=Bulk -o lifetime=7'],
  },
  {
    name: 'restore-status',
    summary: 'Show the objects below the path that are being restored or have been restored.',
    description: [
      'Lists the objects below the path that S3 reports a restore status for, as a JSON list of {"Remote", "VersionID", "RestoreStatus": {"IsRestoreInProgress", "RestoreExpiryDate"}, "StorageClass"}. With -o all every object is listed, RestoreStatus null where there is none.',
      'The status comes from the listing (ListObjectsV2 with the RestoreStatus attribute, one request per 1000 objects); servers that do not support that attribute (Ceph, for one) report none. Filters do not apply, as in rclone.',
    ].join('\n\n'),
    opts: { all: 'list every object, not only those with a restore status' },
    examples: ['nclone backend restore-status s3remote:bucket/path', 'nclone backend restore-status s3remote:bucket -o all'],
  },
  {
    name: 'list-multipart-uploads',
    summary: 'List the unfinished multipart uploads, by bucket.',
    description: [
      'Prints a JSON object whose keys are buckets and whose values are lists of the unfinished multipart uploads in them: {"ChecksumAlgorithm", "Initiated", "Initiator": {"DisplayName", "ID"}, "Key", "Owner": {"DisplayName", "ID"}, "StorageClass", "UploadId"}, null where the server says nothing.',
      'At the top of a remote every bucket is listed; with a bucket only that bucket; with a path only the uploads whose key starts with it. Remove old ones with `nclone cleanup`.',
    ].join('\n\n'),
    examples: ['nclone backend list-multipart-uploads s3remote:bucket', 'nclone backend list-multipart-uploads s3remote:'],
  },
];

const time = { type: 'RFC 3339', example: '2006-01-02T15:04:05.999999999Z' };
/** The system metadata keys -M reads and writes (metadata.ts), for help and docs. */
export const S3_METADATA: Record<string, MetadataHelp> = {
  btime: { help: 'Time of upload, read from the Last-Modified header', ...time, readOnly: true },
  'cache-control': { help: 'Cache-Control header', type: 'string', example: 'no-cache' },
  'content-disposition': { help: 'Content-Disposition header', type: 'string', example: 'inline' },
  'content-encoding': { help: 'Content-Encoding header', type: 'string', example: 'gzip' },
  'content-language': { help: 'Content-Language header', type: 'string', example: 'en-US' },
  'content-type': { help: 'Content-Type header', type: 'string', example: 'text/plain' },
  mtime: { help: 'Time of last modification, kept in X-Amz-Meta-Mtime', ...time },
  tier: { help: 'Storage class of the object', type: 'string', example: 'GLACIER', readOnly: true },
};

export const s3Backend: BackendDef = {
  name: 's3',
  description: 'Amazon S3 and S3-compatible storage (Ceph, MinIO, Wasabi, DigitalOcean Spaces, ...)',
  options: S3_OPTIONS,
  url: { schemes: ['s3'], parse: (rest) => parseS3Url(rest) },
  commands: S3_COMMANDS,
  metadata: S3_METADATA,
  // The AWS SDK is large: it loads only when an S3 path is used.
  load: () => import('./fs.js'),
};
