#!/usr/bin/env node
// Start-up of one nclone command run from the bundle (dist/bundle/) and from the compiled tree
// (dist/src/), beside `node -e 0`, in alternating runs; prints the median wall times.
//   node bench/startup-ab.mjs [--runs N] -- ARGS...     (after npm ci or npm run build)
// The environment is this process's without NODE_EXTRA_CA_CERTS, as the bench runs the tools.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const opts = dash < 0 ? argv : argv.slice(0, dash);
const args = dash < 0 ? ['version'] : argv.slice(dash + 1);
const runs = opts[0] === '--runs' ? Number(opts[1]) : 15;
if (!(runs >= 1)) {
  console.error('usage: node bench/startup-ab.mjs [--runs N] -- ARGS...');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

// bin/nclone as it is, but with its entry fixed to one of the two.
const launcher = readFileSync(path.join(root, 'bin/nclone'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'nclone-startup-'));
const variants = { 'node -e 0': ['-e', '0'] };
for (const [name, entry] of [['compiled tree', 'dist/src/cli/main.js'], ['bundle', 'dist/bundle/main.js']]) {
  const file = path.join(dir, `${name.replace(' ', '-')}.mjs`);
  const text = launcher.replace(/^const entry = .*$/m, `const entry = ${JSON.stringify(pathToFileURL(path.join(root, entry)).href)};`);
  if (text === launcher) throw new Error('bin/nclone has no "const entry = ..." line to replace');
  writeFileSync(file, text);
  variants[name] = [file, ...args];
}
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
try {
  for (let i = 0; i < runs; i++) {
    for (const [name, a] of Object.entries(variants)) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, a, { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
      times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1].toFixed(1);
console.log(`nclone ${args.join(' ')}, ${runs} runs each, median wall ms: ${Object.entries(times).map(([k, a]) => `${k} ${median(a)}`).join(', ')}`);
