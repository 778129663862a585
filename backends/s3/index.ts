import type { BackendDef } from '../../src/fs/registry.js';
import { S3_OPTIONS } from './options.js';

export const s3Backend: BackendDef = {
  name: 's3',
  description: 'Amazon S3 and S3-compatible storage (Ceph, MinIO, Wasabi, DigitalOcean Spaces, ...)',
  options: S3_OPTIONS,
  // The AWS SDK is large: it loads only when an S3 path is used.
  load: () => import('./fs.js'),
};
