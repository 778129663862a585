// What every workload uses: the tools' command lines and environment, one measured run
// (GNU time, proxy counts, server CPU), rows of samples, loading buckets, checking results.
import { spawn } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { cpuOf, timed } from './measure.mjs';
import { pool } from './s3.mjs';
import { content, md5, scanBucket, scanLocal, diffTree } from './tree.mjs';

export class Harness {
  constructor({ opts, root, base, rgw, proxy, s3 }) {
    Object.assign(this, { opts, root, base, rgw, proxy, s3 });
    this.nclone = path.join(root, 'bin/nclone');
    this.rows = [];
    this.memo = new Map(); // bucket -> (key -> HEAD result), see scanBucket
    this.state = {}; // what one workload leaves for the next (synced buckets, loaded sources)
    this.serverPids = rgw ? Object.values(rgw.pids) : [];
    const conf = path.join(base, 'empty.conf');
    this.env = { ...process.env, RCLONE_CONFIG: conf, NCLONE_CONFIG: conf, AWS_EC2_METADATA_DISABLED: 'true', TZ: 'UTC', XDG_CACHE_HOME: path.join(base, 'cache'), RCLONE_CACHE_DIR: path.join(base, 'cache', 'rclone') };
    // rclone fails even over http when AWS_CA_BUNDLE is set (test/servers/README.md).
    delete this.env.AWS_CA_BUNDLE;
    // Node reads the file NODE_EXTRA_CA_CERTS names at every start, TLS or not: on this project's
    // machine (where it names the system bundle) that is 40 ms of CPU per process, for nclone
    // and for the bare `node -e 0` alike, and nothing here speaks TLS.
    delete this.env.NODE_EXTRA_CA_CERTS;
    for (const k of Object.keys(this.env)) if (/^(RCLONE|NCLONE)_/.test(k) && !/^(RCLONE|NCLONE)_CONFIG$|_CACHE_DIR$/.test(k)) delete this.env[k];
    if (rgw) {
      this.remote('bench', rgw.accessKeyId, rgw.secretAccessKey);
    }
  }

  /** Defines remote NAME: for both tools through the proxy. */
  remote(name, ak, sk) {
    const N = name.toUpperCase();
    for (const P of ['RCLONE', 'NCLONE']) {
      Object.assign(this.env, {
        [`${P}_CONFIG_${N}_TYPE`]: 's3',
        [`${P}_CONFIG_${N}_PROVIDER`]: 'Ceph',
        [`${P}_CONFIG_${N}_ENDPOINT`]: this.proxy.endpoint,
        [`${P}_CONFIG_${N}_ACCESS_KEY_ID`]: ak,
        [`${P}_CONFIG_${N}_SECRET_ACCESS_KEY`]: sk,
        [`${P}_CONFIG_${N}_REGION`]: 'us-east-1',
      });
    }
  }

  log(msg) {
    const t = ((Date.now() - this.t0) / 1000).toFixed(0).padStart(5);
    process.stderr.write(`[bench ${t}s] ${msg}\n`);
  }

  row(id, step, extra = {}) {
    const r = { id, step, samples: {}, notes: [], ...extra };
    this.rows.push(r);
    return r;
  }

  cmd(tool, args, { transfer = false } = {}) {
    const flags = transfer ? ['--transfers', String(this.opts.transfers), '--checkers', String(this.opts.checkers)] : [];
    if (tool === 'nclone') return [this.nclone, [...args, ...flags]];
    if (tool === 'rclone') return ['rclone', [...args, ...flags]];
    if (tool === 'node') return [process.execPath, ['-e', '0']];
    throw new Error(tool);
  }

