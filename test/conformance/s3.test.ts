/**
 * The conformance suite against the S3 backend on the test Ceph RGW, signed with
 * signature v4 and again with v2.
 */
import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Entry } from '../../src/fs/types.js';
import { rgwOptions, s3Fs, uniqueBucket } from '../helpers/s3.js';
import { runConformance } from './suite.js';

const bucket = uniqueBucket('conformance');

beforeAll(async () => {
  const { fs } = await s3Fs('');
  await fs.mkdir(bucket);
});

afterAll(async () => {
  const { fs } = await s3Fs(bucket);
  await emptyPrefix(fs);
  const root = await s3Fs('');
  await root.fs.rmdir(bucket);
});

async function emptyPrefix(fs: Awaited<ReturnType<typeof s3Fs>>['fs']): Promise<void> {
  const objects: Entry[] = [];
  await fs.listR('', async (page) => void objects.push(...page)).catch(() => undefined);
  for (const o of objects) if (o.kind === 'object') await o.remove();
}

for (const [label, extra] of [
  ['s3 signature v4', {}],
  ['s3 signature v2', { v2_auth: 'true' }],
] as const) {
  runConformance(label, {
    async makeFs() {
      const { fs } = await s3Fs(`${bucket}/${randomBytes(4).toString('hex')}`, rgwOptions(extra));
      return { fs, cleanup: () => emptyPrefix(fs) };
    },
  });
}
