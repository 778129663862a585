/**
 * Password options (sftp pass, key_file_pass) through the real CLI: `config create` and
 * `config update` store them obscured exactly when rclone 1.60 does (same file, same
 * values given, compared side by side), rclone reads what nclone wrote, and the
 * `obscure` / `reveal` commands interoperate with rclone's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../cli/run.js';
import { Sandbox, parseSections, rclone } from './harness.js';

let sb: Sandbox;
beforeAll(() => {
  sb = new Sandbox();
});
afterAll(() => sb.cleanup());

const section = (file: string, name: string) => parseSections(readFileSync(file, 'utf8'))[name]!;

async function rcloneReveal(value: string): Promise<string> {
  const r = await rclone(sb, ['--config', '/dev/null', 'reveal', '--', value]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.replace(/\n$/, '');
}

async function rcloneObscure(plain: string): Promise<string> {
  const r = await rclone(sb, ['--config', '/dev/null', 'obscure', plain]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** nclone with `input` on stdin (a pipe), for `obscure -`. */
function ncloneWithInput(args: string[], input: string) {
  return spawnSync(process.execPath, [BIN, ...args], { env: sb.env(), input, encoding: 'utf8', timeout: 30_000 });
}

describe('nclone obscure / reveal', () => {
  it('obscure PASSWORD prints a value rclone reveals; reveal reads rclone obscure', async () => {
    const r = await sb.run(['obscure', 'hunter2 ✓']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]{22,}\n$/);
    expect(await rcloneReveal(r.stdout.trim())).toBe('hunter2 ✓');
    const back = await sb.run(['reveal', '--', await rcloneObscure('from rclone')]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toBe('from rclone\n');
  });

  it('obscure - takes the first line of piped stdin, without its line end', async () => {
    const r = ncloneWithInput(['obscure', '-'], 'first line\r\nsecond line\n');
    expect(r.status, r.stderr).toBe(0);
    expect(await rcloneReveal(r.stdout.trim())).toBe('first line');
    const empty = ncloneWithInput(['obscure', '-'], '');
    expect(empty.status, empty.stderr).toBe(0);
    expect(await rcloneReveal(empty.stdout.trim())).toBe('');
  });

  it('obscure - with stdin not a pipe (here /dev/null) obscures "-" itself, as rclone does', async () => {
    const r = await sb.run(['obscure', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(await rcloneReveal(r.stdout.trim())).toBe('-');
    const theirs = await rclone(sb, ['--config', '/dev/null', 'obscure', '-']);
    expect(await rcloneReveal(theirs.stdout.trim())).toBe('-');
  });

  it('reveal of a value that is not obscured fails in one line with exit 1, like rclone; obscure needs its argument', async () => {
    const r = await sb.run(['reveal', 'not obscured!']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/can't reveal: the value is not obscured/);
    expect((await rclone(sb, ['--config', '/dev/null', 'reveal', 'not obscured!'])).code).toBe(1);
    // base64url characters, but 25 of them: not valid unpadded base64 for rclone, nor for nclone.
    expect((await sb.run(['reveal', 'a'.repeat(25)])).code).toBe(1);
    expect((await rclone(sb, ['--config', '/dev/null', 'reveal', 'a'.repeat(25)])).code).toBe(1);
    const none = await sb.run(['obscure']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/missing required argument 'password'/);
  });
});

describe('config create / update with password options (sftp)', () => {
  const A25 = 'a'.repeat(25); // base64url characters, but a length Go's decoder refuses: rclone obscures it
  const A24 = 'b'.repeat(24); // reads as obscured: rclone stores it as given (its documented pitfall)

  /** The stored pass after `config create r sftp host=... pass=VALUE FLAGS` by rclone and by nclone, in files of their own. */
  async function bothCreate(value: string, flags: string[] = []): Promise<{ theirs: string; ours: string; shown: string }> {
    const rFile = sb.conf('rclone');
    const nFile = sb.conf('nclone');
    const args = ['config', 'create', 'r', 'sftp', 'host=127.0.0.1', `pass=${value}`, ...flags];
    const rr = await rclone(sb, ['--config', rFile, ...args]);
    expect(rr.code, rr.stderr).toBe(0);
    const nr = await sb.nc(nFile, args);
    expect(nr.code, nr.stderr).toBe(0);
    return { theirs: section(rFile, 'r').pass!, ours: section(nFile, 'r').pass!, shown: nr.stdout };
  }

  it('a plain password is stored obscured, as rclone stores it, and never printed', async () => {
    for (const plain of ['hunter2', A25, 'with space and ünïcode']) {
      const { theirs, ours, shown } = await bothCreate(plain);
      expect(ours).not.toBe(plain);
      expect(await rcloneReveal(ours)).toBe(plain);
      expect(await rcloneReveal(theirs)).toBe(plain);
      expect(shown).toContain('pass = *** REDACTED ***');
      expect(shown).not.toContain(plain);
    }
  });

  it('a value already obscured is kept as given, as rclone keeps it (also a plain one that looks obscured)', async () => {
    const obscured = await rcloneObscure('secret');
    for (const value of [obscured, A24]) {
      const { theirs, ours } = await bothCreate(value);
      expect(theirs).toBe(value);
      expect(ours).toBe(value);
    }
  });

  it('--obscure obscures even a value that looks obscured, as rclone does', async () => {
    const obscured = await rcloneObscure('secret');
    for (const value of [obscured, A24, 'hunter2']) {
      const { theirs, ours } = await bothCreate(value, ['--obscure']);
      expect(await rcloneReveal(ours)).toBe(value);
      expect(await rcloneReveal(theirs)).toBe(value);
    }
  });

  it('--no-obscure stores an obscured value as given; one that is not obscured is refused (rclone would store it)', async () => {
    const obscured = await rcloneObscure('secret');
    const { theirs, ours } = await bothCreate(obscured, ['--no-obscure']);
    expect(ours).toBe(obscured);
    expect(theirs).toBe(obscured);
    const file = sb.conf('refused');
    const r = await sb.nc(file, ['config', 'create', 'r', 'sftp', 'host=127.0.0.1', 'pass=hunter2', '--no-obscure']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/option pass: the value is not obscured, so --no-obscure can't store it/);
    expect(r.stderr).not.toContain('hunter2');
    expect(existsSync(file)).toBe(false);
  });

  it('config update obscures pass and key_file_pass, --no-obscure keeps, key= removes; rclone reads the section', async () => {
    const file = sb.conf('update');
    expect((await sb.nc(file, ['config', 'create', 'box', 'sftp', 'host=127.0.0.1', 'user=me'])).code).toBe(0);
    const u = await sb.nc(file, ['config', 'update', 'box', 'pass=pw one', 'key_file_pass', 'phrase']);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toBe('[box]\ntype = sftp\nhost = 127.0.0.1\nuser = me\npass = *** REDACTED ***\nkey_file_pass = *** REDACTED ***\n\n');
    const written = section(file, 'box');
    expect(await rcloneReveal(written.pass!)).toBe('pw one');
    expect(await rcloneReveal(written.key_file_pass!)).toBe('phrase');
    // rclone reads the file nclone wrote: the same values, which its config show hides as its own passwords.
    const dump = await rclone(sb, ['--config', file, 'config', 'dump']);
    expect(dump.code, dump.stderr).toBe(0);
    expect((JSON.parse(dump.stdout) as Record<string, unknown>).box).toEqual(written);
    const shown = await rclone(sb, ['--config', file, 'config', 'show', 'box']);
    expect(parseSections(shown.stdout).box).toEqual({ ...written, pass: '*** ENCRYPTED ***', key_file_pass: '*** ENCRYPTED ***' });

    const obscured = await rcloneObscure('pw two');
    expect((await sb.nc(file, ['config', 'update', 'box', '--no-obscure', `pass=${obscured}`])).code).toBe(0);
    expect(section(file, 'box').pass).toBe(obscured);
    expect((await sb.nc(file, ['config', 'update', 'box', 'pass='])).code).toBe(0);
    expect(section(file, 'box').pass).toBeUndefined();
    expect(section(file, 'box').key_file_pass).toBe(written.key_file_pass);

    const show = await sb.nc(file, ['config', 'show', 'box']);
    expect(show.stdout).toContain('key_file_pass = *** REDACTED ***');
    expect(show.stdout).not.toContain(written.key_file_pass!);
  });

  it('config password obscures always, as rclone config password does, and takes password options only', async () => {
    const file = sb.conf('password');
    expect((await sb.nc(file, ['config', 'create', 'box', 'sftp', 'host=127.0.0.1'])).code).toBe(0);
    // An obscured value is base64url: one in 64 starts with "-", which both tools would read
    // as an option on the command line. This test is about obscuring, not quoting.
    let looksDone = await rcloneObscure('x');
    while (looksDone.startsWith('-')) looksDone = await rcloneObscure('x');
    const r = await sb.nc(file, ['config', 'password', 'box', 'pass', looksDone]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pass = *** REDACTED ***');
    expect(await rcloneReveal(section(file, 'box').pass!)).toBe(looksDone);
    const rFile = sb.conf('rclone-password');
    expect((await rclone(sb, ['--config', rFile, 'config', 'create', 'box', 'sftp', 'host=127.0.0.1'])).code).toBe(0);
    expect((await rclone(sb, ['--config', rFile, 'config', 'password', 'box', 'pass', looksDone])).code).toBe(0);
    expect(await rcloneReveal(section(rFile, 'box').pass!)).toBe(looksDone);

    const before = readFileSync(file, 'utf8');
    const refused = await sb.nc(file, ['config', 'password', 'box', 'host=example']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/option host is not a password option/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
