/**
 * TLS: certificates are verified by default; --ca-cert trusts a private CA and
 * --no-check-certificate turns verification off. An HTTPS front on 127.0.0.1, with a
 * throwaway self-signed certificate made by openssl for this run, passes requests on to the
 * test RGW unchanged (the Host header is kept, so signatures still verify).
 */
import { execFileSync } from 'node:child_process';
import * as nfs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBase, makeCli, removeBuckets, uniqueBucket, type Cli } from './helpers-cli.js';
import { runNclone, via } from './helpers-faults.js';
import { s3ConnectionString, s3Server } from '../helpers/s3.js';

let base: string;
let cli: Cli;
let server: https.Server;
let endpoint: string;
let cert: string;
const bucket = uniqueBucket('nclone-tls');

beforeAll(async () => {
  base = makeBase('tls');
  cli = makeCli(base, false);
  cert = path.join(base, 'cert.pem');
  const key = path.join(base, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=nclone test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const upstream = new URL(s3Server().endpoint);
  server = https.createServer({ key: nfs.readFileSync(key), cert: nfs.readFileSync(cert) }, (req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  expect((await cli.nclone('mkdir', `rgw:${bucket}`)).code).toBe(0);
});

afterAll(async () => {
  await removeBuckets([bucket]);
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  nfs.rmSync(base, { recursive: true, force: true });
});

describe('TLS certificates', () => {
  it('refuses a certificate it cannot verify, in one line saying what to do, without retrying', async () => {
    const r = await runNclone(['lsd', 'rgw:', '--retries', '1'], via(cli.env, endpoint));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/TLS certificate is not trusted \(self[- ]signed certificate\).*--ca-cert FILE.*--no-check-certificate/);
  });

  it('trusts the certificate given with --ca-cert', async () => {
    const r = await runNclone(['lsd', 'rgw:', '--ca-cert', cert], via(cli.env, endpoint));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(bucket);
  });

  it('skips verification with --no-check-certificate', async () => {
    const r = await runNclone(['lsd', 'rgw:', '--no-check-certificate'], via(cli.env, endpoint));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(bucket);
  });

  it('says which --ca-cert file it cannot read', async () => {
    const missing = path.join(base, 'no-such-ca.pem');
    const r = await runNclone(['lsd', 'rgw:', '--ca-cert', missing], via(cli.env, endpoint));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`nclone: can't read --ca-cert ${missing}: ENOENT: no such file or directory, open '${missing}'`);
  });

  it('takes an endpoint spelled HTTP:// in capitals as plain http, on the direct path and through the SDK', async () => {
    const plain = s3Server().endpoint;
    expect(plain).toMatch(/^http:\/\//);
    const remote = s3ConnectionString({ endpoint: plain.replace(/^http:/, 'HTTP:') });
    for (const env of [cli.env, { ...cli.env, NCLONE_S3_SDK_ONLY: '1' }]) {
      const r = await runNclone(['lsd', remote, '--retries', '1'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(` ${bucket}\n`);
    }
  });
});
