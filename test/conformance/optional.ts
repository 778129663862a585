/**
 * Optional capabilities (copy, move, purge, listR, putStream). Each is detected at run
 * time: when present it must work as the contract says; when absent the test checks the
 * absence is clean (the property is undefined) and that the fallback the engine uses
 * instead (streamed copy, copy + delete, walk + remove, list walking, buffered put) works.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fsError } from '../../src/fs/errors.js';
import type { Entry, Fs, Obj } from '../../src/fs/types.js';
import type { FsContext } from './context.js';
import {
  T1,
  T2,
  expectFsError,
  expectMissingDir,
  expectTimeClose,
  failingStream,
  hashOf,
  listNames,
  pattern,
  putBytes,
  readAll,
  readObject,
  splitEntries,
  srcInfo,
  streamOf,
  walk,
} from './helpers.js';

/** An object of some other backend: server-side copy/move must refuse it with cantCopy/cantMove. */
function foreignObj(remote: string, size: number): Obj {
  const foreignFs = {
    name: 'foreign',
    root: '',
    precision: 1n,
    hashes: new Set(),
    features: { canHaveEmptyDirectories: true, bucketBased: false, slowModTime: false, isLocal: false },
    toString: () => 'foreign:',
  } as unknown as Fs;
  const refuse = async (): Promise<never> => {
    throw fsError('other', 'the foreign object must not be touched by a server-side operation');
  };
  return {
    kind: 'object',
    fs: foreignFs,
    remote,
    size,
    modTime: async () => T1,
    hash: async () => '',
    open: refuse,
    update: refuse,
    remove: refuse,
    setModTime: refuse,
  };
}

/** What the engine does without server-side copy: read the source, put it under the new name. */
async function streamedCopy(fs: Fs, src: Obj, remote: string): Promise<Obj> {
  return fs.put(await src.open(), srcInfo(remote, src.size, await src.modTime()));
}

async function expectSameObject(fs: Fs, remote: string, data: Buffer, modTime: bigint): Promise<void> {
  const o = await fs.newObject(remote);
  expect(o.size).toBe(data.length);
  expect((await readAll(await o.open())).equals(data)).toBe(true);
  expectTimeClose(await o.modTime(), modTime, fs.precision);
  for (const t of fs.hashes) expect(await o.hash(t)).toBe(hashOf(t, data));
}

async function buildTree(fs: Fs): Promise<void> {
  await putBytes(fs, 'top.txt', 'top');
  await putBytes(fs, 't/one', '1');
  await putBytes(fs, 't/sub/two', '22');
  await putBytes(fs, 't/sub/deeper/three', '333');
  await putBytes(fs, 'tx/sibling', 'prefix sibling of t');
  if (fs.features.canHaveEmptyDirectories) await fs.mkdir('t/empty');
}

