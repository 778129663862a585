/**
 * What nclone prints for names it did not choose (src/lib/escape.ts): no control character
 * reaches the terminal or a log raw, and a quoted name can't be mistaken for another one.
 */
import { describe, expect, it } from 'vitest';
import { escapeControls, quoteName } from '../../src/lib/escape.js';

describe('printing untrusted names', () => {
  it('leaves ordinary names alone, backslashes and unicode included', () => {
    for (const name of ['a.txt', 'dir/b c', 'back\\slash', 'caf\u00e9', '\u65e5\u672c', 'say "hi"']) {
      expect(quoteName(name)).toBe(name);
      expect(escapeControls(name)).toBe(name);
    }
  });

  it('escapes C0, DEL, C1, line separators and bidi overrides', () => {
    expect(escapeControls('a\nb\rc\td\x1b[31m\x7f\x85\u2028\u202e')).toBe('a\\nb\\rc\\td\\x1b[31m\\x7f\\x85\\u2028\\u202e');
    expect(escapeControls('x\u0000y')).toBe('x\\x00y');
  });

  it('quotes a name with a control character, or one starting with a quote, so no two names print alike', () => {
    expect(quoteName('a\nb')).toBe('"a\\nb"');
    expect(quoteName('"a\\nb"')).toBe('"\\"a\\\\nb\\""');
    expect(quoteName('"')).toBe('"\\""');
    const names = ['a\nb', '"a\\nb"', 'a\\nb', '"a\nb"', 'a\u2028b', 'a\\u2028b'];
    expect(new Set(names.map(quoteName)).size).toBe(names.length);
    for (const n of names) expect(quoteName(n)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });
});
