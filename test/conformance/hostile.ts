/**
 * Hostile names, as a bucket's owner can plant them: random paths built from ".", "..",
 * NUL, backslashes, the encoder's own replacement characters, control characters and
 * over-long names. Every backend must, for each one, either store it under exactly that
 * name, distinct from every other, or refuse it with 'invalidName'; never throw anything
 * else. A target that maps names onto an OS tree (ConformanceTarget.outside) must also
 * leave everything outside its root untouched, whatever it is asked to do.
 */
import { describe, expect, it } from 'vitest';
import { FsError, isKind } from '../../src/fs/errors.js';
import { parentOf } from '../../src/fs/path.js';
import type { Fs } from '../../src/fs/types.js';
import type { FsContext } from './context.js';
import { T1, T2, listNames, putBytes, readObject } from './helpers.js';

/** Segments a name is built from: each is a valid path segment (non-empty, no "/"). */
const SEGMENTS = ['.', '..', '...', '\u0000', 'a\u0000b', '\\', '..\\..', '\uff0e', '\uff0e\uff0e', '\u201b\uff0e', '\u201b', '\u2400', '\u201b\u2400', '\u201b\u0000', '\n', '\x1b[2J', ' ', 'x', 'é', 'n'.repeat(300)];

/** Paths that are no valid remote path at all: a backend mapping onto a disk must refuse them. */
export const INVALID_PATHS = ['/abs', '//dbl', 'a//b', 'a/', '/', 'lone\ud800surrogate', '../' + 'n'.repeat(300)];

/** A small deterministic generator, so a failure names a seed that repeats it. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function hostileNames(seed: number, count: number): string[] {
  const next = rng(seed);
  const names = new Set<string>();
  while (names.size < count) {
    const depth = 1 + Math.floor(next() * 3);
    const parts: string[] = [];
    for (let i = 0; i < depth; i++) parts.push(SEGMENTS[Math.floor(next() * SEGMENTS.length)]!);
    // A plain leaf half the time, so both directories and files get the hostile segments.
    if (next() < 0.5) parts.push(`leaf${names.size}`);
    const name = parts.join('/');
    // A name that is another's directory would fail as isDir/isFile, which is not what this tests.
    if ([...names].some((n) => n.startsWith(name + '/') || name.startsWith(n + '/'))) continue;
    names.add(name);
  }
  return [...names];
}

/** Runs op; returns 'refused' when it failed with invalidName, fails the test on any other error. */
async function storedOrRefused<T>(what: string, op: () => Promise<T>): Promise<T | 'refused'> {
  try {
    return await op();
  } catch (err) {
    if (isKind(err, 'invalidName')) return 'refused';
    expect.fail(`${what}: threw ${err instanceof FsError ? `FsError(${err.kind})` : String(err)}`);
  }
}

async function checkName(fs: Fs, name: string, stored: Map<string, string>): Promise<void> {
  const content = `content of ${JSON.stringify(name)}`;
  const put = await storedOrRefused(`put ${JSON.stringify(name)}`, () => putBytes(fs, name, content));
  if (put === 'refused') return;
  stored.set(name, content);
  expect(put.remote).toBe(name);
  const obj = await fs.newObject(name);
  expect(obj.remote).toBe(name);
  expect((await readObject(fs, name)).toString()).toBe(content);
  const listed = await listNames(fs, parentOf(name));
  expect(listed.files, `listing ${JSON.stringify(parentOf(name))}`).toContain(name);
  await obj.setModTime(T2).catch((err: unknown) => {
    if (!isKind(err, 'notSupported')) throw err;
  });
}

export function describeHostileNames(ctx: FsContext, snapshot?: (fs: Fs) => Promise<string>): void {
  const outside = snapshot && (() => snapshot(ctx.fs));
  describe('hostile names', () => {
    it('stores each random hostile name under exactly that name, or refuses it (invalidName): never elsewhere', async () => {
      const { fs } = ctx;
      const before = outside ? await outside() : '';
      const stored = new Map<string, string>();
      const names = hostileNames(20261202, 40);
      for (const name of names) await checkName(fs, name, stored);
      // Distinct names stay distinct objects: nothing was folded onto another name.
      for (const [name, content] of stored) expect((await readObject(fs, name)).toString(), JSON.stringify(name)).toBe(content);
      expect(stored.size, 'most hostile names are storable somewhere').toBeGreaterThan(names.length / 4);
      for (const name of stored.keys()) await (await fs.newObject(name)).remove();
      if (outside) expect(await outside(), 'nothing outside the root changed').toBe(before);
    });

    it('never reaches outside the root with mkdir, rmdir, move, purge or newObject on hostile names', async () => {
      const { fs } = ctx;
      const before = outside ? await outside() : '';
      await putBytes(fs, 'keep.txt', 'keep', T1);
      const names = [...hostileNames(7, 25), '..', '../..', '../keep.txt', '../../etc', ...(outside ? INVALID_PATHS : [])];
      for (const name of names) {
        await fs.mkdir(name).catch(allowed(name, 'mkdir', 'invalidName', 'isFile'));
        await fs.rmdir(name).catch(allowed(name, 'rmdir', 'invalidName', 'dirNotFound', 'dirNotEmpty', 'isFile'));
        await fs.newObject(name).catch(allowed(name, 'newObject', 'invalidName', 'objectNotFound', 'isDir'));
        if (fs.move) await fs.move(await fs.newObject('keep.txt'), name).then((o) => fs.move!(o, 'keep.txt'), allowed(name, 'move', 'invalidName', 'cantMove', 'isDir', 'isFile', 'dirNotEmpty'));
        if (fs.purge && parentOf(name) !== '') await fs.purge(name).catch(allowed(name, 'purge', 'invalidName', 'dirNotFound', 'isFile'));
      }
      expect((await readObject(fs, 'keep.txt')).toString()).toBe('keep');
      if (outside) expect(await outside(), 'nothing outside the root changed').toBe(before);
    });

    if (outside) {
      it('refuses paths that are no remote path at all (leading "/", empty segments, bad Unicode, too long) with invalidName', async () => {
        const { fs } = ctx;
        for (const name of INVALID_PATHS) {
          const err = await putBytes(fs, name, 'x').then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isKind(err, 'invalidName'), `${JSON.stringify(name)}: ${String(err)}`).toBe(true);
          expect((err as Error).message).toContain('can\'t be stored as a local file name');
        }
      });
    }
  });
}

function allowed(name: string, op: string, ...kinds: Parameters<typeof isKind>[1][]) {
  return (err: unknown) => {
    if (kinds.some((k) => isKind(err, k))) return undefined;
    expect.fail(`${op} ${JSON.stringify(name)}: threw ${err instanceof FsError ? `FsError(${err.kind}): ${err.message}` : String(err)}`);
  };
}
