/** The test helper that runs programs: its timeout kills the child it started and says so. */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';

describe('run (test/helpers/run.ts)', () => {
  it('kills a child that outlives timeoutMs and reports timedOut, with what it printed', async () => {
    const started = Date.now();
    const r = await run(process.execPath, ['-e', 'console.log("up"); setTimeout(() => {}, 60_000)'], { PATH: process.env.PATH }, { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', code: -1, stdout: 'up\n' });
  });

  it('a child that ends in time: its exit code, not timed out; onStderr sees its stderr and can signal it', async () => {
    const ok = await run(process.execPath, ['-e', 'process.exit(3)'], { PATH: process.env.PATH }, { timeoutMs: 30_000 });
    expect(ok).toMatchObject({ code: 3, signal: null, timedOut: false });
    const script = 'process.on("SIGINT", () => process.exit(7)); console.error("ready"); setTimeout(() => {}, 60_000)';
    const signalled = await run(process.execPath, ['-e', script], { PATH: process.env.PATH }, { timeoutMs: 30_000, onStderr: (_t, child) => child.kill('SIGINT') });
    expect(signalled).toMatchObject({ code: 7, timedOut: false, stderr: 'ready\n' });
  });

  it('signalWhen sends the signal once ready() says so, and reports it', async () => {
    // ready() says yes only once the child has its SIGINT handler (it says so on stderr).
    let handling = false;
    const script = 'process.on("SIGINT", () => process.exit(7)); console.error("ready"); setTimeout(() => {}, 60_000)';
    const r = await run(process.execPath, ['-e', script], { PATH: process.env.PATH }, {
      timeoutMs: 30_000,
      onStderr: (t) => (handling ||= t.includes('ready')),
      signalWhen: { ready: () => handling, signal: 'SIGINT', everyMs: 20 },
    });
    expect(r).toMatchObject({ code: 7, timedOut: false, signalled: true });
  });
});
