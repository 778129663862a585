/**
 * --lock-file through bin/nclone: a run refuses to start while another holds the lock
 * (one line naming the lock and the holder's PID, exit code 12, nothing done, the
 * holder's summary untouched); a lock whose holder is gone is taken over with a NOTICE;
 * the lock is released however the run ends.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchTrees } from './helpers/scratch.js';
import { NCLONE, cleanEnv, run, type RunResult } from './helpers/run.js';

let base: string;
let env: NodeJS.ProcessEnv;
const sleepers: ChildProcess[] = [];

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-lock-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});

afterAll(() => {
  for (const s of sleepers) s.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

const { fresh, tree, slowTree: slowFiles } = scratchTrees(() => base);
/** A source whose copy takes seconds under --bwlimit: time to interrupt it. */
const slowTree = (files = 2, size = 4 * 1024 * 1024) => slowFiles(files, size);




const nclone = (args: string[], extra: Record<string, string> = {}) => run('node', [NCLONE, ...args], { ...env, ...extra }, { timeoutMs: 60_000 });

/** A process that stays alive until the test ends: a holder whose PID exists. */
function liveProcess(): ChildProcess {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  sleepers.push(child);
  return child;
}

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', [], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function lockRecord(pid: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ pid, host: os.hostname(), since: '2026-01-01T02:00:00.000Z', ...extra }) + '\n';
}

const refusal = (lock: string, pid: number, since = '2026-01-01T02:00:00.000Z') =>
  `nclone: --lock-file ${lock} is held by PID ${pid} (since ${since}): another run is still going; not starting (exit code 12)\n`;

/**
 * A first and a second signal that arrive together: the process is stopped while both are
 * sent (two SIGINTs would merge into one; a SIGINT and a SIGTERM stay two), so the second
 * finds the orderly stop of the first under way, however fast that stop is.
 */
function twoSignalsAtOnce(pid: number): void {
  for (const sig of ['SIGSTOP', 'SIGINT', 'SIGTERM', 'SIGCONT'] as const) process.kill(pid, sig);
}

