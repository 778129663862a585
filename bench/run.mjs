#!/usr/bin/env node
// nclone against rclone on the workloads of issue 10, against the test suite's Ceph RGW on
// 127.0.0.1 through a counting proxy. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--only 1,2,5] [--rounds N] [--out FILE]
//                      [--transfers 4] [--checkers 8] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Harness } from './lib/harness.mjs';
import { killCurrent } from './lib/measure.mjs';
import { startProxy } from './lib/proxy.mjs';
import { table, writeSection } from './lib/report.mjs';
import { startRgw, stopRgw } from './lib/rgw.mjs';
import { S3 } from './lib/s3.mjs';
import { sizes, workloads, memAvailable, fmtSize } from './workloads.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const GiB = 1024 ** 3;

function parseArgs(argv) {
  const o = { quick: false, only: null, rounds: null, out: null, transfers: 4, checkers: 8, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a.startsWith('--only')) o.only = val().split(',').map(Number);
    else if (a.startsWith('--rounds')) o.rounds = Number(val());
    else if (a.startsWith('--out')) o.out = path.resolve(val());
    else if (a.startsWith('--transfers')) o.transfers = Number(val());
    else if (a.startsWith('--checkers')) o.checkers = Number(val());
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (o.only?.some((n) => !workloads[n])) usage(`--only takes workload numbers 1-10`);
  if (o.rounds !== null && !(o.rounds >= 1)) usage('--rounds must be at least 1');
  o.rounds ??= o.quick ? 1 : 3;
  o.rounds10 = o.quick ? o.rounds : Math.max(o.rounds, 5);
  return o;
}

function usage(err) {
  const text = 'usage: node bench/run.mjs [--quick] [--only 1,2,5] [--rounds N] [--out FILE] [--transfers N] [--checkers N] [--keep]\n(npm run bench -- --quick); see bench/README.md';
  if (err) {
    console.error(`bench: ${err}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** dist/ built, rclone and the Ceph daemons installed (test/setup.sh installs what is missing). */
function prerequisites(needS3) {
  if (!has('rclone') || (needS3 && !['ceph-mon', 'ceph-osd', 'radosgw'].every(has))) {
    console.error('bench: rclone or Ceph missing; running test/setup.sh to install them');
    execFileSync('bash', [path.join(root, 'test/setup.sh')], { stdio: 'inherit' });
  }
  const v = spawnSync(path.join(root, 'bin/nclone'), ['version'], { encoding: 'utf8' });
  if (v.status !== 0) {
    console.error(`bench: ./bin/nclone does not run (is dist/ built?). Run \`npm ci\` (or \`npm run build\`) first.\n${v.stderr}`);
    process.exit(1);
  }
  if (!existsFile('/usr/bin/time')) {
    console.error('bench: GNU time (/usr/bin/time) is needed: apt-get install time');
    process.exit(1);
  }
}

function existsFile(p) {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}

