// The ten workloads of issue 10. Each takes the harness (h) and the sizes (z) and adds rows.
import { accessSync, closeSync, constants, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, statfsSync, utimesSync, createReadStream } from 'node:fs';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { admin, osdRssMiB } from './lib/rgw.mjs';
import { makeSpec, prng, writeTree, writeFile } from './lib/tree.mjs';
import { downloadFloor, uploadFloor } from './lib/floor.mjs';
import { median } from './lib/measure.mjs';

const TOOLS = ['nclone', 'rclone'];
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function sizes(quick) {
  return quick
    ? { small: { files: 100, dirs: 5 }, w3: { touched: 10, changed: 10, kept: 2 }, w5: { up: 16 * MiB, large: 48 * MiB }, w6: [100, 500], perDir6: 100, extras: 50, w9: { files: 300, dirs: 10 }, w10: 10 }
    : { small: { files: 10000, dirs: 100 }, w3: { touched: 100, changed: 100, kept: 10 }, w5: { up: 1 * GiB, large: 6 * GiB }, w6: [10000, 100000], perDir6: 1000, extras: 5000, w9: { files: 10000, dirs: 100 }, w10: 10 };
}

const SEED = 10;

/** The 10,000 small files (1–16 KiB in 100 directories), written once under base/small. */
function smallTree(h, z) {
  if (!h.state.small) {
    const spec = makeSpec({ ...z.small, minSize: 1024, maxSize: 16 * 1024, seed: SEED });
    const dir = path.join(h.base, 'small');
    h.log(`writing ${spec.length} small files to ${dir}`);
    writeTree(dir, spec, SEED);
    h.state.small = { spec, dir };
  }
  return h.state.small;
}

/** The same files in a bucket written by the harness (neutral: neither tool's own format). */
async function smallBucket(h, z) {
  const { spec } = smallTree(h, z);
  if (!h.state.smallBucket) {
    h.log(`loading ${spec.length} objects into bucket src-small`);
    await h.load('src-small', spec.map((f) => ({ ...f })), SEED);
    h.state.smallBucket = 'src-small';
  }
  return h.state.smallBucket;
}

/** A first sync into an empty bucket, one bucket per run; the last one of each tool is kept in state. */
async function firstSync(h, z, row) {
  const { spec, dir } = smallTree(h, z);
  h.state.synced ??= {};
  await h.rounds(TOOLS, h.opts.rounds, async (tool, r) => {
    const bucket = `${row.id.replace(/\W/g, '')}-${tool}-${r}`;
    await h.s3.createBucket(bucket);
    await h.measure(row, tool, ['sync', dir, `bench:${bucket}`], { transfer: true });
    await h.checkBucket(`${tool} ${row.step}`, bucket, spec);
    const old = h.state.synced[tool];
    h.state.synced[tool] = bucket;
    if (old) await h.removeBucket(old);
  });
}

/** Each tool's own synced bucket (from workload 1, or made now, unmeasured). */
async function syncedBuckets(h, z) {
  const { spec, dir } = smallTree(h, z);
  h.state.synced ??= {};
  for (const tool of TOOLS) {
    if (h.state.synced[tool]) continue;
    const bucket = `synced-${tool}`;
    h.log(`set-up: ${tool} syncs the small files into ${bucket}`);
    await h.s3.createBucket(bucket);
    await h.run(tool, ['sync', dir, `bench:${bucket}`], { transfer: true });
    await h.checkBucket(`${tool} set-up sync`, bucket, spec);
    h.state.synced[tool] = bucket;
  }
  return h.state.synced;
}

async function noopSync(h, z, row) {
  const { spec, dir } = smallTree(h, z);
  const buckets = await syncedBuckets(h, z);
  await h.rounds(TOOLS, h.opts.rounds, async (tool) => {
    const s = await h.measure(row, tool, ['sync', dir, `bench:${buckets[tool]}`], { transfer: true });
    if (s.requests.PUT || s.requests.DELETE || s.requests.POST) row.notes.push(`${tool} wrote during a no-op: ${JSON.stringify(s.requests)}`);
    await h.checkBucket(`${tool} ${row.step}`, buckets[tool], spec);
  });
}