export function describeOptional(ctx: FsContext): void {
  describe('optional: copy', () => {
    it('copies server-side keeping content, size, modTime and hashes, or signals cantCopy', async () => {
      const { fs } = ctx;
      const data = pattern(4000, 1);
      const src = await putBytes(fs, 'orig/src.bin', data, T2);
      if (fs.copy === undefined) {
        expect(fs.copy).toBeUndefined();
        await streamedCopy(fs, src, 'copies/dst.bin');
      } else {
        const copied = await fs.copy(src, 'copies/dst.bin').catch(async (err: unknown) => {
          await expectFsError(Promise.reject(err), 'cantCopy');
          await expectFsError(fs.newObject('copies/dst.bin'), 'objectNotFound');
          return streamedCopy(fs, src, 'copies/dst.bin');
        });
        expect(copied.remote).toBe('copies/dst.bin');
        expect(copied.size).toBe(data.length);
      }
      await expectSameObject(fs, 'copies/dst.bin', data, T2);
      await expectSameObject(fs, 'orig/src.bin', data, T2);
    });

    it('copies over an existing object, replacing it', async () => {
      const { fs } = ctx;
      const src = await putBytes(fs, 'a', 'new content', T1);
      await putBytes(fs, 'b', 'old', T2);
      const copied = fs.copy
        ? await fs.copy(src, 'b').catch(async (err: unknown) => {
            await expectFsError(Promise.reject(err), 'cantCopy');
            return streamedCopy(fs, src, 'b');
          })
        : await streamedCopy(fs, src, 'b');
      expect(copied.size).toBe(11);
      await expectSameObject(fs, 'b', Buffer.from('new content'), T1);
      expect(await listNames(fs, '')).toEqual({ files: ['a', 'b'], dirs: [] });
    });

    it('refuses to copy an object of another backend with cantCopy', async () => {
      const { fs } = ctx;
      if (fs.copy === undefined) {
        expect(fs.copy).toBeUndefined();
      } else {
        await expectFsError(fs.copy(foreignObj('alien', 5), 'alien-copy'), 'cantCopy');
      }
      await expectFsError(fs.newObject('alien-copy'), 'objectNotFound');
    });
  });

  describe('optional: move', () => {
    it('moves server-side (source gone, destination intact), or signals cantMove', async () => {
      const { fs } = ctx;
      const data = pattern(3000, 2);
      const src = await putBytes(fs, 'from/src.bin', data, T2);
      await putBytes(fs, 'from/stays', 'stays');
      if (fs.move === undefined) {
        await streamedCopy(fs, src, 'to/deep/dst.bin');
        await src.remove();
      } else {
        const moved = await fs.move(src, 'to/deep/dst.bin').catch(async (err: unknown) => {
          await expectFsError(Promise.reject(err), 'cantMove');
          await expectSameObject(fs, 'from/src.bin', data, T2);
          const o = await streamedCopy(fs, src, 'to/deep/dst.bin');
          await src.remove();
          return o;
        });
        expect(moved.remote).toBe('to/deep/dst.bin');
        expect(moved.size).toBe(data.length);
      }
      await expectSameObject(fs, 'to/deep/dst.bin', data, T2);
      await expectFsError(fs.newObject('from/src.bin'), 'objectNotFound');
      expect((await listNames(fs, 'from')).files).toEqual(['from/stays']);
    });

    it('moves over an existing object, replacing it', async () => {
      const { fs } = ctx;
      const src = await putBytes(fs, 'mv-src', 'fresh', T1);
      await putBytes(fs, 'mv-dst', 'stale and longer', T2);
      if (fs.move) {
        await fs.move(src, 'mv-dst').catch(async (err: unknown) => {
          await expectFsError(Promise.reject(err), 'cantMove');
          await streamedCopy(fs, src, 'mv-dst');
          await src.remove();
        });
      } else {
        await streamedCopy(fs, src, 'mv-dst');
        await src.remove();
      }
      await expectSameObject(fs, 'mv-dst', Buffer.from('fresh'), T1);
      expect(await listNames(fs, '')).toEqual({ files: ['mv-dst'], dirs: [] });
    });

    it('refuses to move an object of another backend with cantMove', async () => {
      const { fs } = ctx;
      if (fs.move === undefined) expect(fs.move).toBeUndefined();
      else await expectFsError(fs.move(foreignObj('alien', 5), 'alien-moved'), 'cantMove');
      await expectFsError(fs.newObject('alien-moved'), 'objectNotFound');
    });
  });

  describe('optional: purge', () => {
    it('purges a directory tree and nothing beside it (not even a name-prefix sibling)', async () => {
      const { fs } = ctx;
      await buildTree(fs);
      if (fs.purge) {
        await fs.purge('t');
      } else {
        expect(fs.purge).toBeUndefined();
        const tree = await walk(fs, 't');
        for (const f of tree.files) await (await fs.newObject(f)).remove();
        for (const d of [...tree.dirs].reverse()) await fs.rmdir(d);
        await fs.rmdir('t');
      }
      expect(await listNames(fs, '')).toEqual({ files: ['top.txt'], dirs: ['tx'] });
      await expectFsError(fs.newObject('t/sub/two'), 'objectNotFound');
      expect((await readObject(fs, 'tx/sibling')).toString()).toBe('prefix sibling of t');
      if (fs.features.canHaveEmptyDirectories) await expectFsError(fs.list('t'), 'dirNotFound');
    });

    it('rejects purging a missing directory with dirNotFound', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'here', 'h');
      if (fs.purge === undefined) expect(fs.purge).toBeUndefined();
      else if (fs.features.canHaveEmptyDirectories) await expectFsError(fs.purge('not-here'), 'dirNotFound');
      else await fs.purge('not-here').catch((err: unknown) => expectFsError(Promise.reject(err), 'dirNotFound'));
      expect((await readObject(fs, 'here')).toString()).toBe('h');
    });
  });

  describe('optional: listR', () => {
    const collect = async (fs: Fs, dir: string): Promise<Entry[]> => {
      const all: Entry[] = [];
      await fs.listR!(dir, async (page) => {
        expect(Array.isArray(page)).toBe(true);
        all.push(...page);
      });
      return all;
    };

    it('returns the same entries as walking with list, for the root and a subdirectory', async () => {
      const { fs } = ctx;
      await buildTree(fs);
      const expectedRoot = {
        files: ['t/one', 't/sub/deeper/three', 't/sub/two', 'top.txt', 'tx/sibling'],
        dirs: fs.features.canHaveEmptyDirectories ? ['t', 't/empty', 't/sub', 't/sub/deeper', 'tx'] : ['t', 't/sub', 't/sub/deeper', 'tx'],
      };
      expect(await walk(fs, '')).toEqual(expectedRoot);
      if (fs.listR === undefined) {
        expect(fs.listR).toBeUndefined();
        return;
      }
      for (const dir of ['', 't', 't/sub']) {
        const entries = await collect(fs, dir);
        const got = splitEntries(entries, dir, true);
        expect(new Set(entries.map((e) => e.remote)).size, `duplicates in listR(${dir})`).toBe(entries.length);
        expect(got, `listR(${JSON.stringify(dir)})`).toEqual(await walk(fs, dir));
      }
      const obj = (await collect(fs, 't/sub')).find((e) => e.remote === 't/sub/two');
      if (obj?.kind !== 'object') throw new Error('t/sub/two missing from listR');
      expect(obj.size).toBe(2);
      expectTimeClose(await obj.modTime(), T1, fs.precision);
    });

    it('rejects listR of a missing directory like list does', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'x/y', 'y');
      if (fs.listR === undefined) {
        expect(fs.listR).toBeUndefined();
        await expectMissingDir(fs, 'nope', (d) => fs.list(d)); // the walking fallback sees the same
      } else {
        await expectMissingDir(fs, 'nope', (d) => collect(fs, d));
      }
    });
  });

  describe('optional: putStream', () => {
    it('writes objects of unknown size (size -1), including empty ones', async () => {
      const { fs } = ctx;
      const data = pattern(70_000, 5);
      for (const [remote, buf] of [
        ['stream/big', data],
        ['stream/empty', Buffer.alloc(0)],
      ] as const) {
        if (fs.putStream) {
          const o = await fs.putStream(streamOf(buf, 4096), srcInfo(remote, -1, T2), { hashes: [...fs.hashes] });
          expect(o.remote).toBe(remote);
          expect(o.size).toBe(buf.length);
          for (const t of fs.hashes) expect(await o.hash(t)).toBe(hashOf(t, buf));
        } else {
          expect(fs.putStream).toBeUndefined();
          const whole = await readAll(streamOf(buf, 4096)); // the engine buffers to learn the size
          await fs.put(Readable.from([whole]), srcInfo(remote, whole.length, T2));
        }
        await expectSameObject(fs, remote, buf, T2);
      }
    });

    it('leaves nothing visible when the stream fails midway', async () => {
      const { fs } = ctx;
      const write = fs.putStream ? fs.putStream.bind(fs) : fs.put.bind(fs);
      await expect(write(failingStream(pattern(8192)), srcInfo('stream/broken', fs.putStream ? -1 : 16384))).rejects.toThrow();
      await expectFsError(fs.newObject('stream/broken'), 'objectNotFound');
    });
  });
}
