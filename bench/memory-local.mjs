#!/usr/bin/env node
// Peak memory of a local sync as the number of files grows, nclone beside rclone.
// Usage: node bench/memory-local.mjs [COUNTS=10000,100000] [PER_DIR=1000]
// Files are 1 byte, PER_DIR to a directory, so memory should follow the directory size,
// not the file count. Needs rclone and GNU time (/usr/bin/time).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const counts = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const perDir = Number(process.argv[3] ?? 1000);
const nclone = fileURLToPath(new URL('../bin/nclone', import.meta.url));

function measure(cmd, args, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const [secs, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return `${secs.toFixed(1)} s, ${(kb / 1024).toFixed(0)} MiB`;
}

console.log(`| files | rclone first sync | nclone first sync | rclone no-op resync | nclone no-op resync |`);
console.log('| --- | --- | --- | --- | --- |');
for (const n of counts) {
  const base = mkdtempSync(path.join(os.tmpdir(), 'nclone-mem-'));
  const env = { ...process.env, RCLONE_CONFIG: path.join(base, 'empty.conf'), NCLONE_CONFIG: path.join(base, 'empty.conf') };
  writeFileSync(env.RCLONE_CONFIG, '');
  const src = path.join(base, 'src');
  for (let i = 0; i < n; i++) {
    const dir = path.join(src, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}`), 'x');
  }
  const cells = [];
  for (const [cmd, dst] of [['rclone', 'r'], [nclone, 'n']]) {
    const d = path.join(base, dst);
    cells.push(measure(cmd, ['sync', src, d], env), measure(cmd, ['sync', src, d], env));
  }
  console.log(`| ${n} | ${cells[0]} | ${cells[2]} | ${cells[1]} | ${cells[3]} |`);
  rmSync(base, { recursive: true, force: true });
}
