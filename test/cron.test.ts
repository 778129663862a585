/**
 * docs/cron.md, run as cron would run it: its crontab blocks and config file are read from
 * the page, the placeholder paths, endpoint, keys and bucket replaced by a temporary
 * directory and the test RGW, and each job's command run with `sh -c` under `env -i`
 * holding only what cron gives a job (HOME, LOGNAME, SHELL) plus the crontab's variables,
 * with no terminal. Checks the exit codes, that the log file is JSON lines, the summary
 * file, the refusal of a second run by the lock, --max-delete, and the flock variant.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, run, type RunResult } from './helpers/run.js';
import { s3Server, uniqueBucket } from './helpers/s3.js';
import { removeBuckets } from './s3/helpers-cli.js';

const DOC = readFileSync(new URL('../docs/cron.md', import.meta.url), 'utf8');

/** The fenced blocks of the page with this info string, indentation removed. */
function blocks(info: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`^( *)\`\`\`${info}\\n([^]*?)\\n\\1\`\`\`$`, 'gm');
  for (const m of DOC.matchAll(re)) out.push(m[2]!.split('\n').map((l) => l.slice(m[1]!.length)).join('\n'));
  return out;
}

interface CronJob {
  vars: Record<string, string>;
  command: string;
}

/** A crontab: NAME=value lines, comments, and one job line (five time fields, then the command). */
function parseCrontab(text: string): CronJob {
  const vars: Record<string, string> = {};
  const jobs: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const v = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (v) vars[v[1]!] = v[2]!;
    else jobs.push(line);
  }
  expect(jobs, text).toHaveLength(1);
  const fields = jobs[0]!.trim().split(/\s+/);
  expect(fields.slice(0, 5)).toEqual(['15', '2', '*', '*', '*']);
  return { vars, command: jobs[0]!.trim().replace(/^(\S+\s+){5}/, '') };
}

let base: string;
let dirs: { src: string; log: string; state: string; etc: string; bin: string; home: string };
const bucket = uniqueBucket('nclone-cron');
const holders: ChildProcess[] = [];

/** The page's placeholders, in the order they must be replaced (longer paths first). */
function localize(text: string): string {
  const s = s3Server();
  return text
    .replaceAll('/srv/data', dirs.src)
    .replaceAll('/var/log/nclone', dirs.log)
    .replaceAll('/var/lib/nclone', dirs.state)
    .replaceAll('/etc/nclone', dirs.etc)
    .replaceAll('https://s3.example.com', s.endpoint)
    .replaceAll('EXAMPLEKEYID', s.accessKeyId)
    .replaceAll('EXAMPLESECRET', s.secretAccessKey)
    .replaceAll('nightly-backup', bucket);
}

/**
 * The job's command, as cron runs it: `sh -c`, stdin from /dev/null, no terminal, an
 * environment of HOME, LOGNAME and SHELL plus the crontab's variables (PATH's
 * /usr/local/bin standing for where nclone and node are installed). `extra` is for a
 * test's own purposes only (slowing a run down) and is said where used.
 */
function runJob(job: CronJob, extra: Record<string, string> = {}): Promise<RunResult> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(job.vars)) vars[k] = k === 'PATH' ? v.replace('/usr/local/bin', dirs.bin) : localize(v);
  const env = {
    HOME: dirs.home,
    LOGNAME: os.userInfo().username,
    SHELL: '/bin/sh',
    // The keys are given, so the AWS SDK never asks the metadata service; the project's
    // rule for tests is to make sure of it anyway.
    AWS_EC2_METADATA_DISABLED: 'true',
    ...vars,
    ...extra,
  };
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return run('env', ['-i', ...assignments, '/bin/sh', '-c', localize(job.command)], {}, { timeoutMs: 120_000 });
}

