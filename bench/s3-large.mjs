#!/usr/bin/env node
// One object over 5 GiB through S3, nclone beside rclone, against a throwaway Ceph RGW on
// 127.0.0.1 with a large in-RAM store: a multipart upload (parts grow to fit
// max_upload_parts), then a multipart server-side copy (above copy_cutoff, UploadPartCopy).
// Checks sizes, the stored MD5 and that no multipart upload is left unfinished.
// Usage: node bench/s3-large.mjs [SIZE_GIB=5.05]   (needs ~14 GiB of free RAM, rclone, GNU time)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client, ListMultipartUploadsCommand, HeadObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';

const gib = Number(process.argv[2] ?? 5.05);
const size = Math.floor(gib * 1024 ** 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const script = path.join(root, 'test/servers/ceph-rgw.sh');
const base = mkdtempSync(path.join(os.tmpdir(), 'nclone-big-'));
const cluster = path.join(base, 'c');

const out = execFileSync('bash', [script, 'start', cluster], { env: { ...process.env, CEPH_RGW_MEMSTORE_BYTES: String(14 * 1024 ** 3) }, encoding: 'utf8' });
const s3 = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
try {
  const file = path.join(base, 'big.bin');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size); // sparse: reads as zeros without using disk
  closeSync(fd);
  const conf = path.join(base, 'rclone.conf');
  writeFileSync(conf, `[rgw]\ntype = s3\nprovider = Ceph\nendpoint = ${s3.S3_ENDPOINT}\naccess_key_id = ${s3.S3_ACCESS_KEY_ID}\nsecret_access_key = ${s3.S3_SECRET_ACCESS_KEY}\n`);
  const env = { ...process.env, NCLONE_CONFIG: conf, RCLONE_CONFIG: conf, AWS_EC2_METADATA_DISABLED: 'true' };
  delete env.AWS_CA_BUNDLE;
  const client = new S3Client({ endpoint: s3.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.S3_ACCESS_KEY_ID, secretAccessKey: s3.S3_SECRET_ACCESS_KEY }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });

  const timed = (label, cmd, args) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const [secs, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { label, secs, rssMiB: Math.round(kb / 1024), mibps: Math.round(size / 1024 ** 2 / secs) };
  };
  const pending = async (bucket) => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
  const head = (bucket, key) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

  const nclone = path.join(root, 'bin/nclone');
  const rows = [];
  rows.push(timed('nclone upload', nclone, ['copy', file, 'rgw:big-n/']));
  let h = await head('big-n', 'big.bin');
  if (h.ContentLength !== size || !/-\d+"$/.test(h.ETag) || !h.Metadata?.md5chksum) throw new Error(`nclone upload: unexpected object ${JSON.stringify(h)}`);
  if (await pending('big-n')) throw new Error('nclone upload left a multipart upload behind');
  rows.push(timed('nclone server-side copy', nclone, ['copy', 'rgw:big-n/big.bin', 'rgw:big-n2/', '-v']));
  h = await head('big-n2', 'big.bin');
  if (h.ContentLength !== size || h.Metadata?.mtime === undefined) throw new Error(`nclone copy: unexpected object ${JSON.stringify(h)}`);
  if (await pending('big-n2')) throw new Error('nclone copy left a multipart upload behind');
  await client.send(new DeleteObjectCommand({ Bucket: 'big-n2', Key: 'big.bin' }));
  await client.send(new DeleteObjectCommand({ Bucket: 'big-n', Key: 'big.bin' }));
  rows.push(timed('rclone upload', 'rclone', ['copy', file, 'rgw:big-r/']));
  rows.push(timed('rclone server-side copy', 'rclone', ['copy', 'rgw:big-r/big.bin', 'rgw:big-r2/']));
  console.log(`One ${gib} GiB object (${size} bytes) to a Ceph RGW on 127.0.0.1 (memstore), ${os.cpus().length} cores\n`);
  console.log('| run | time | MiB/s | peak RSS |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.label} | ${r.secs.toFixed(1)} s | ${r.mibps} | ${r.rssMiB} MiB |`);
} finally {
  execFileSync('bash', [script, 'stop', cluster]);
  rmSync(base, { recursive: true, force: true });
}
