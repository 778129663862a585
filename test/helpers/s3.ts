import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { ConfigMap } from '../../src/fs/configmap.js';
import { DEFAULT_GLOBALS } from '../../src/fs/globals.js';
import { s3Backend } from '../../backends/s3/index.js';
import { newFs, type S3Fs } from '../../backends/s3/fs.js';

/** The test RGW's address and keys, as the global setup started it. */
export function s3Server() {
  return inject('s3');
}

/** Options for a remote on the test RGW; extra values override (e.g. v2_auth). */
export function rgwOptions(extra: Record<string, string> = {}): Record<string, string> {
  const s = s3Server();
  return { provider: 'Ceph', endpoint: s.endpoint, access_key_id: s.accessKeyId, secret_access_key: s.secretAccessKey, region: s.region, ...extra };
}

export async function s3Fs(root: string, values: Record<string, string> = rgwOptions()): Promise<{ fs: S3Fs; file?: string }> {
  const res = await newFs('rgw', root, new ConfigMap(s3Backend.options, [{ source: 'test', values }]), DEFAULT_GLOBALS);
  return res as { fs: S3Fs; file?: string };
}

/** A bucket name no other test uses. */
export function uniqueBucket(prefix = 'nclone-test'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** An environment for child processes that reach the RGW only through the arguments given. */
export function s3ConnectionString(extra: Record<string, string> = {}): string {
  const opts = rgwOptions(extra);
  return ':s3,' + Object.entries(opts).map(([k, v]) => `${k}='${v.replace(/'/g, "''")}'`).join(',') + ':';
}