export const workloads = {
  1: async (h, z) => firstSync(h, z, h.row('1', `first sync, ${z.small.files.toLocaleString('en-US')} files 1–16 KiB → empty bucket`)),

  2: async (h, z) => noopSync(h, z, h.row('2', 'no-op resync (size + mtime)')),

  3: async (h, z) => {
    const row = h.row('3', `resync after ${z.w3.touched} mtimes touched, ${z.w3.changed} contents changed (same size; ${z.w3.kept} kept their mtime)`);
    const base = smallTree(h, z).spec;
    const buckets = await syncedBuckets(h, z);
    // Its own copy of the tree, changed and put back each run.
    const dir = path.join(h.base, 'w3src');
    const spec = base.map((f) => ({ ...f }));
    if (!existsSync(dir)) writeTree(dir, spec, SEED);
    const r = prng(SEED + 3);
    const idx = spec.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const touched = idx.slice(0, z.w3.touched);
    const changed = idx.slice(z.w3.touched, z.w3.touched + z.w3.changed);
    const kept = new Set(changed.slice(0, z.w3.kept));
    const DAY = 86_400_000;
    const modified = spec.map((f) => ({ ...f }));
    for (const i of touched) modified[i].mtimeMs = spec[i].mtimeMs + DAY;
    for (const i of changed) {
      modified[i].label = `${spec[i].label}-v2`;
      if (!kept.has(i)) modified[i].mtimeMs = spec[i].mtimeMs + 2 * DAY;
    }
    // In the default mode a same-size edit that kept its mtime is invisible: the bucket keeps
    // the old contents for those, whichever tool runs.
    const expected = modified.map((f, i) => (kept.has(i) ? { ...spec[i] } : f));
    const put = (list) => {
      for (const i of [...touched, ...changed]) writeFile(path.join(dir, list[i].name), list[i], SEED);
    };
    const uploads = z.w3.changed - z.w3.kept;
    const done = {};
    await h.rounds(TOOLS, h.opts.rounds, async (tool) => {
      put(spec);
      await h.run(tool, ['sync', dir, `bench:${buckets[tool]}`], { transfer: true });
      await h.checkBucket(`${tool} restoring ${row.id}`, buckets[tool], spec);
      put(modified);
      const s = await h.measure(row, tool, ['sync', dir, `bench:${buckets[tool]}`], { transfer: true });
      await h.checkBucket(`${tool} ${row.step}`, buckets[tool], expected);
      const up = s.requests.PUT - s.requests.copy;
      if (up !== uploads) row.notes.push(`${tool} uploaded ${up} objects, expected exactly ${uploads} (the changed files whose mtime moved); metadata updates (copy): ${s.requests.copy}`);
      (done[tool] ??= []).push(`${up} uploads + ${s.requests.copy} metadata copies`);
    });
    // Leave the buckets as the other workloads expect them.
    put(spec);
    for (const tool of TOOLS) await h.run(tool, ['sync', dir, `bench:${buckets[tool]}`], { transfer: true });
    row.notes.push(`expected exactly ${uploads} uploads and at most ${z.w3.touched} metadata updates; nclone: ${done.nclone.join(', ')}; rclone: ${done.rclone.join(', ')}`);
  },

  4: async (h, z) => {
    const row = h.row('4', 'bucket → empty local directory');
    const { spec } = smallTree(h, z);
    const bucket = await smallBucket(h, z);
    await h.rounds(TOOLS, h.opts.rounds, async (tool) => {
      const dst = h.freshDir(`w4-${tool}`);
      await h.measure(row, tool, ['sync', `bench:${bucket}`, dst], { transfer: true });
      h.checkLocal(`${tool} ${row.step}`, dst, spec);
      rmSync(dst, { recursive: true, force: true });
    });
  },

  5: async (h, z) => {
    const up = h.row('5a', `upload one ${fmtSize(z.w5.up)} file`);
    const down = h.row('5b', `download it`);
    const large = h.row('5c', `upload one ${fmtSize(z.w5.large)} file (multipart${z.w5.large > 5 * GiB ? ', over the 5 GiB single-PUT limit' : ''})`);
    const dir = h.freshDir('w5');
    const mtimeMs = 1_600_000_000_123;
    const file = (name, size) => {
      // Sparse: reads as zeros, takes no disk; both tools read the same bytes.
      const p = path.join(dir, name);
      const fd = openSync(p, 'w');
      ftruncateSync(fd, size);
      closeSync(fd);
      utimesSync(p, mtimeMs / 1000, mtimeMs / 1000);
      return p;
    };
    const small = file('up.bin', z.w5.up);
    const zeroMd5 = await md5File(small);
    const df = freeDiskBytes(h.base);
    if (df < 2 * z.w5.up + GiB) throw new Error(`workload 5 needs ${fmtSize(2 * z.w5.up + GiB)} free under ${h.base} for the downloads; df says ${fmtSize(df)}`);
    const gc = async (bucket) => {
      await h.removeBucket(bucket);
      await admin(h.rgw.dir, 'gc', 'process', '--include-all');
    };
    await h.rounds(TOOLS, h.opts.rounds, async (tool, r) => {
      const bucket = `w5-${tool}-${r}`;
      await h.s3.createBucket(bucket);
      await h.measure(up, tool, ['copy', small, `bench:${bucket}`], { transfer: true });
      await h.checkBucket(`${tool} ${up.step}`, bucket, [{ name: 'up.bin', size: z.w5.up, mtimeMs }]);
      const dl = h.freshDir(`w5-dl-${tool}`);
      await h.measure(down, tool, ['copy', `bench:${bucket}/up.bin`, dl], { transfer: true });
      const st = statSync(path.join(dl, 'up.bin'));
      const sum = await md5File(path.join(dl, 'up.bin'));
      h.fail(`${tool} ${down.step}`, st.size !== z.w5.up || Math.round(st.mtimeMs) !== mtimeMs || sum !== zeroMd5 ? [`up.bin: size ${st.size}, mtime ${st.mtimeMs}, md5 ${sum}`] : []);
      rmSync(dl, { recursive: true, force: true });
      await gc(bucket);
    });
    // What the server allows with a client that does nothing but move bytes.
    {
      const bucket = 'w5-floor';
      await h.s3.createBucket(bucket);
      const upS = await uploadFloor(h, small, bucket, 'up.bin', h.opts.rounds);
      const dl = await downloadFloor(h, bucket, 'up.bin', z.w5.up, 4, h.opts.rounds);
      const rate = (s) => `${s.toFixed(2)} s (${(z.w5.up / MiB / s).toFixed(0)} MiB/s)`;
      up.notes.push(`server limit: curl, one PUT through a presigned URL: ${rate(upS)}`);
      down.notes.push(`server limit: curl to /dev/null through a presigned URL: one GET ${rate(dl.single)}, 4 ranged GETs at once ${rate(dl.parallel)}`);
      h.log(`5 floor: upload ${rate(upS)}; download ${rate(dl.single)} (1 stream), ${rate(dl.parallel)} (4 streams)`);
      await gc(bucket);
    }
    // memstore keeps the object in the OSD's RAM; only try when the machine has room.
    const avail = memAvailable();
    if (avail < z.w5.large * 1.5 + 2 * GiB) {
      large.skipped = `skipped: needs ${fmtSize(z.w5.large * 1.5 + 2 * GiB)} of available RAM, /proc/meminfo says ${fmtSize(avail)}`;
      h.log(`5c ${large.skipped}`);
    } else {
      const big = file('large.bin', z.w5.large);
      await h.rounds(TOOLS, h.opts.rounds, async (tool, r) => {
        const bucket = `w5l-${tool}-${r}`;
        await h.s3.createBucket(bucket);
        await h.measure(large, tool, ['copy', big, `bench:${bucket}`], { transfer: true });
        await h.checkBucket(`${tool} ${large.step}`, bucket, [{ name: 'large.bin', size: z.w5.large, mtimeMs }]);
        await gc(bucket);
        h.log(`  OSD RSS after gc: ${osdRssMiB(h.rgw.pids).toFixed(0)} MiB`);
      });
    }
    for (const row of [up, down, large]) row.notes.push('the file is sparse (zeros): what is measured is the transfer, not the local disk');
    rmSync(dir, { recursive: true, force: true });
  },

  6: async (h, z) => {
    const sets = z.w6.map((files) => {
      const dirs = Math.max(1, Math.round(files / z.perDir6));
      const spec = makeSpec({ files, dirs, minSize: 1, maxSize: 1, seed: SEED + files });
      return { files, spec, dir: path.join(h.base, `w6-${files}`), bucket: `w6-${files}` };
    });
    const n = (s) => s.files.toLocaleString('en-US');
    const rows = {};
    for (const s of sets) rows[`lsl${s.files}`] = h.row(`6`, `lsl --fast-list, ${n(s)} objects`);
    for (const s of sets) rows[`noop${s.files}`] = h.row(`6`, `no-op sync, ${n(s)} objects of 1 byte`);
    for (const s of sets) {
      h.log(`writing ${n(s)} files of 1 byte under ${s.dir} and loading them into ${s.bucket} (not measured)`);
      writeTree(s.dir, s.spec, SEED + s.files);
      await h.load(s.bucket, s.spec, SEED + s.files);
    }
    await h.rounds(TOOLS, h.opts.rounds, async (tool) => {
      for (const s of sets) {
        const res = await h.measure(rows[`lsl${s.files}`], tool, ['lsl', '--fast-list', `bench:${s.bucket}`]);
        h.fail(`${tool} lsl of ${s.bucket}`, checkLsl(res.stdout, s.spec));
      }
      for (const s of sets) {
        const res = await h.measure(rows[`noop${s.files}`], tool, ['sync', s.dir, `bench:${s.bucket}`], { transfer: true });
        if (res.requests.PUT || res.requests.POST || res.requests.DELETE) rows[`noop${s.files}`].notes.push(`${tool} wrote during a no-op: ${JSON.stringify(res.requests)}`);
        await h.checkBucket(`${tool} no-op sync of ${s.bucket}`, s.bucket, s.spec);
      }
    });
    for (const s of sets) {
      rmSync(s.dir, { recursive: true, force: true });
      await h.removeBucket(s.bucket);
    }
  },

  7: async (h, z) => {
    const copy = h.row('7a', 'server-side copy bucket → empty bucket');
    const del = h.row('7b', `sync bucket → bucket with ${z.extras.toLocaleString('en-US')} extra objects to delete`);
    const { spec } = smallTree(h, z);
    const src = await smallBucket(h, z);
    const extras = makeSpec({ files: z.extras, dirs: 10, minSize: 1, maxSize: 1, seed: SEED + 7 }).map((f) => ({ ...f, name: `extra/${f.name}` }));
    await h.rounds(TOOLS, h.opts.rounds, async (tool, r) => {
      const bucket = `w7-${tool}-${r}`;
      await h.s3.createBucket(bucket);
      const s = await h.measure(copy, tool, ['sync', `bench:${src}`, `bench:${bucket}`], { transfer: true });
      if (s.requests.copy < spec.length) copy.notes.push(`${tool} made ${s.requests.copy} server-side copies for ${spec.length} objects`);
      await h.checkBucket(`${tool} ${copy.step}`, bucket, spec);
      await h.load(bucket, extras, SEED + 7);
      await h.measure(del, tool, ['sync', `bench:${src}`, `bench:${bucket}`], { transfer: true });
      await h.checkBucket(`${tool} ${del.step}`, bucket, spec);
      await h.removeBucket(bucket);
    });
  },

  8: async (h, z) => {
    await h.proxy.setDelay(20);
    try {
      await firstSync(h, z, h.row('8a', 'workload 1 with 20 ms added to every request'));
      await noopSync(h, z, h.row('8b', 'workload 2 with 20 ms added to every request'));
    } finally {
      await h.proxy.setDelay(0);
    }
  },

  // On the machine's disk, and again on tmpfs where there is one: this machine's ext4 (a VM
  // disk mounted with discard) makes file creation cost anywhere from 0.04 to 1 ms of kernel
  // time from one minute to the next (bench/local-floor.mjs shows it without either tool),
  // so the disk rows measure the disk as much as the tools; the tmpfs rows measure the tools.
  9: async (h, z) => {
    const places = [['9a', '9b', h.base, '']];
    if (writableDir('/dev/shm')) places.push(['9c', '9d', mkdtempSync(path.join('/dev/shm', 'nb-w9-')), ' (tmpfs)']);
    const spec = makeSpec({ ...z.w9, minSize: 4096, maxSize: 4096, seed: SEED + 9 });
    for (const [firstId, noopId, base, where] of places) {
      const first = h.row(firstId, `local → local first sync, ${z.w9.files.toLocaleString('en-US')} × 4 KiB${where}`);
      const noop = h.row(noopId, `local → local no-op sync${where}`);
      const src = path.join(base, 'w9src');
      writeTree(src, spec, SEED + 9);
      try {
        await h.rounds(TOOLS, h.opts.rounds, async (tool) => {
          const dst = path.join(base, `w9-${tool}`);
          rmSync(dst, { recursive: true, force: true });
          mkdirSync(dst, { recursive: true });
          await h.measure(first, tool, ['sync', src, dst], { transfer: true, local: true });
          h.checkLocal(`${tool} ${first.step}`, dst, spec);
          await h.measure(noop, tool, ['sync', src, dst], { transfer: true, local: true });
          h.checkLocal(`${tool} ${noop.step}`, dst, spec);
          rmSync(dst, { recursive: true, force: true });
        });
      } finally {
        rmSync(base === h.base ? src : base, { recursive: true, force: true });
      }
    }
  },

  10: async (h, z) => {
    const rounds = h.opts.rounds10;
    const node = h.row('10', '`node -e 0` (baseline for the rows below)');
    const version = h.row('10', '`version`');
    const lsd = h.row('10', '`lsd remote:` of a user with no buckets');
    const ls = h.row('10', `\`ls\` of a ${z.w10}-object bucket`);
    const spec = makeSpec({ files: z.w10, dirs: 1, minSize: 100, maxSize: 1000, seed: SEED + 10 });
    await h.load('w10', spec, SEED + 10);
    const user = ['--uid=nobuckets', '--display-name=nobuckets', '--access-key=NCLONEBENCHNOBUCKETS', '--secret-key=nclone-bench-no-buckets-secret-0123456789'];
    await admin(h.rgw.dir, 'user', 'create', ...user);
    h.remote('nobkt', 'NCLONEBENCHNOBUCKETS', 'nclone-bench-no-buckets-secret-0123456789');
    await h.rounds(['nclone', 'rclone', 'node'], rounds, async (tool) => {
      if (tool === 'node') return void (await h.measure(node, 'node', []));
      await h.measure(version, tool, ['version']);
      const l = await h.measure(lsd, tool, ['lsd', 'nobkt:']);
      if (l.stdout.trim()) h.fail(`${tool} lsd nobkt:`, [`listed: ${l.stdout.slice(0, 200)}`]);
      const res = await h.measure(ls, tool, ['ls', 'bench:w10']);
      const names = res.stdout.trim().split('\n').map((x) => x.trim().split(/\s+/).slice(1).join(' ')).sort();
      h.fail(`${tool} ls bench:w10`, names.join('\n') === spec.map((f) => f.name).join('\n') ? [] : [`got ${names.length} names: ${names.slice(0, 5).join(', ')}`]);
    });
    // node runs as "nclone" in the table's first columns; rclone's column stays empty.
    node.samples = { nclone: node.samples.node };
    node.notes.push('the nclone columns hold `node -e 0`; compare them with the nclone rows below');
    // The measure of an S3 command's start-up: CPU from process start until the first
    // request leaves (bench/lib/first-connect-cpu.cjs). Separate runs: the preload is not in the rows above.
    const connect = "require('node:net').connect(9, '127.0.0.1').on('error', () => {})";
    const baseline = firstConnectCpu(h, process.execPath, ['-e', connect], rounds);
    for (const [row, args] of [[lsd, ['lsd', 'nobkt:']], [ls, ['ls', 'bench:w10']]]) {
      const ms = firstConnectCpu(h, h.nclone, args, rounds);
      row.notes.push(`nclone's CPU when its first request left (process start until then, the issue's start-up measure): median ${ms} ms over ${rounds} runs; \`node -e\` connecting a socket: ${baseline} ms`);
    }
  },
};

