/**
 * The config wizard with a password option (OptionDef.obscured), driven answer by answer
 * without a terminal over a real config file: the option is asked as hidden input, stored
 * obscured (rclone reveals it), never shown back, and kept byte for byte unless changed.
 * A backend of the test's own keeps the steps independent of any real backend's table.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineContext } from '../../src/config/wizard/machine.js';
import { wizardDriver, type Step } from '../helpers/wizard.js';
import { Registry, type BackendDef } from '../../src/fs/registry.js';
import { Sandbox, parseSections, rclone } from './harness.js';

const box: BackendDef = {
  name: 'pwbox',
  description: 'A test backend with a password option',
  options: [
    { name: 'host', help: 'Host.', type: 'string', default: '', required: true },
    { name: 'pass', help: 'Password.', type: 'string', default: '', secret: true, obscured: true },
    { name: 'phrase', help: 'Another password, without secret: obscured alone implies it.', type: 'string', default: '', obscured: true },
  ],
  load: () => Promise.reject(new Error('the wizard tests never connect')),
};
const registry = new Registry([box]);
const ctx: MachineContext = { backends: registry.all() };

let sb: Sandbox;
let dir: string;
beforeAll(() => {
  sb = new Sandbox();
  dir = mkdtempSync(path.join(os.tmpdir(), 'nclone-obscured-wizard-'));
});
afterAll(() => {
  sb.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function newFile(text?: string): string {
  const file = path.join(dir, `c${++n}`, 'nclone.conf');
  mkdirSync(path.dirname(file), { recursive: true });
  if (text !== undefined) writeFileSync(file, text);
  return file;
}

const drive = wizardDriver(registry, ctx);

async function rcloneReveal(value: string): Promise<string> {
  const r = await rclone(sb, ['--config', '/dev/null', 'reveal', '--', value]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.replace(/\n$/, '');
}

const saveAndQuit: Step[] = [
  ['y/e/d', 'y'],
  ['Test the remote before saving it?', 'n'],
  ['e/n/d/r/c/s/q', 'q'],
];

describe('wizard: password options', () => {
  it('new remote: asked hidden, stored obscured, never shown', async () => {
    const file = newFile();
    const s = await drive(file, [['n/s/q', 'n'], ['name', 'b'], ['Storage', 'pwbox'], ['host', '127.0.0.1'], ['pass', 'open sesame'], ['phrase', 'two words'], ...saveAndQuit]);
    const written = parseSections(readFileSync(file, 'utf8')).b!;
    expect(Object.keys(written)).toEqual(['type', 'host', 'pass', 'phrase']);
    expect(await rcloneReveal(written.pass!)).toBe('open sesame');
    expect(await rcloneReveal(written.phrase!)).toBe('two words');
    for (const name of ['pass', 'phrase']) {
      const q = s.asked.find((a) => a.message === name)!;
      expect(q.kind).toBe('password');
      expect(q.default).toBeUndefined();
      expect(q.hint).toMatch(/stored obscured/);
    }
    const review = s.asked.find((a) => a.message === 'y/e/d')!.help.join('\n');
    expect(review).toContain('pass = *** REDACTED ***');
    expect(review).toContain('phrase = *** REDACTED ***');
    const everything = [...s.asked.flatMap((q) => q.help), ...s.printed].join('\n');
    for (const leak of ['open sesame', 'two words', written.pass!, written.phrase!]) expect(everything).not.toContain(leak);
  });

  it('edit: a password kept is left byte for byte; a changed one is obscured; blank removes it', async () => {
    const keptValue = (await rclone(sb, ['--config', '/dev/null', 'obscure', 'old pass'])).stdout.trim();
    const phraseValue = (await rclone(sb, ['--config', '/dev/null', 'obscure', 'old phrase'])).stdout.trim();
    const text = `# mine\n[b]\ntype = pwbox\nhost = 127.0.0.1\npass = ${keptValue}\nphrase = ${phraseValue}\n`;
    const file = newFile(text);
    const s = await drive(file, [
      ['e/n/d/r/c/s/q', 'e'],
      ['remote', 'b'],
      ['host', ''],
      ['Change pass?', 'n'],
      ['Change phrase?', 'y'],
      ['phrase', 'new phrase'],
      ...saveAndQuit,
    ]);
    const after = readFileSync(file, 'utf8');
    const written = parseSections(after).b!;
    expect(written.pass).toBe(keptValue);
    expect(written.phrase).not.toBe(phraseValue);
    expect(await rcloneReveal(written.phrase!)).toBe('new phrase');
    expect(after).toBe(text.replace(phraseValue, written.phrase!));
    expect(s.asked.find((a) => a.message === 'phrase')!.kind).toBe('password');
    expect([...s.asked.flatMap((q) => q.help), ...s.printed].join('\n')).not.toContain(keptValue);

    await drive(file, [['e/n/d/r/c/s/q', 'e'], ['remote', 'b'], ['host', ''], ['Change pass?', 'y'], ['pass', ''], ['Change phrase?', 'n'], ...saveAndQuit]);
    expect(parseSections(readFileSync(file, 'utf8')).b).toEqual({ type: 'pwbox', host: '127.0.0.1', phrase: written.phrase });
  });
});
