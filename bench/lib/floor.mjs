// The server's own limit for one large object (workload 5): the same transfer done by curl,
// a small C client with no S3 logic, through presigned URLs, timed like the tools. Nothing
// here is compared with rclone: it says how far either tool is from what the server allows.
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { median, timed } from './measure.mjs';

function client(rgw) {
  return new S3Client({ endpoint: rgw.endpoint, region: rgw.region || 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey } });
}

async function presign(rgw, command) {
  const c = client(rgw);
  try {
    return await getSignedUrl(c, command, { expiresIn: 3600 });
  } finally {
    c.destroy();
  }
}

async function curl(h, args) {
  const r = await timed('curl', ['-sS', '--fail', ...args], { env: h.env, tmp: h.base, cwd: h.root });
  if (r.status !== 0) throw new Error(`curl ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
  return r.wallMs / 1000;
}

/** Seconds for one PUT of file by curl (median of rounds). */
export async function uploadFloor(h, file, bucket, key, rounds) {
  const url = await presign(h.rgw, new PutObjectCommand({ Bucket: bucket, Key: key }));
  const times = [];
  for (let i = 0; i < rounds; i++) times.push(await curl(h, ['-o', '/dev/null', '-T', file, url]));
  return median(times);
}

/**
 * Seconds to read the object of size bytes to /dev/null: the faster of one GET and `streams`
 * ranged GETs at once (as the tools' multi-thread downloads do), median of rounds.
 */
export async function downloadFloor(h, bucket, key, size, streams, rounds) {
  const url = await presign(h.rgw, new GetObjectCommand({ Bucket: bucket, Key: key }));
  const one = [];
  const many = [];
  const part = Math.ceil(size / streams);
  for (let i = 0; i < rounds; i++) {
    one.push(await curl(h, ['-o', '/dev/null', url]));
    // One curl, `streams` transfers at once (--parallel), each its own range (--next).
    const args = ['--parallel', '--parallel-max', String(streams)];
    for (let s = 0; s < streams; s++) args.push(...(s ? ['--next', '--fail'] : []), '-r', `${s * part}-${Math.min(size, (s + 1) * part) - 1}`, '-o', '/dev/null', url);
    many.push(await curl(h, args));
  }
  return { single: median(one), parallel: median(many) };
}