/** Median CPU (ms, all threads) a command had used when it first connected a socket. */
function firstConnectCpu(h, cmd, args, runs) {
  const preload = path.join(h.root, 'bench/lib/first-connect-cpu.cjs');
  const env = { ...h.env, NODE_OPTIONS: `${h.env.NODE_OPTIONS ?? ''} -r ${preload}`.trim() };
  const got = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(cmd, args, { env, cwd: h.root, encoding: 'utf8' });
    const m = /first-connect-cpu-ms (\d+(?:\.\d+)?)/.exec(r.stderr ?? '');
    if (r.status !== 0 || !m) throw new Error(`first-connect CPU of ${cmd} ${args.join(' ')}: exit ${r.status}, ${String(r.stderr).slice(-500)}`);
    got.push(Number(m[1]));
  }
  return median(got).toFixed(0);
}

/** lsl output against the spec: names, sizes and mtimes to the millisecond. */
function checkLsl(stdout, spec) {
  const got = new Map();
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (.*)$/.exec(line);
    if (!m) continue;
    // Whole seconds, then the fraction rounded to the ms (a float mtime prints as .217999887).
    const [whole, frac = ''] = m[2].split('.');
    const ms = Date.parse(whole.replace(' ', 'T') + 'Z') + Math.round(Number(frac.padEnd(9, '0')) / 1e6);
    got.set(m[3], { size: Number(m[1]), mtimeMs: ms });
  }
  // lsl prints local time; the harness runs the tools with TZ=UTC.
  const bad = [];
  const want = new Map(spec.map((f) => [f.name, f]));
  for (const [name, f] of want) {
    const g = got.get(name);
    if (!g) bad.push(`missing ${name}`);
    else if (g.size !== f.size || g.mtimeMs !== f.mtimeMs) bad.push(`${name}: ${g.size} ${new Date(g.mtimeMs).toISOString()}, want ${f.size} ${new Date(f.mtimeMs).toISOString()}`);
  }
  for (const name of got.keys()) if (!want.has(name)) bad.push(`extra ${name}`);
  return bad;
}

function md5File(p) {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('md5');
    createReadStream(p, { highWaterMark: 4 * MiB })
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

function freeDiskBytes(dir) {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

export function memAvailable() {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export function fmtSize(b) {
  if (b >= GiB) return `${(b / GiB).toFixed(b % GiB ? 2 : 0)} GiB`;
  if (b >= MiB) return `${(b / MiB).toFixed(b % MiB ? 1 : 0)} MiB`;
  return `${(b / 1024).toFixed(0)} KiB`;
}

function writableDir(dir) {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