  /** One measured run of TOOL, added to ROW. A failed run fails the bench. */
  async measure(row, tool, args, opts = {}) {
    const [cmd, argv] = this.cmd(tool, args, opts);
    await this.proxy?.reset();
    const s0 = cpuOf(this.serverPids);
    const p0 = this.proxy ? cpuOf([this.proxy.pid]) : 0;
    const r = await timed(cmd, argv, { env: this.env, tmp: this.base, cwd: this.root });
    const serverCpuS = this.serverPids.length ? cpuOf(this.serverPids) - s0 : NaN;
    const proxyCpuS = this.proxy ? cpuOf([this.proxy.pid]) - p0 : NaN;
    const requests = this.proxy ? await this.proxy.reset() : undefined;
    const label = `${row.id} ${row.step}: ${tool} ${argv.join(' ')}`;
    if (r.status !== 0) throw new Error(`${label} exited with ${r.status}\n${r.stderr.slice(-3000)}`);
    const sample = { tool, wallS: r.wallMs / 1000, userS: r.userS, sysS: r.sysS, rssMiB: r.rssKiB / 1024, requests: opts.local ? undefined : requests, serverCpuS: opts.local ? NaN : serverCpuS, proxyCpuS };
    (row.samples[tool] ??= []).push(sample);
    this.log(`${row.id} ${row.step} ${tool}: ${sample.wallS.toFixed(2)} s wall, ${(sample.userS + sample.sysS).toFixed(2)} s CPU, ${sample.rssMiB.toFixed(0)} MiB${requests && !opts.local ? `, ${requests.total} requests` : ''}`);
    return { ...sample, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs fn(tool, round) for each round, the tools alternating: A B, B A, A B ... */
  async rounds(tools, n, fn) {
    for (let r = 0; r < n; r++) {
      const order = r % 2 === 0 ? tools : [...tools].reverse();
      for (const tool of order) await fn(tool, r);
    }
  }

  /** An unmeasured run (set-up), failing the bench if it fails. */
  run(tool, args, opts = {}) {
    const [cmd, argv] = this.cmd(tool, args, opts);
    return new Promise((resolve, reject) => {
      const c = spawn(cmd, argv, { env: this.env, cwd: this.root, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err = (err + d).slice(-3000)));
      c.on('error', reject);
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`set-up run failed (${code}): ${cmd} ${argv.join(' ')}\n${err}`))));
    });
  }

  /** Uploads spec's files (contents from seed) to bucket with our own client; remembers their mtimes. */
  async load(bucket, spec, seed, prefix = '') {
    await this.s3.createBucket(bucket);
    const memo = this.memoOf(bucket);
    let done = 0;
    await pool(spec, 32, async (f) => {
      const data = content(f.size, seed, f.label);
      f.md5 = md5(data);
      const r = await this.s3.put(bucket, prefix + f.name, data, f.mtimeDecimal ?? f.mtimeMs);
      // The id scanBucket compares needs LastModified, which only a listing gives; set below.
      memo.set(prefix + f.name, { pending: true, etag: String(r.headers.etag).replace(/"/g, ''), mtimeMs: f.mtimeMs });
      if (++done % 20000 === 0) this.log(`  loaded ${done} of ${spec.length} objects into ${bucket}`);
    });
    for (const o of await this.s3.list(bucket, prefix)) {
      const m = memo.get(o.key);
      if (m?.pending && m.etag === o.etag) memo.set(o.key, { id: `${o.etag} ${o.lastModified}`, mtimeMs: m.mtimeMs });
    }
  }

  memoOf(bucket) {
    let m = this.memo.get(bucket);
    if (!m) this.memo.set(bucket, (m = new Map()));
    return m;
  }

  /** Fails loudly unless bucket holds exactly spec (names, sizes, mtimes, and contents where known). */
  async checkBucket(what, bucket, spec) {
    const got = await scanBucket(this.s3, bucket, this.memoOf(bucket));
    this.fail(what, diffTree(got, spec));
  }

  checkLocal(what, dir, spec) {
    this.fail(what, diffTree(scanLocal(dir, true), spec));
  }

  fail(what, bad) {
    if (bad.length) throw new Error(`WRONG RESULT after ${what}: ${bad.length} differences\n  ${bad.slice(0, 20).join('\n  ')}`);
  }

  async removeBucket(bucket) {
    await this.s3.removeBucket(bucket);
    this.memo.delete(bucket);
  }

  freshDir(name) {
    const d = path.join(this.base, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    return d;
  }
}