/** Every line of the log as a JSON object; fails on the first line that is not one. */
function logLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const v = JSON.parse(l) as Record<string, unknown>;
      expect(typeof v.level, l).toBe('string');
      expect(typeof v.msg, l).toBe('string');
      expect(v.time, l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      return v;
    });
}

const summaryFile = () => path.join(dirs.state, 'nightly.json');
const logFile = () => path.join(dirs.log, 'nightly.log');
const lockFile = () => path.join(dirs.state, 'nightly.lock');
const summary = () => JSON.parse(readFileSync(summaryFile(), 'utf8')) as Record<string, unknown>;

async function waitFor(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What the destination holds, through `nclone ls` with the job's own config. */
async function remoteFiles(job: CronJob): Promise<string[]> {
  const r = await runJob({ vars: job.vars, command: 'nclone ls backup:nightly-backup/data' });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.replace(/^ *\d+ /gm, '').split('\n').filter(Boolean).sort();
}

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-cron-'));
  const d = (name: string) => {
    const p = path.join(base, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  dirs = { src: d('srv/data'), log: d('log'), state: d('state'), etc: d('etc'), bin: d('bin'), home: d('home') };
  symlinkSync(NCLONE, path.join(dirs.bin, 'nclone'));
  symlinkSync(process.execPath, path.join(dirs.bin, 'node'));
  for (const name of ['report.txt', 'notes.md', 'img/photo.jpg', 'img/scan.png']) {
    mkdirSync(path.dirname(path.join(dirs.src, name)), { recursive: true });
    writeFileSync(path.join(dirs.src, name), `${name}\n`.repeat(20));
  }
  // The config file of the page, private as it says.
  const conf = path.join(dirs.etc, 'nclone.conf');
  writeFileSync(conf, localize(blocks('ini')[0]!) + '\n', { mode: 0o600 });
  chmodSync(conf, 0o600);
});

afterAll(async () => {
  for (const h of holders) {
    try {
      process.kill(-h.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(base, { recursive: true, force: true });
  await removeBuckets([bucket]);
});

describe('docs/cron.md, run as cron runs it', () => {
  const [main, envOnly, withFlock] = blocks('crontab').map(parseCrontab);

  it('the page has the three crontabs and the config file this test runs', () => {
    expect(main!.vars).toMatchObject({ MAILTO: expect.any(String), PATH: '/usr/local/bin:/usr/bin:/bin', NCLONE_CONFIG: '/etc/nclone/nclone.conf' });
    for (const flag of ['--log-file', '--use-json-log', '--max-delete', '--lock-file', '--summary-json']) expect(main!.command).toContain(flag);
    expect(Object.keys(envOnly!.vars)).toContain('NCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY');
    expect(withFlock!.command).toMatch(/^flock -n -E 12 /);
    expect(blocks('ini')[0]).toMatch(/^\[backup\]\ntype = s3\n/);
  });

  it('the nightly sync: exit 0, nothing on stdout or stderr (no mail), JSON lines in the log, the summary', async () => {
    const r = await runJob(main!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const lines = logLines(logFile());
    expect(lines.filter((l) => l.msg === 'Copied (new)').map((l) => l.object).sort()).toEqual(['img/photo.jpg', 'img/scan.png', 'notes.md', 'report.txt']);
    expect(lines.filter((l) => l.stats).at(-1)!.stats).toMatchObject({ transfers: 4, errors: 0 });
    expect(summary()).toMatchObject({ command: 'sync', status: 'ok', exitCode: 0, transfers: 4, deletes: 0, errors: 0 });
    expect(existsSync(lockFile())).toBe(false);
    expect(await remoteFiles(main!)).toEqual(['img/photo.jpg', 'img/scan.png', 'notes.md', 'report.txt']);
  });

  it('a second run while the first is going: refused with exit 12 and one line (mailed by cron), logged as JSON', async () => {
    writeFileSync(path.join(dirs.src, 'big.bin'), randomBytes(3 * 1024 * 1024));
    const before = readFileSync(summaryFile(), 'utf8');
    // Only to make the first run last a few seconds: --bwlimit through its variable.
    const first = runJob(main!, { NCLONE_BWLIMIT: '1M' });
    const lock = lockFile();
    await waitFor('the first run to take the lock', () => existsSync(lock) && readFileSync(lock, 'utf8').endsWith('\n'));
    const holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number };
    const second = await runJob(main!);
    expect(second.code, second.stderr).toBe(12);
    expect(second.stdout).toBe('');
    const refusal = JSON.parse(second.stderr) as Record<string, unknown>;
    expect(refusal).toMatchObject({ level: 'error', msg: expect.stringMatching(new RegExp(`^--lock-file ${lock.replace(/[/.]/g, '\\$&')} is held by PID ${holder.pid} \\(since [^)]+\\): another run is still going; not starting \\(exit code 12\\)$`)) });
    expect(logLines(logFile()).some((l) => l.msg === refusal.msg)).toBe(true);
    expect(readFileSync(summaryFile(), 'utf8')).toBe(before);
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toBe('');
    expect(summary()).toMatchObject({ status: 'ok', exitCode: 0, transfers: 1, checks: 4 });
    expect(existsSync(lock)).toBe(false);
  });

  it('--max-delete stops a sync that would delete more (limit lowered to 2 to keep the test small): exit 7, the reason on stderr, nothing deleted', async () => {
    for (const name of ['report.txt', 'notes.md', 'img/photo.jpg']) rmSync(path.join(dirs.src, name));
    const job = { ...main!, command: main!.command.replace('--max-delete 100', '--max-delete 2') };
    expect(job.command).not.toBe(main!.command);
    const r = await runJob(job);
    expect(r.code, r.stderr).toBe(7);
    const last = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ level: 'error', msg: expect.stringMatching(/^Failed to sync with 1 error: last error was: .*--max-delete/) });
    expect(summary()).toMatchObject({ status: 'failed', exitCode: 7, deletes: 0, errors: 1 });
    expect(await remoteFiles(main!)).toEqual(['big.bin', 'img/photo.jpg', 'img/scan.png', 'notes.md', 'report.txt']);
    // With the documented limit the same sync goes through.
    const ok = await runJob(main!);
    expect(ok.code, ok.stderr).toBe(0);
    expect(summary()).toMatchObject({ status: 'ok', deletes: 3 });
    expect(await remoteFiles(main!)).toEqual(['big.bin', 'img/scan.png']);
  });

  it('credentials from NCLONE_CONFIG_BACKUP_* variables in the crontab, no config file', async () => {
    writeFileSync(path.join(dirs.src, 'new.txt'), 'new\n');
    const r = await runJob(envOnly!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(summary()).toMatchObject({ status: 'ok', transfers: 1 });
    expect(envOnly!.vars.NCLONE_CONFIG).toBeUndefined();
  });

  it('the flock variant: exit 12 and no output while the lock is held, a normal run once it is free', async () => {
    const file = path.join(dirs.state, 'nightly.flock');
    // A group of its own: flock and the sleep it starts (which shares the lock) end together.
    const holder = spawn('flock', ['-n', file, '-c', 'echo locked; sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    holders.push(holder);
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    const logBefore = readFileSync(logFile(), 'utf8');
    const refused = await runJob(withFlock!);
    expect(refused.code).toBe(12);
    expect(refused.stdout + refused.stderr).toBe('');
    expect(readFileSync(logFile(), 'utf8')).toBe(logBefore);
    const closed = new Promise((resolve) => holder.once('close', resolve));
    process.kill(-holder.pid!, 'SIGKILL');
    await closed;
    writeFileSync(path.join(dirs.src, 'later.txt'), 'later\n');
    const r = await runJob(withFlock!);
    expect(r.code, r.stderr).toBe(0);
    expect(summary()).toMatchObject({ status: 'ok', transfers: 1 });
  });
});
