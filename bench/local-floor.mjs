#!/usr/bin/env node
// What copying many small local files costs Node itself, without nclone: the floor under
// workload 9. Copies FILES files of BYTES bytes into a fresh tree three ways, 8 at a time:
//   async    the calls nclone's local backend makes per file (open, read, close; open a
//            temporary name, write, futimes, close, rename) through fs/promises
//   copyfile fs.copyFile to the temporary name (one thread-pool call), utimes, rename
//   sync     the async set as synchronous calls (blocks the event loop: not an option for
//            nclone, which must stay responsive to signals on a hung disk; the lower bound)
//   worker   read as async, then one message to a worker thread that writes the temporary
//            name, sets its times and renames it with synchronous calls (what the local
//            backend's put does for a small file)
//   worker2  both halves on the worker: one message per file
// Usage: node bench/local-floor.mjs [DIR=os.tmpdir()] [FILES=3000] [BYTES=4096]
// Run it on tmpfs (/dev/shm) to leave the disk out, and beside `nclone sync` and
// `rclone sync` of the same tree under /usr/bin/time.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

// The worker modes' thread: answers each message once its synchronous calls are done.
const WORKER = `
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, from, data, tmp, to }) => {
  if (from) data = fs.readFileSync(from);
  const fd = fs.openSync(tmp, 'wx');
  fs.writeSync(fd, data);
  fs.futimesSync(fd, 1e9, 1e9);
  fs.closeSync(fd);
  fs.renameSync(tmp, to);
  parentPort.postMessage(id);
});`;
let thread;
const waiting = new Map();
function ask(msg) {
  if (!thread) {
    thread = new Worker(WORKER, { eval: true });
    thread.on('message', (id) => {
      waiting.get(id)();
      waiting.delete(id);
    });
  }
  const id = waiting.size === 0 ? 1 : Math.max(...waiting.keys()) + 1;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    thread.postMessage({ id, ...msg });
  });
}

const [base = os.tmpdir(), files = 3000, bytes = 4096] = [process.argv[2], ...process.argv.slice(3).map(Number)];
const root = fs.mkdtempSync(path.join(base, 'nclone-floor-'));
const dirs = 30;
const src = path.join(root, 'src');
const payload = Buffer.alloc(bytes, 'x');
for (let i = 0; i < files; i++) {
  const d = path.join(src, `d${i % dirs}`);
  if (i < dirs) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, `f${i}`), payload);
}

async function copyAll(mode) {
  const dst = path.join(root, mode);
  for (let d = 0; d < dirs; d++) fs.mkdirSync(path.join(dst, `d${d}`), { recursive: true });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < files) {
      const i = next++;
      const from = path.join(src, `d${i % dirs}`, `f${i}`);
      const to = path.join(dst, `d${i % dirs}`, `f${i}`);
      const tmp = `${to}.tmp`;
      if (mode === 'sync') {
        const data = fs.readFileSync(from);
        const fd = fs.openSync(tmp, 'wx');
        fs.writeSync(fd, data);
        fs.futimesSync(fd, 1e9, 1e9);
        fs.closeSync(fd);
        fs.renameSync(tmp, to);
      } else if (mode === 'copyfile') {
        await fsp.copyFile(from, tmp, fs.constants.COPYFILE_EXCL);
        await fsp.utimes(tmp, 1e9, 1e9);
        await fsp.rename(tmp, to);
      } else if (mode === 'worker2') {
        await ask({ from, tmp, to });
      } else if (mode === 'worker') {
        const r = await fsp.open(from, 'r');
        const buf = Buffer.allocUnsafe(bytes + 1);
        const { bytesRead } = await r.read(buf, 0, bytes + 1, 0);
        await r.close();
        await ask({ data: buf.subarray(0, bytesRead), tmp, to });
      } else {
        const r = await fsp.open(from, 'r');
        const buf = Buffer.allocUnsafe(bytes + 1);
        const { bytesRead } = await r.read(buf, 0, bytes + 1, 0);
        await r.close();
        const w = await fsp.open(tmp, 'wx');
        await w.write(buf, 0, bytesRead);
        await w.utimes(1e9, 1e9);
        await w.close();
        await fsp.rename(tmp, to);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const used = process.cpuUsage(cpu);
  return { mode, wall: (performance.now() - started) / 1000, user: used.user / 1e6, sys: used.system / 1e6 };
}

try {
  console.log(`| way | wall | user | sys |  (${files} × ${bytes} B under ${base}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4})`);
  console.log('| --- | --- | --- | --- |');
  for (const mode of (process.env.FLOOR_ORDER ?? 'async,copyfile,sync,worker,worker2').split(',')) {
    const r = await copyAll(mode);
    console.log(`| ${r.mode} | ${r.wall.toFixed(2)} s | ${r.user.toFixed(2)} s | ${r.sys.toFixed(2)} s |`);
  }
} finally {
  await thread?.terminate();
  fs.rmSync(root, { recursive: true, force: true });
}
