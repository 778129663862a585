#!/usr/bin/env node
// How an S3 server's Date header on a PUT's answer relates to the object's LastModified, which
// the metadata cache's upload window relies on (docs/metacache.md, "nclone's own uploads").
//   S3_ENDPOINT=http://127.0.0.1:PORT S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=... \
//     node bench/date-lag.mjs [uploads=1500] [at-once=16]
// (test/servers/ceph-rgw.sh start DIR prints those variables.) Makes a bucket, uploads small
// objects, lists them, and prints how many LastModified seconds fell how far from their Date second.
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
if (!endpoint || !accessKeyId || !secretAccessKey) {
  console.error('date-lag: set S3_ENDPOINT, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
  process.exit(2);
}
const uploads = Number(process.argv[2] ?? 1500);
const atOnce = Number(process.argv[3] ?? 16);
const client = new S3Client({ endpoint, region: process.env.S3_REGION ?? 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
const dates = new Map();
client.middlewareStack.add(
  (next, ctx) => async (args) => {
    const out = await next(args);
    if (ctx.commandName === 'PutObjectCommand') dates.set(args.input.Key, Date.parse(out.response.headers.date));
    return out;
  },
  { step: 'deserialize' },
);
const bucket = `date-lag-${Date.now()}`;
await client.send(new CreateBucketCommand({ Bucket: bucket }));
let next = 0;
await Promise.all(
  Array.from({ length: atOnce }, async () => {
    while (next < uploads) {
      const i = next++;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: Buffer.alloc(1000 + (i % 7000), 97) }));
    }
  }),
);
const counts = new Map();
let token;
do {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
  for (const o of page.Contents ?? []) {
    const lag = Math.floor(o.LastModified.getTime() / 1000) - dates.get(o.Key) / 1000;
    counts.set(lag, (counts.get(lag) ?? 0) + 1);
  }
  token = page.NextContinuationToken;
} while (token);
console.log(`bucket ${bucket}: ${uploads} uploads, ${atOnce} at once`);
for (const [lag, n] of [...counts].sort((a, b) => a[0] - b[0])) console.log(`LastModified second = Date second ${lag >= 0 ? '+' : ''}${lag}: ${n}`);