function machine() {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const release = /PRETTY_NAME="([^"]+)"/.exec(existsFile('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1] ?? os.platform();
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / GiB).toFixed(0)} GiB RAM, ${release}, load average at start ${os.loadavg()[0].toFixed(1)}`;
}

function versions() {
  const first = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  return `Node ${process.version}, ${first('rclone', ['version'])}, ${first(path.join(root, 'bin/nclone'), ['version'])} (git ${spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()}${spawnSync('git', ['-C', root, 'status', '--porcelain', 'src', 'backends'], { encoding: 'utf8' }).stdout.trim() ? ', with uncommitted changes in src/ or backends/' : ''})`;
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  const chosen = (opts.only ?? Object.keys(workloads).map(Number)).sort((a, b) => a - b);
  const needS3 = chosen.some((n) => n !== 9);
  const z = sizes(opts.quick);
  prerequisites(needS3);

  const base = mkdtempSync(path.join(os.tmpdir(), 'nb-'));
  const rgwDir = path.join(base, 'rgw');
  let rgw;
  let proxy;
  let s3;
  let stopping = false;
  const cleanup = async () => {
    killCurrent();
    await proxy?.close().catch(() => {});
    s3?.close();
    if (rgw || needS3) {
      try {
        stopRgw(rgwDir);
      } catch (e) {
        console.error(`bench: stopping the RGW failed: ${e.message}`);
      }
    }
    if (!opts.keep) rmSync(base, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\nbench: ${sig}, stopping the RGW and removing ${base}`);
      report(`stopped by ${sig} after workload${done.length === 1 ? '' : 's'} ${done.join(', ') || '(none)'}`);
      cleanup().finally(() => process.exit(130));
    });
  }

  const t0 = Date.now();
  let h;
  const done = [];
  // The table is rewritten after every workload, so a run stopped by a failure or a signal
  // still leaves what it measured (marked partial) in the results file.
  const report = (partial) => {
    if (!h?.rows.length) return;
    try {
      writeReport({ argv, opts, z, h, t0, partial });
    } catch (e) {
      console.error(`bench: writing the table failed: ${e.message}`);
    }
  };
  try {
    if (needS3) {
      // memstore holds every object in the OSD's RAM: size it for the largest workload.
      const want = chosen.includes(5) ? Math.max(4 * GiB, Math.ceil((z.w5.large * 1.3) / GiB + 1) * GiB) : 4 * GiB;
      if (want > memAvailable()) console.error(`bench: warning: memstore may grow to ${fmtSize(want)}; ${fmtSize(memAvailable())} of RAM available`);
      process.stderr.write(`[bench] starting the RGW in ${rgwDir}\n`);
      rgw = startRgw(rgwDir, want);
      proxy = await startProxy(rgw.endpoint);
      s3 = new S3(rgw);
    }
    h = new Harness({ opts, root, base, rgw, proxy, s3 });
    h.t0 = t0;
    mkdirSync(path.join(base, 'cache'), { recursive: true });
    writeFileSync(path.join(base, 'empty.conf'), '');
    for (const n of chosen) {
      h.log(`workload ${n}`);
      await workloads[n](h, z);
      done.push(n);
      if (done.length < chosen.length) report(`in progress: workload${done.length === 1 ? '' : 's'} ${done.join(', ')} of ${chosen.join(', ')} done`);
    }
  } catch (e) {
    console.error(`\nbench: FAILED: ${e.stack ?? e}`);
    report(`failed during a workload after ${done.join(', ') || 'none'}: ${String(e.message ?? e).split('\n')[0]}`);
    await cleanup();
    process.exit(1);
  }
  await cleanup();
  writeReport({ argv, opts, z, h, t0, partial: null, final: true });
}

/** Writes the table (partial: why it is incomplete, or null) to --out or bench/RESULTS.md, and the raw samples. */
function writeReport({ argv, opts, z, h, t0, partial, final = false }) {
  const reqs = h.rows.flatMap((r) => Object.values(r.samples).flat()).filter((s) => s.requests?.total);
  const proxyUs = reqs.length ? (reqs.reduce((a, s) => a + s.proxyCpuS, 0) / reqs.reduce((a, s) => a + s.requests.total, 0)) * 1e6 : NaN;
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    machine: machine(),
    versions: versions(),
    cores: os.cpus().length,
    transfers: opts.transfers,
    checkers: opts.checkers,
    rounds: opts.rounds,
    rounds10: opts.rounds10,
    proxyUsPerReq: Number.isFinite(proxyUs) ? proxyUs.toFixed(0) : '–',
    durationS: Math.round((Date.now() - t0) / 1000),
    sizes: z,
  };
  const section =
    table({ meta, rows: h.rows }) + (partial ? `\n**Partial table** (${partial}); ${meta.durationS} s so far.\n` : `\nWhole run: ${meta.durationS} s.\n`);
  const outDir = path.join(root, 'bench/out');
  mkdirSync(outDir, { recursive: true });
  // One stamp per run (its start), so each rewrite replaces the same files.
  const stamp = new Date(t0).toISOString().replace(/\.\d+Z$/, '').replace(/[:]/g, '');
  const json = path.join(outDir, `${opts.quick ? 'quick' : 'bench'}-${stamp}.json`);
  writeFileSync(json, JSON.stringify({ meta, opts, rows: h.rows }, null, 1));
  const out = opts.out ?? (opts.quick ? path.join(outDir, `quick-${stamp}.md`) : path.join(root, 'bench/RESULTS.md'));
  if (out.endsWith('RESULTS.md')) writeSection(out, section);
  else writeFileSync(out, section);
  if (!final) return;
  process.stdout.write(section);
  console.error(`\nbench: done in ${meta.durationS} s; table in ${path.relative(root, out)}, samples in ${path.relative(root, json)}`);
}

main();
