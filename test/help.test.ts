/**
 * The help a new user reads: the commands first, one line each; each command's usage,
 * what it does, examples and its own flags; the global flags and the backends on pages of
 * their own; an unknown topic is an error that names it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { GLOBAL_FLAGS } from '../src/cli/flags.js';
import { NCLONE, cleanEnv, run, type RunResult } from './helpers/run.js';

let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-help-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const nclone = (...args: string[]) => run('node', [NCLONE, ...args], env);

function ok(r: RunResult): string {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('nclone --help', () => {
  it('lists the commands first, one line each, then where to find more; no flags', async () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const text = ok(await nclone(...args));
      const lines = text.split('\n');
      // The commands, one line each, and a few lines around them.
      expect(lines.length, args.join(' ')).toBeLessThan(COMMANDS.length + 20);
      const first = lines.findIndex((l) => l.startsWith('  copy '));
      expect(first).toBeGreaterThan(0);
      COMMANDS.forEach((c, i) => expect(lines[first + i]).toMatch(new RegExp(`^  ${c.name} +${c.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)));
      expect(text).not.toMatch(/--transfers|--s3-/);
      for (const pointer of ['nclone help COMMAND', 'nclone help flags', 'nclone help backends']) expect(text).toContain(pointer);
    }
  });
});

describe('nclone help COMMAND', () => {
  it('sync: usage, that the contents of the source are synced, examples, and no global flags', async () => {
    const text = ok(await nclone('help', 'sync'));
    expect(ok(await nclone('sync', '--help'))).toBe(text);
    expect(text.split('\n')[0]).toBe('Usage: nclone sync [flags] source:path dest:path');
    expect(text.replace(/\s+/g, ' ')).toContain('the contents of the directory that is synced, not the directory itself');
    expect(text).toMatch(/^Examples:\n(  .*\n)*  nclone sync -n /m);
    expect(text).not.toMatch(/--transfers|--checkers|--s3-/);
    expect(text.split('\n').length).toBeLessThan(40);
  });

  it.each(COMMANDS.map((c) => c.name))('%s: usage, summary, examples, its own flags only', async (name) => {
    const def = COMMANDS.find((c) => c.name === name)!;
    const text = ok(await nclone('help', name));
    expect(text).toMatch(new RegExp(`^Usage: nclone ${name} `));
    expect(text).toContain(def.summary);
    // An example may feed the command from a pipe (rcat).
    expect(text).toMatch(new RegExp(`^Examples:\\n(  .*\\n)*  ([^#\\n]*\\| )?nclone ${name}( |$)`, 'm'));
    for (const f of def.flags ?? []) expect(text).toContain(f.spec);
    expect(text).not.toContain('--max-transfer');
  });

  it('a subcommand has its own page', async () => {
    const text = ok(await nclone('help', 'config', 'create'));
    expect(text).toMatch(/^Usage: nclone config create \[flags\] name type \[options\.\.\.\]/);
    expect(ok(await nclone('config', 'create', '--help'))).toBe(text);
  });
});

describe('help topics', () => {
  it('flags: every global flag, grouped', async () => {
    const text = ok(await nclone('help', 'flags'));
    for (const f of GLOBAL_FLAGS) expect(text).toMatch(new RegExp(`--${f.name}(?![\\w-])`));
    for (const heading of ['General:', 'Logging and progress:', 'Copying:', 'Filtering:']) expect(text).toMatch(new RegExp(`^${heading}$`, 'm'));
    expect(text).not.toMatch(/^  sync /m);
  });

  it('backends: each backend and how their options become flags', async () => {
    const text = ok(await nclone('help', 'backends'));
    expect(text).toMatch(/^  local +Local disk$/m);
    expect(text).toMatch(/^  s3 +Amazon S3/m);
    expect(text).toContain('--<backend>-<option>');
  });

  it('backend s3: its options as flags, from its option table', async () => {
    const text = ok(await nclone('help', 'backend', 's3'));
    expect(text).toMatch(/^  --s3-upload-cutoff VALUE +/m);
    expect(text).toMatch(/^  --s3-secret-access-key VALUE +/m);
    expect(text).toMatch(/^Advanced options:$/m);
  });

  it('an unknown topic is one line naming it, exit 1', async () => {
    for (const [args, named] of [
      [['help', 'nosuch'], '"nosuch"'],
      [['help', 'config', 'nosuch'], '"nosuch"'],
      [['help', 'backend', 'ftp'], '"ftp"'],
    ] as const) {
      const r = await nclone(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^nclone: [^\n]+\n$/);
      expect(r.stderr).toContain(named);
    }
  });

  it('flags RE: the global flags and backend options whose name or help matches, case-insensitively', async () => {
    const text = ok(await nclone('help', 'flags', 'UPLOAD.*cut'));
    expect(text).toContain('--s3-upload-cutoff');
    expect(text).not.toContain('--transfers');
    const dry = ok(await nclone('help', 'flags', 'trial run'));
    expect(dry).toMatch(/-n, --dry-run/);
    expect(dry.match(/^  -/gm)).toHaveLength(1);
    expect(ok(await nclone('help', 'flags', 'zzzq'))).toContain('No flag matches "zzzq"');
    const bad = await nclone('help', 'flags', '(');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^nclone: invalid regular expression "\(" [^\n]+\n$/);
  });
});

describe('unknown commands', () => {
  it("one of rclone's commands that nclone lacks says so, with the nclone counterpart where there is one", async () => {
    for (const [cmd, extra] of [
      ['mount', undefined],
      ['genautocomplete', 'nclone completion'],
      ['ncdu', 'nclone size'],
    ] as const) {
      const r = await nclone(cmd, 'remote:');
      expect(r.code, cmd).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^nclone: nclone has no '${cmd}' command \\(rclone has\\)[^\\n]*\n$`));
      if (extra) expect(r.stderr).toContain(extra);
    }
  });

  it('a misspelt command is one line with the suggestion', async () => {
    const r = await nclone('lsjsn', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nclone: unknown command 'lsjsn' \(Did you mean lsjson\?\)[^\n]*\n$/);
  });
});
