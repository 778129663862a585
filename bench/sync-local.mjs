#!/usr/bin/env node
// Local-to-local sync, nclone against rclone, run side by side on the same tree.
// Usage: node bench/sync-local.mjs [FILES=10000] [DIRS=100] [FILE_BYTES=4096]
// Needs rclone and GNU time (/usr/bin/time). Prints a Markdown table of wall time and
// peak RSS for: first sync into an empty directory, and a no-op resync.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const [files = 10000, dirs = 100, bytes = 4096] = process.argv.slice(2).map(Number);
const nclone = fileURLToPath(new URL('../bin/nclone', import.meta.url));
const base = mkdtempSync(path.join(os.tmpdir(), 'nclone-bench-'));
const env = { ...process.env, RCLONE_CONFIG: path.join(base, 'empty.conf'), NCLONE_CONFIG: path.join(base, 'empty.conf') };
writeFileSync(env.RCLONE_CONFIG, '');

const src = path.join(base, 'src');
const payload = Buffer.alloc(bytes, 'x');
for (let i = 0; i < files; i++) {
  const dir = path.join(src, `d${i % dirs}`);
  if (i < dirs) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `f${i}`), payload);
}

/** Runs a command under GNU time; returns seconds and peak RSS in MiB. */
function measure(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const [secs, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { secs, rssMiB: kb / 1024 };
}

const rows = [];
for (const [name, cmd] of [['rclone', 'rclone'], ['nclone', nclone]]) {
  const dst = path.join(base, `dst-${name}`);
  const first = measure(cmd, ['sync', src, dst]);
  const again = measure(cmd, ['sync', src, dst]);
  rows.push({ name, first, again });
}
const version = execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0];
const [r, n] = rows;
const fmt = (x) => `${x.secs.toFixed(2)} s, ${x.rssMiB.toFixed(0)} MiB`;
console.log(`Local sync of ${files} files of ${bytes} bytes in ${dirs} directories (${version}, node ${process.version}, ${os.cpus().length} cores)\n`);
console.log('| run | rclone | nclone | nclone / rclone (time) |');
console.log('| --- | --- | --- | --- |');
console.log(`| first sync | ${fmt(r.first)} | ${fmt(n.first)} | ${(n.first.secs / r.first.secs).toFixed(2)} |`);
console.log(`| no-op resync | ${fmt(r.again)} | ${fmt(n.again)} | ${(n.again.secs / r.again.secs).toFixed(2)} |`);
rmSync(base, { recursive: true, force: true });
