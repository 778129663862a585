/**
 * --log-file is held only for the run: runCommand closes it at the end, after the final
 * lines, so no descriptor is left open and nothing logged later lands in the file.
 */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandDef } from '../../src/cli/command.js';

// The compiled runner, as bin/nclone runs it (it reads the version from the package.json
// above dist/). A computed specifier: dist/ has no type declarations, src/ has the types.
const dist = (p: string) => new URL(`../../dist/src/${p}`, import.meta.url).href;
const { runCommand } = (await import(dist('cli/runner.js'))) as typeof import('../../src/cli/runner.js');
const { configureLog, logNotice } = (await import(dist('lib/log.js'))) as typeof import('../../src/lib/log.js');

const base = mkdtempSync(path.join(os.tmpdir(), 'nclone-logfile-'));
afterAll(() => {
  // Later tests in this process log at the default level to stderr again.
  configureLog({ level: 'NOTICE' });
  rmSync(base, { recursive: true, force: true });
});

/** The files this process has open now (Linux: /proc/self/fd). */
function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

function command(run: CommandDef['run']): CommandDef {
  return { name: 'probe', args: [], summary: 'test', description: 'test', noConfig: true, run };
}

describe.runIf(process.platform === 'linux')('--log-file at the end of a run', () => {
  it('is closed, after the lines of the run, whether it succeeded or failed', async () => {
    const ok = path.join(base, 'ok.log');
    const code = await runCommand(command(async () => logNotice(undefined, 'inside the run')), [], { logFile: ok }, {}, new AbortController().signal);
    expect(code).toBe(0);
    expect(openFiles()).not.toContain(ok);
    expect(readFileSync(ok, 'utf8')).toContain('NOTICE: inside the run');

    const failed = path.join(base, 'failed.log');
    const code2 = await runCommand(command(async () => Promise.reject(new Error('boom'))), [], { logFile: failed }, {}, new AbortController().signal);
    expect(code2).not.toBe(0);
    expect(openFiles()).not.toContain(failed);
    // The fatal line was written before the file was closed.
    expect(readFileSync(failed, 'utf8')).toContain('nclone: boom');

    // Nothing logged after the run goes to either file.
    logNotice(undefined, 'after the runs');
    expect(readFileSync(ok, 'utf8')).not.toContain('after the runs');
    expect(readFileSync(failed, 'utf8')).not.toContain('after the runs');
  });
});
