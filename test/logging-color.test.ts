/**
 * Colour: nclone's own output never has any (logs, stats, the -P display, which moves the
 * cursor but does not colour); the prompts drawn with inquirer (the config password, the
 * config wizard) are coloured only on a terminal and never with NO_COLOR. The terminal is
 * a real pseudo-terminal from script(1); its raw bytes are checked for SGR sequences.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptConfig } from '../src/config/crypt.js';
import { NCLONE, cleanEnv, run } from './helpers/run.js';

let base: string;
let env: NodeJS.ProcessEnv;
let conf: string;

/** "Select Graphic Rendition": colours, bold, dim. Cursor movement is something else. */
const SGR = /\x1b\[[0-9;]*m/;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-color-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'), { TERM: 'xterm-256color' });
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  // Node turns colours off on a terminal when CI is set (CI runs the suite with CI=true).
  delete env.CI;
  conf = path.join(base, 'encrypted.conf');
  writeFileSync(conf, encryptConfig('[here]\ntype = local\n', 'colour-test'));
  mkdirSync(path.join(base, 'src'));
  for (let i = 0; i < 3; i++) writeFileSync(path.join(base, 'src', `f${i}`), Buffer.alloc(50_000, i));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the shell command in a pseudo-terminal (stdin, stdout and stderr all the terminal,
 * unless the command redirects them). When `answer.when` shows up in the output, types
 * `answer.text` and Enter. Returns everything the terminal received, escape codes included.
 */
function inTerminal(command: string, extra: Record<string, string>, answer?: { when: RegExp; text: string }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { ...env, ...extra }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let answered = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (answer && !answered && answer.when.test(out)) {
        answered = true;
        child.stdin.write(`${answer.text}\r`);
      }
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const passwordPrompt = { when: /Enter the configuration password/, text: 'colour-test' };

describe('colour only on a terminal, never with NO_COLOR', () => {
  it('the config password prompt: coloured on a terminal, plain with NO_COLOR', async () => {
    const cmd = `node ${sh(NCLONE)} --config ${sh(conf)} listremotes`;
    const coloured = await inTerminal(cmd, {}, passwordPrompt);
    expect(coloured.code, coloured.out).toBe(0);
    expect(coloured.out).toMatch(SGR);
    expect(coloured.out).toContain('here:');
    const plain = await inTerminal(cmd, { NO_COLOR: '1' }, passwordPrompt);
    expect(plain.code, plain.out).toBe(0);
    expect(plain.out).toContain('Enter the configuration password');
    expect(plain.out).toContain('here:');
    expect(plain.out).not.toMatch(SGR);
  });

  it('the password prompt goes to stderr: output redirected to a file holds only the results', async () => {
    const file = path.join(base, 'remotes.txt');
    const r = await inTerminal(`node ${sh(NCLONE)} --config ${sh(conf)} listremotes > ${sh(file)}`, {}, passwordPrompt);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Enter the configuration password');
    expect(readFileSync(file, 'utf8')).toBe('here:\n');
  });

  it('the config wizard: plain with NO_COLOR', async () => {
    const plainConf = path.join(base, 'wizard.conf');
    const cmd = `node ${sh(NCLONE)} --config ${sh(plainConf)} config`;
    const quit = { when: /n\/s\/q>|New remote|name>/, text: 'q' };
    const coloured = await inTerminal(cmd, {}, quit);
    expect(coloured.out).toMatch(SGR);
    const plain = await inTerminal(cmd, { NO_COLOR: '1' }, quit);
    expect(plain.out).toMatch(/n\/s\/q>|New remote|name>/);
    expect(plain.out).not.toMatch(SGR);
  });

  it('-P on a terminal moves the cursor but has no colour; logs, stats and errors never do, on a terminal or not', async () => {
    const dst = path.join(base, 'dst-p');
    const p = await inTerminal(`node ${sh(NCLONE)} copy ${sh(path.join(base, 'src'))} ${sh(dst)} -P -v --bwlimit 200K`, {});
    expect(p.code, p.out).toBe(0);
    expect(p.out).toMatch(/\x1b\[\?25l/);
    expect(p.out).toContain('Copied (new)');
    expect(p.out).not.toMatch(SGR);

    const piped = await run('node', [NCLONE, '-vv', 'copy', path.join(base, 'src'), path.join(base, 'dst-piped'), '-P', '--stats', '100ms'], env);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toContain('Copied (new)');
    expect(piped.stderr).not.toContain('\x1b');
    const failed = await run('node', [NCLONE, '-v', 'copy', path.join(base, 'missing'), path.join(base, 'dst-x')], env);
    expect(failed.code).toBe(3);
    expect(failed.stderr).not.toContain('\x1b');
  });
});
