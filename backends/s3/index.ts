import type { BackendDef } from '../../src/fs/registry.js';
import { S3_OPTIONS } from './options.js';
import { parseS3Url } from './url.js';

export const s3Backend: BackendDef = {
  name: 's3',
  description: 'Amazon S3 and S3-compatible storage (Ceph, MinIO, Wasabi, DigitalOcean Spaces, ...)',
  options: S3_OPTIONS,
  url: { schemes: ['s3'], parse: (rest) => parseS3Url(rest) },
  // The AWS SDK is large: it loads only when an S3 path is used.
  load: () => import('./fs.js'),
};
