/**
 * Awkward names: each must be stored, listed back with exactly the same name (no
 * escaping, decoding, trimming or normalisation), found by newObject and read back,
 * both as a file name and as a directory name.
 */
import { describe, expect, it } from 'vitest';
import type { Fs } from '../../src/fs/types.js';
import type { ConformanceQuirks, FsContext } from './context.js';
import { T1, expectFsError, expectTimeClose, listNames, putBytes, readAll, readObject } from './helpers.js';

const NFC = 'caf\u00e9 na\u00efve';
const NFD = 'cafe\u0301 nai\u0308ve';

/** [label, name]. Exported so a target can name its unsupportedNames by label. */
export const AWKWARD_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['spaces inside', 'a b  c.txt'],
  ['leading space', ' leading space'],
  ['trailing space', 'trailing space '],
  ['leading and trailing spaces', '  both  '],
  ['leading dot', '.leading dot'],
  ['trailing dot', 'trailing dot.'],
  ['three dots', '...'],
  ['unicode NFC', NFC],
  ['unicode NFD', NFD],
  ['percent', '100% sure'],
  ['percent-encoded letter', 'a%41b'],
  ['percent-encoded slash', 'a%2Fb'],
  ['percent-encoded space', 'a%20b'],
  ['plus', 'a+b c'],
  ['hash', 'a#b'],
  ['question mark', 'what?'],
  ['asterisk', 'star*'],
  ['ampersand', 'a&b'],
  ['equals', 'a=b'],
  ['single quote', "it's"],
  ['double quote', 'say "hi"'],
  ['backslash', 'back\\slash'],
  ['xml entities', '&amp;&lt;x&gt;'],
  ['url-like', 'http:x?y=z&w#f'],
  ['punctuation', "!\"#$%&'()*+,-.:;<=>?@[\\]^_`{|}~"],
  ['leading tilde', '~tilde'],
  ['leading dash', '-dash'],
  ['tab inside', 'tab\tinside'],
  ['leading and trailing tab', '\ttabs\t'],
  ['newline', 'line\nbreak'],
  ['carriage return', 'cr\rhere'],
  ['control characters', 'ctl\x01\x02\x1b\x7f'],
  ['emoji', '\u{1F600} grin \u{1F389}'],
  ['CJK', 'Hello, \u4e16\u754c'],
  ['255-byte name', 'n'.repeat(251) + '.txt'],
  ['255-byte multibyte name', '\u00e9'.repeat(127) + 'x'],
];

function isUnsupported(quirks: ConformanceQuirks, label: string, name: string): boolean {
  return (quirks.unsupportedNames ?? []).some((u) => u === label || u === name);
}

/** Tries the full round trip; returns what went wrong (empty when everything worked). */
async function roundTripProblems(fs: Fs, label: string, name: string): Promise<string[]> {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const file = `f/${name}`;
  const nested = `d/${name}/inner.txt`;
  const content = Buffer.from(`content of ${label}`, 'utf8');
  try {
    const put = await putBytes(fs, file, content, T1);
    check(put.remote === file, `put returned remote ${JSON.stringify(put.remote)}`);
    const listed = await listNames(fs, 'f');
    check(listed.files.length === 1 && listed.files[0] === file, `list('f') gave ${JSON.stringify(listed.files)}`);
    const o = await fs.newObject(file);
    check(o.remote === file && o.size === content.length, `newObject gave ${JSON.stringify(o.remote)} size ${o.size}`);
    const back = await readAll(await o.open());
    check(back.equals(content), `read back ${JSON.stringify(back.toString())}`);
    expectTimeClose(await o.modTime(), T1, fs.precision);

    await putBytes(fs, nested, 'inner', T1);
    const dirs = await listNames(fs, 'd');
    check(dirs.dirs.length === 1 && dirs.dirs[0] === `d/${name}`, `list('d') gave dirs ${JSON.stringify(dirs.dirs)}`);
    const inner = await listNames(fs, `d/${name}`);
    check(inner.files.length === 1 && inner.files[0] === nested, `list of the dir gave ${JSON.stringify(inner.files)}`);
    check((await readObject(fs, nested)).toString() === 'inner', 'nested content differs');

    await o.remove();
    await expectFsError(fs.newObject(file), 'objectNotFound');
  } catch (err) {
    problems.push(`threw ${String(err)}`);
  }
  return problems;
}

export function describeNames(ctx: FsContext): void {
  describe('awkward names', () => {
    for (const [label, name] of AWKWARD_NAMES) {
      it(`round-trips a name with ${label}: ${JSON.stringify(name).slice(0, 40)}`, async () => {
        expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(255);
        const problems = await roundTripProblems(ctx.fs, label, name);
        if (isUnsupported(ctx.quirks, label, name)) {
          // Declared as a known deviation: it must really deviate, or the quirk is stale.
          expect(problems, `${label} is listed in quirks.unsupportedNames but round-trips fine`).not.toEqual([]);
        } else {
          expect(problems, label).toEqual([]);
        }
      });
    }

    it('keeps the two names at exactly 255 bytes', () => {
      const long = AWKWARD_NAMES.filter(([l]) => l.startsWith('255-byte'));
      expect(long.map(([, n]) => Buffer.byteLength(n, 'utf8'))).toEqual([255, 255]);
      expect(NFC.normalize('NFD')).toBe(NFD);
      expect(NFC).not.toBe(NFD);
    });

    it('keeps NFC and NFD spellings distinct (or merges them, as quirks.normalizesUnicode declares)', async () => {
      const { fs } = ctx;
      await putBytes(fs, `u/${NFC}`, 'nfc');
      await putBytes(fs, `u/${NFD}`, 'nfd');
      const listed = await listNames(fs, 'u');
      if (ctx.quirks.normalizesUnicode) {
        expect(listed.files).toHaveLength(1);
        expect((await readObject(fs, `u/${NFC}`)).toString()).toBe('nfd');
      } else {
        expect(listed.files).toEqual([`u/${NFD}`, `u/${NFC}`].sort());
        expect((await readObject(fs, `u/${NFC}`)).toString()).toBe('nfc');
        expect((await readObject(fs, `u/${NFD}`)).toString()).toBe('nfd');
      }
    });

    it('keeps names differing only in case distinct (or merges them, as quirks.caseInsensitive declares)', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'Case/Name.txt', 'upper');
      await putBytes(fs, 'Case/name.txt', 'lower');
      const listed = await listNames(fs, 'Case');
      if (ctx.quirks.caseInsensitive) {
        expect(listed.files).toHaveLength(1);
        expect((await readObject(fs, 'Case/Name.txt')).toString()).toBe('lower');
      } else {
        expect(listed.files).toEqual(['Case/Name.txt', 'Case/name.txt']);
        expect((await readObject(fs, 'Case/Name.txt')).toString()).toBe('upper');
        expect((await readObject(fs, 'Case/name.txt')).toString()).toBe('lower');
      }
    });
  });
}
