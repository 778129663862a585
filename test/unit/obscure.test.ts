/**
 * rclone's obscured values (src/lib/obscure.ts) and the "already obscured?" test `config
 * create` uses (src/config/obscured.ts), checked both ways against the real rclone 1.60
 * binary. rclone runs with --config /dev/null and a private HOME: nothing of the user's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { looksObscured } from '../../src/config/obscured.js';
import { obscure, reveal } from '../../src/lib/obscure.js';
import { ValueError } from '../../src/lib/units.js';
import { requireTool } from '../config/harness.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'nclone-obscure-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function rclone(args: string[]): string {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  // execFileSync throws on a non-zero exit, with rclone's stderr in the message.
  return execFileSync(requireTool('rclone', 'obscured values are checked against rclone 1.60'), ['--config', '/dev/null', ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const SAMPLES = ['hunter2', '', 'p w with spaces', 'ünïcødé ✓ 密码', 'x'.repeat(300), '=+/ base64 specials ==', '-'];

describe('obscure and reveal', () => {
  it('round-trips any string, with a fresh IV each time', () => {
    for (const plain of SAMPLES) {
      const a = obscure(plain);
      expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(reveal(a)).toBe(plain);
      expect(obscure(plain)).not.toBe(a);
    }
  });

  it('refuses a value that is not obscured, without showing it', () => {
    for (const bad of ['plain password', 'abc!', 'Zq9xK2']) {
      expect(() => reveal(bad)).toThrow(ValueError);
      try {
        reveal(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain(bad);
      }
    }
  });

  it('rclone reveals what nclone obscured', () => {
    for (const plain of SAMPLES.filter((s) => s !== '')) {
      // rclone prints the password and a line end.
      expect(rclone(['reveal', '--', obscure(plain)])).toBe(`${plain}\n`);
    }
  });

  it('nclone reveals what rclone obscured', () => {
    for (const plain of SAMPLES.filter((s) => s !== '')) {
      const obscured = rclone(['obscure', plain]).trimEnd();
      expect(reveal(obscured)).toBe(plain);
    }
  });
});

describe('looksObscured: what rclone config create takes as already obscured', () => {
  it('every obscured value looks obscured, from nclone or rclone', () => {
    for (const plain of SAMPLES) expect(looksObscured(obscure(plain))).toBe(true);
    expect(looksObscured(rclone(['obscure', 'hunter2']).trimEnd())).toBe(true);
  });

  it('agrees with rclone reveal on values near the edges', () => {
    // Plain passwords rclone must tell from obscured ones: too short, a 4n+1 length
    // (not valid unpadded base64), characters outside base64url, padding.
    const cases = ['hunter2', 'a'.repeat(21), 'a'.repeat(22), 'a'.repeat(25), 'a'.repeat(26), 'a'.repeat(29), `${'a'.repeat(22)}==`, `${'a'.repeat(22)}+/`, `${'a'.repeat(21)}.`];
    for (const value of cases) {
      let rcloneReveals: boolean;
      try {
        rclone(['reveal', value]);
        rcloneReveals = true;
      } catch {
        rcloneReveals = false;
      }
      expect(looksObscured(value), value).toBe(rcloneReveals);
    }
  });
});
