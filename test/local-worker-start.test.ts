/**
 * The local backend's worker thread (backends/local/worker.ts) takes some 50 ms to start, and
 * a run that makes a few calls is over sooner without it. The first few requests are answered
 * at once with "no answer" and go the ordinary asynchronous way without starting it; the
 * next one starts it, and the requests from then on wait for it. This file's instance of the
 * worker module is fresh (vitest isolates test files), so its first request is the first.
 */
import { mkdirSync, promises as fsp, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE, statDir } from '../backends/local/dirstat.js';
import { EARLY, workerReady } from '../backends/local/worker.js';
import { childEnv, nclone, runChild } from './cli/run.js';

let root = '';
let home = '';

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(tmpdir(), 'nclone-worker-start-'));
  home = path.join(root, 'home');
  mkdirSync(home);
  mkdirSync(path.join(root, 'd', 'e'), { recursive: true });
  // More directories than EARLY, so that a listing of the tree starts the worker and uses it.
  for (let i = 0; i < 8; i++) mkdirSync(path.join(root, 'tree', `t${i}`, 'u'), { recursive: true });
  writeFileSync(path.join(root, 'tree', 't7', 'u', 'leaf'), 'leaf');
  for (let i = 0; i < 50; i++) writeFileSync(path.join(root, 'd', `f${i}`), 'x'.repeat(i));
  writeFileSync(path.join(root, 'd', 'e', 'g'), 'g');
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('the local worker while it starts', () => {
  it('answers nothing to the first few calls while it starts (the caller lists the ordinary way), then the calls wait for it', async () => {
    const dir = path.join(root, 'd');
    // The first call starts the worker; none of the first EARLY waits for it (each is
    // answered at once, so the worker cannot have come up in between).
    for (let i = 0; i < EARLY; i++) expect(await statDir(dir, dir + '/')).toBeUndefined();
    const st = await statDir(dir, dir + '/');
    expect(st?.kinds.length).toBe(51);
    const fileSizes = [...st!.sizes].filter((_, i) => st!.kinds[i] === FILE).sort((a, b) => a - b);
    expect(fileSizes).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await workerReady()).toBe(true);
  });

  it('a run that ends before the worker runs lists what a run without it lists', async () => {
    const run = (worker: string) => nclone(['lsl', path.join(root, 'd')], { env: childEnv(home, { NCLONE_LOCAL_WORKER: worker }) });
    const [on, off] = [await run('1'), await run('0')];
    expect(on.code).toBe(0);
    expect(on.stderr).toBe('');
    expect(on.stdout.trim().split('\n')).toHaveLength(51);
    expect(on.stdout).toBe(off.stdout);
  });

  it('a process ends when its work is done, once its worker has answered (the worker holds nothing up)', async () => {
    // Without process.exit, as a program using the backend would end: only what is still
    // referenced keeps it up, and a worker no request waits on must not be. A file, not
    // node -e: --input-type would pass on to the worker and make its script a module.
    const dist = (f: string) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);
    const d = JSON.stringify(path.join(root, 'd'));
    const tree = JSON.stringify(path.join(root, 'tree'));
    const scripts = {
      'cli.mjs': `const { main } = await import(${dist('src/cli/main.js')}); console.log(await main(['lsl', ${tree}]));`,
      'running.mjs': `const { statDir } = await import(${dist('backends/local/dirstat.js')}); const { workerReady } = await import(${dist('backends/local/worker.js')});
        const first = await statDir(${d}, ${d} + '/'); const up = await workerReady(); const then = await statDir(${d}, ${d} + '/');
        console.log(first === undefined, up, then?.kinds.length);`,
    };
    const want = { 'cli.mjs': '        4 t7/u/leaf\n0\n', 'running.mjs': 'true true 51\n' };
    for (const [name, text] of Object.entries(scripts)) {
      writeFileSync(path.join(root, name), text);
      // SIGKILL at the timeout: nclone takes SIGTERM as "stop the run", which a hung run has done already.
      const r = await runChild(process.execPath, [path.join(root, name)], { env: childEnv(home), timeoutMs: 20_000 });
      expect({ name, code: r.code, signal: r.signal, tail: r.stdout.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+/, ''), stderr: r.stderr }).toEqual({ name, code: 0, signal: null, tail: want[name as keyof typeof want], stderr: '' });
    }
  });
});
