// The benchmark's own RGW, started and stopped with the test suite's script.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCRIPT = fileURLToPath(new URL('../../test/servers/ceph-rgw.sh', import.meta.url));

export function startRgw(dir, memstoreBytes) {
  const out = execFileSync('bash', [SCRIPT, 'start', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CEPH_RGW_MEMSTORE_BYTES: String(memstoreBytes) },
  });
  const v = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  const pids = Object.fromEntries(
    readFileSync(`${dir}/pids`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([n, p]) => [n, Number(p)]),
  );
  return { dir, endpoint: v.S3_ENDPOINT, accessKeyId: v.S3_ACCESS_KEY_ID, secretAccessKey: v.S3_SECRET_ACCESS_KEY, region: v.S3_REGION, pids };
}

export function stopRgw(dir) {
  execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function admin(dir, ...args) {
  return new Promise((resolve, reject) =>
    execFile('bash', [SCRIPT, 'admin', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`radosgw-admin ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

/** RSS of the OSD (memstore holds the objects in it), in MiB. */
export function osdRssMiB(pids) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pids.osd}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
