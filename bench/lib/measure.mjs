// Running one tool under GNU time, and the server's CPU around it.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime+stime in seconds of the given PIDs (the Ceph daemons), from /proc/PID/stat. */
export function cpuOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces) start at field 3.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICK;
}

let current; // the running child, so Ctrl-C can end it

export function killCurrent() {
  if (current && current.exitCode === null) {
    try {
      current.kill('SIGTERM');
    } catch {}
  }
}

/**
 * Runs cmd under /usr/bin/time; resolves { wallMs, userS, sysS, rssKiB, status, stdout, stderr }.
 * Wall time is taken here (ms resolution); CPU and peak RSS come from GNU time.
 */
export function timed(cmd, args, { env, cwd, tmp }) {
  const out = path.join(tmp, `time.${process.pid}.txt`);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', cmd, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    const so = [];
    const se = [];
    let seLen = 0;
    child.stdout.on('data', (c) => so.push(c));
    child.stderr.on('data', (c) => {
      // Keep the tail only: a verbose tool could write a lot.
      se.push(c);
      seLen += c.length;
      while (seLen > 1 << 20 && se.length > 1) seLen -= se.shift().length;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      current = undefined;
      let line = '';
      try {
        line = readFileSync(out, 'utf8').trim().split('\n').pop();
        rmSync(out, { force: true });
      } catch {}
      const [, userS, sysS, rssKiB] = line.split(' ').map(Number);
      resolve({ wallMs, userS, sysS, rssKiB, status: signal ? 128 : status, stdout: Buffer.concat(so).toString(), stderr: Buffer.concat(se).toString() });
    });
  });
}

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