async function waitFor(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('--lock-file', () => {
  it('held by a running process: one line naming the lock and the PID, exit 12, nothing done, nothing else touched', async () => {
    const holder = liveProcess();
    const lock = fresh('held.lock');
    writeFileSync(lock, lockRecord(holder.pid!));
    const log = fresh('held.log');
    const summary = fresh('held.json');
    writeFileSync(summary, '{"the holder":"wrote this"}\n');
    const dst = fresh('dst');
    const r = await nclone(['sync', tree(['a']), dst, '--lock-file', lock, '--log-file', log, '--summary-json', summary, '-v']);
    expect(r.code).toBe(12);
    expect(r.stderr).toBe(refusal(lock, holder.pid!));
    expect(existsSync(dst)).toBe(false);
    expect(readFileSync(lock, 'utf8')).toBe(lockRecord(holder.pid!));
    expect(readFileSync(summary, 'utf8')).toBe('{"the holder":"wrote this"}\n');
    expect(readFileSync(log, 'utf8')).toBe(refusal(lock, holder.pid!));

    // With --use-json-log the refusal is a JSON object, on stderr and in the log.
    const json = await nclone(['ls', tree(['a']), '--lock-file', lock, '--use-json-log', '--log-file', log]);
    expect(json.code).toBe(12);
    const line = JSON.parse(json.stderr) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', msg: refusal(lock, holder.pid!).slice('nclone: '.length, -1) });
    expect(readFileSync(log, 'utf8').endsWith(json.stderr)).toBe(true);
  });

  it('left by a process that is gone: taken over with a NOTICE, and released at the end', async () => {
    const pid = await deadPid();
    const lock = fresh('stale.lock');
    writeFileSync(lock, lockRecord(pid));
    const r = await nclone(['copy', tree(['a']), fresh('dst'), '--lock-file', lock]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d NOTICE: --lock-file ${lock.replace(/[/.]/g, '\\$&')}: taking over the lock of PID ${pid} \\(since 2026-01-01T02:00:00\\.000Z\\), which is no longer running\\n$`),
    );
    expect(existsSync(lock)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('whose PID now belongs to another program (start time differs): taken over', async () => {
    const other = liveProcess();
    const lock = fresh('reused.lock');
    writeFileSync(lock, lockRecord(other.pid!, { procStart: '1' }));
    const r = await nclone(['ls', tree(['a']), '--lock-file', lock]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`taking over the lock of PID ${other.pid}`);
    expect(existsSync(lock)).toBe(false);
  });

  it('two real runs: the second is refused naming the first one\'s PID; the first finishes and releases the lock', async () => {
    const lock = fresh('real.lock');
    const dst = fresh('dst');
    let first: ChildProcess | undefined;
    const running = run('node', [NCLONE, 'copy', slowTree(), dst, '--bwlimit', '2M', '--lock-file', lock], env, {
      timeoutMs: 60_000,
      onStderr: (_t, c) => (first = c),
    });
    await waitFor('the first run to take the lock', () => existsSync(lock) && readFileSync(lock, 'utf8').endsWith('\n'));
    const holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; since: string };
    const second = await nclone(['copy', tree(['b']), fresh('dst2'), '--lock-file', lock]);
    expect(second.code).toBe(12);
    expect(second.stderr).toBe(refusal(lock, holder.pid, holder.since));
    const done = await running;
    expect(done.code, done.stderr).toBe(0);
    expect(first).toBeUndefined(); // the first run printed nothing
    expect(existsSync(lock)).toBe(false);
    // Free again: the next run takes it.
    expect((await nclone(['ls', tree(['c']), '--lock-file', lock])).code).toBe(0);
  });

  it('released when the run fails, and when SIGTERM stops it', async () => {
    const lock = fresh('fail.lock');
    const failed = await nclone(['copy', path.join(base, 'no-such-dir'), fresh('dst'), '--lock-file', lock]);
    expect(failed.code).toBe(3);
    expect(existsSync(lock)).toBe(false);

    const termLock = fresh('term.lock');
    const stopped: RunResult = await run('node', [NCLONE, 'copy', slowTree(), fresh('dst'), '--bwlimit', '1M', '--lock-file', termLock], env, {
      timeoutMs: 60_000,
      signalWhen: { ready: () => existsSync(termLock), signal: 'SIGTERM' },
    });
    expect(stopped.signalled).toBe(true);
    expect(stopped.code, stopped.stderr).toBe(7);
    expect(stopped.stderr).toContain('interrupted by SIGTERM');
    expect(existsSync(termLock)).toBe(false);
  });

  it('released by a second signal, which exits at once with 130', async () => {
    const lock = fresh('twice.lock');
    const running = nclone(['-v', 'copy', slowTree(4, 8 * 1024 * 1024), fresh('dst'), '--transfers', '4', '--bwlimit', '8M', '--lock-file', lock]);
    await waitFor('the run to take the lock', () => existsSync(lock) && readFileSync(lock, 'utf8').endsWith('\n'));
    twoSignalsAtOnce((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid);
    const r = await running;
    expect(r.code, r.stderr.slice(-1000)).toBe(130);
    // Whichever of the two was taken first started the orderly stop.
    expect(r.stderr).toMatch(/^nclone: received SIG(INT|TERM), stopping transfers/m);
    expect(existsSync(lock)).toBe(false);
  });

  it('runs started at the same instant: exactly one takes the lock, the others are refused naming it', async () => {
    const lock = fresh('race.lock');
    const src = slowTree(1, 2 * 1024 * 1024);
    const runs = await Promise.all(Array.from({ length: 4 }, () => nclone(['copy', src, fresh('dst'), '--bwlimit', '1M', '--lock-file', lock])));
    const codes = runs.map((r) => r.code).sort();
    expect(codes, runs.map((r) => r.stderr).join('')).toEqual([0, 12, 12, 12]);
    for (const r of runs.filter((x) => x.code === 12)) expect(r.stderr).toMatch(/^nclone: --lock-file .* is held by PID \d+ \(since [^)]+\): another run is still going; not starting \(exit code 12\)\n$/);
    expect(existsSync(lock)).toBe(false);
  });

  it('a stale lock found by several runs at once: one takes it over, the others are refused', async () => {
    const lock = fresh('stale-race.lock');
    const pid = await deadPid();
    writeFileSync(lock, lockRecord(pid));
    const src = slowTree(1, 2 * 1024 * 1024);
    const runs = await Promise.all(Array.from({ length: 4 }, () => nclone(['copy', src, fresh('dst'), '--bwlimit', '1M', '--lock-file', lock])));
    const winners = runs.filter((r) => r.code === 0);
    expect(runs.map((r) => r.code).sort(), runs.map((r) => r.stderr).join('')).toEqual([0, 12, 12, 12]);
    expect(winners[0]!.stderr).toContain(`taking over the lock of PID ${pid}`);
    for (const r of runs.filter((x) => x.code === 12)) {
      expect(r.stderr).not.toContain('taking over');
      expect(r.stderr).not.toContain(`PID ${pid} `);
    }
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(`${lock}.takeover`)).toBe(false);
  });

  it('held by a run on another host: refused, naming the host (its PID can\'t be checked from here)', async () => {
    const lock = fresh('remote.lock');
    writeFileSync(lock, JSON.stringify({ pid: 1234567, host: 'backup-host-2', since: '2026-01-01T02:00:00.000Z' }) + '\n');
    const r = await nclone(['ls', tree(['a']), '--lock-file', lock]);
    expect(r.code).toBe(12);
    expect(r.stderr).toBe(`nclone: --lock-file ${lock} is held by PID 1234567 on host backup-host-2 (since 2026-01-01T02:00:00.000Z): another run is still going; not starting (exit code 12)\n`);
  });

  it('something else planted at the path (a symbolic link, even to /dev/zero; a FIFO): not followed, not waited on; one line, exit 1, left as it is', async () => {
    const target = fresh('target');
    writeFileSync(target, lockRecord(await deadPid()));
    const cases: [string, () => void, string][] = [
      ['to-zero.lock', () => symlinkSync('/dev/zero', path.join(base, 'to-zero.lock')), 'it is a symbolic link, which nclone never makes'],
      ['to-record.lock', () => symlinkSync(target, path.join(base, 'to-record.lock')), 'it is a symbolic link, which nclone never makes'],
      ['fifo.lock', () => execFileSync('mkfifo', [path.join(base, 'fifo.lock')]), 'it is not a regular file (a FIFO or a device), which nclone never makes'],
    ];
    for (const [name, make, why] of cases) {
      const lock = path.join(base, name);
      make();
      const dst = fresh('dst');
      // A read of /dev/zero or of a FIFO nobody writes would never end: the run is killed at the timeout.
      const r = await run('node', [NCLONE, 'copy', tree(['a']), dst, '--lock-file', lock], env, { timeoutMs: 30_000 });
      expect(r.timedOut, name).toBe(false);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`nclone: can't create --lock-file ${lock}: ${why}: remove it, or give another path\n`);
      expect(existsSync(dst)).toBe(false);
      expect(lstatSync(lock).isFile()).toBe(false);
    }
    expect(readFileSync(target, 'utf8')).toMatch(/^\{"pid":/);
  });

  it('a lock file nclone cannot read as a lock: refused after a moment, saying so', async () => {
    const lock = fresh('garbage.lock');
    writeFileSync(lock, 'not a lock\n');
    const r = await nclone(['ls', tree(['a']), '--lock-file', lock]);
    expect(r.code).toBe(12);
    expect(r.stderr).toBe(`nclone: --lock-file ${lock}: it holds no lock record nclone can read; delete it if no nclone run is using it; not starting (exit code 12)\n`);
    expect(readFileSync(lock, 'utf8')).toBe('not a lock\n');
  });

  it('a lock file whose directory is missing: a usage error; NCLONE_LOCK_FILE works like the flag', async () => {
    const missing = path.join(base, 'no', 'such', 'x.lock');
    const r = await nclone(['ls', tree(['a']), '--lock-file', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`nclone: can't create --lock-file ${missing}: directory ${path.dirname(missing)} does not exist\n`);

    const holder = liveProcess();
    const lock = fresh('env.lock');
    writeFileSync(lock, lockRecord(holder.pid!));
    const byEnv = await nclone(['ls', tree(['a'])], { NCLONE_LOCK_FILE: lock });
    expect(byEnv.code).toBe(12);
    expect(byEnv.stderr).toBe(refusal(lock, holder.pid!));
  });
});
