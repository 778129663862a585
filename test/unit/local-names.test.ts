/**
 * The local backend's name translation (backends/local/encoding.ts) on random strings
 * made of the characters it treats specially: every remote name gets a legal, distinct
 * disk name that decodes back to it, and every disk name decodes to a remote name that
 * encodes back to the same disk name.
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { decodeName, encodeName, localPath } from '../../backends/local/encoding.js';
import { isKind } from '../../src/fs/errors.js';

const ALPHABET = ['.', '\u0000', '\uff0e', '\u201b', '\u2400', 'a', '\\', ' '];

function* randomStrings(seed: number, count: number, alphabet: string[]): Generator<string> {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  for (let i = 0; i < count; i++) {
    const len = 1 + Math.floor(next() * 6);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    yield s;
  }
}

describe('local name translation', () => {
  it('gives each remote name a legal disk name that decodes back to it, never the same for two names', () => {
    const seen = new Map<string, string>();
    for (const name of randomStrings(42, 20_000, ALPHABET)) {
      const disk = encodeName(name);
      expect(disk).not.toMatch(/\u0000/);
      expect(['.', '..', ''].includes(disk)).toBe(false);
      expect(decodeName(disk), JSON.stringify(name)).toBe(name);
      const other = seen.get(disk);
      if (other !== undefined) expect(other, `${JSON.stringify(name)} and ${JSON.stringify(other)} share ${JSON.stringify(disk)}`).toBe(name);
      seen.set(disk, name);
    }
  });

  it('reads every disk name back to a remote name that encodes to the same disk name', () => {
    const diskAlphabet = ALPHABET.filter((c) => c !== '\u0000');
    for (const disk of randomStrings(7, 20_000, diskAlphabet)) {
      if (disk === '.' || disk === '..') continue; // readdir never returns these
      expect(encodeName(decodeName(disk)), JSON.stringify(disk)).toBe(disk);
    }
  });

  it('maps the special names as rclone does on Linux', () => {
    expect(encodeName('.')).toBe('\uff0e');
    expect(encodeName('..')).toBe('\uff0e\uff0e');
    expect(encodeName('a\u0000b')).toBe('a\u2400b');
    expect(encodeName('\uff0e')).toBe('\u201b\uff0e');
    expect(encodeName('...')).toBe('...');
  });

  it('keeps every path inside the root, and refuses what has no local name', () => {
    const root = '/srv/restore/inner';
    for (const remote of ['../victim.txt', 'a/../../b', './x', '..', 'a/b/..', 'back\\..\\slash']) {
      const p = localPath(root, remote);
      expect(p.startsWith(root + path.sep), p).toBe(true);
      expect(path.resolve(p)).toBe(p);
    }
    for (const remote of ['/abs', 'a//b', 'a/', 'bad\ud800', 'n'.repeat(256), ('d'.repeat(200) + '/').repeat(21) + 'x']) {
      let err: unknown;
      try {
        localPath(root, remote);
      } catch (e) {
        err = e;
      }
      expect(isKind(err, 'invalidName'), JSON.stringify(remote).slice(0, 40)).toBe(true);
    }
  });
});
