/**
 * The backend conformance suite: one set of tests over the Fs contract (src/fs/types.ts)
 * that every backend runs unchanged. A backend's test file calls
 * runConformance(name, { makeFs, quirks }) and adds its own backend-only tests beside it.
 *
 * Every test gets a fresh, empty Fs. Behaviour that legitimately differs between
 * backends is decided from the Fs itself (features, hashes, precision, which optional
 * methods exist) or from the target's quirks, never by skipping a test.
 */
import { describe, expect, it } from 'vitest';
import { ALL_HASHES } from '../../src/fs/types.js';
import { useFreshFs, type ConformanceTarget, type FsContext } from './context.js';
import {
  T1,
  T2,
  T3,
  expectFsError,
  expectMissingDir,
  expectTimeClose,
  failingStream,
  findEntry,
  hashOf,
  listNames,
  pattern,
  putBytes,
  readAll,
  readObject,
  srcInfo,
  streamOf,
} from './helpers.js';
import { describeHostileNames } from './hostile.js';
import { describeNames } from './names.js';
import { describeOptional } from './optional.js';

export type { ConformanceQuirks, ConformanceTarget } from './context.js';
export { AWKWARD_NAMES } from './names.js';

export function runConformance(name: string, target: ConformanceTarget): void {
  describe(`conformance: ${name}`, () => {
    const ctx = useFreshFs(target);
    describeBasics(ctx);
    describeListing(ctx);
    describeObjects(ctx);
    describePutFailures(ctx);
    describeDirectories(ctx);
    describeNames(ctx);
    describeHostileNames(ctx, target.outside);
    describeOptional(ctx);
  });
}

const OPTIONAL = ['copy', 'move', 'purge', 'listR', 'putStream', 'close'] as const;

function describeBasics(ctx: FsContext): void {
  describe('describes itself', () => {
    it('has a name, a printable form, a positive precision and known hash types', () => {
      const { fs } = ctx;
      expect(typeof fs.name).toBe('string');
      expect(fs.name.length).toBeGreaterThan(0);
      expect(fs.toString().length).toBeGreaterThan(0);
      expect(fs.root.endsWith('/') && fs.root !== '/').toBe(false);
      expect(typeof fs.precision).toBe('bigint');
      expect(fs.precision > 0n).toBe(true);
      for (const h of fs.hashes) expect(ALL_HASHES).toContain(h);
      for (const k of ['canHaveEmptyDirectories', 'bucketBased', 'slowModTime', 'isLocal'] as const) {
        expect(typeof fs.features[k], k).toBe('boolean');
      }
    });

    it('offers each optional capability as a method or not at all', () => {
      for (const cap of OPTIONAL) {
        const v = (ctx.fs as unknown as Record<string, unknown>)[cap];
        expect(v === undefined || typeof v === 'function', `${cap} is ${typeof v}`).toBe(true);
      }
    });
  });
}

function describeListing(ctx: FsContext): void {
  describe('list', () => {
    it('lists a fresh root as empty', async () => {
      const { fs } = ctx;
      if (fs.features.canHaveEmptyDirectories) expect(await fs.list('')).toEqual([]);
      else await expectMissingDir(fs, '');
    });

    it('lists files and directories of the root and of subdirectories, relative to the root', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'a.txt', 'alpha', T1);
      await putBytes(fs, 'b/c.txt', 'charlie!', T2);
      await putBytes(fs, 'b/d/e.txt', '', T1);
      await putBytes(fs, 'b/f.txt', 'foxtrot', T1);
      expect(await listNames(fs, '')).toEqual({ files: ['a.txt'], dirs: ['b'] });
      expect(await listNames(fs, 'b')).toEqual({ files: ['b/c.txt', 'b/f.txt'], dirs: ['b/d'] });
      expect(await listNames(fs, 'b/d')).toEqual({ files: ['b/d/e.txt'], dirs: [] });

      const entries = await fs.list('b');
      const c = entries.find((e) => e.remote === 'b/c.txt');
      const d = entries.find((e) => e.remote === 'b/d');
      if (c?.kind !== 'object') throw new Error('b/c.txt is not listed as an object');
      expect(c.size).toBe(8);
      expect(c.fs).toBe(fs);
      expectTimeClose(await c.modTime(), T2, fs.precision);
      expect((await readAll(await c.open())).toString()).toBe('charlie!');
      if (d?.kind !== 'dir') throw new Error('b/d is not listed as a directory');
      expect(Number.isInteger(d.items)).toBe(true);
      expect(d.modTime === undefined || typeof d.modTime === 'bigint').toBe(true);
    });

    it('rejects listing a directory that does not exist with dirNotFound', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'there/file', 'x');
      await expectMissingDir(fs, 'nothere');
      await expectMissingDir(fs, 'there/nothere/deeper');
    });

    it('does not list a file as a directory', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'plain.txt', 'x');
      if (fs.features.canHaveEmptyDirectories) await expectFsError(fs.list('plain.txt'), 'dirNotFound', 'isFile');
      else await expectMissingDir(fs, 'plain.txt');
    });
  });
}

function describeObjects(ctx: FsContext): void {
  describe('objects', () => {
    it('rejects newObject of a missing object with objectNotFound', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'present', 'x');
      await expectFsError(fs.newObject('potato'), 'objectNotFound');
      await expectFsError(fs.newObject('directory/not/found/potato'), 'objectNotFound');
      await expectFsError(fs.newObject('present/below'), 'objectNotFound', 'isFile');
    });

    it('rejects newObject of a directory with isDir or objectNotFound', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'dir/file', 'x');
      await expectFsError(fs.newObject('dir'), 'isDir', 'objectNotFound');
    });

    it('round-trips put: remote, size, modTime within precision, content', async () => {
      const { fs } = ctx;
      const data = pattern(1000);
      const put = await fs.put(streamOf(data, 64), srcInfo('round/trip.bin', data.length, T1));
      expect(put.kind).toBe('object');
      expect(put.remote).toBe('round/trip.bin');
      expect(put.size).toBe(1000);
      expectTimeClose(await put.modTime(), T1, fs.precision);
      const o = await fs.newObject('round/trip.bin');
      expect(o.remote).toBe('round/trip.bin');
      expect(o.size).toBe(1000);
      expect(o.fs).toBe(fs);
      expectTimeClose(await o.modTime(), T1, fs.precision);
      expect((await readAll(await o.open())).equals(data)).toBe(true);
    });

    it('opens whole objects and byte ranges (start, start-end inclusive, end only, last byte)', async () => {
      const { fs } = ctx;
      const data = pattern(1000, 3);
      const o = await putBytes(fs, 'ranges.bin', data);
      const read = async (opts: { start?: number; end?: number }) => readAll(await o.open(opts));
      expect((await read({})).equals(data)).toBe(true);
      expect((await read({ start: 0 })).equals(data)).toBe(true);
      expect((await read({ start: 10 })).equals(data.subarray(10))).toBe(true);
      expect((await read({ start: 10, end: 19 })).equals(data.subarray(10, 20))).toBe(true);
      expect((await read({ start: 500, end: 500 })).equals(data.subarray(500, 501))).toBe(true);
      expect((await read({ end: 9 })).equals(data.subarray(0, 10))).toBe(true);
      expect((await read({ start: 999 })).equals(data.subarray(999))).toBe(true);
      expect((await read({ start: 999, end: 999 })).equals(data.subarray(999))).toBe(true);
      expect((await read({ start: 0, end: 999 })).equals(data)).toBe(true);
      const fresh = await fs.newObject('ranges.bin');
      expect((await readAll(await fresh.open({ start: 250, end: 749 }))).equals(data.subarray(250, 750))).toBe(true);
    });

    it('replaces an existing object on put', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'same', 'first version, longer', T1);
      await putBytes(fs, 'same', 'second', T2);
      expect(await listNames(fs, '')).toEqual({ files: ['same'], dirs: [] });
      const o = await fs.newObject('same');
      expect(o.size).toBe(6);
      expectTimeClose(await o.modTime(), T2, fs.precision);
      expect((await readAll(await o.open())).toString()).toBe('second');
    });

    it('creates missing parent directories on put', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'p/q/r/deep.txt', 'deep');
      expect(await listNames(fs, '')).toEqual({ files: [], dirs: ['p'] });
      expect(await listNames(fs, 'p')).toEqual({ files: [], dirs: ['p/q'] });
      expect(await listNames(fs, 'p/q')).toEqual({ files: [], dirs: ['p/q/r'] });
      expect(await listNames(fs, 'p/q/r')).toEqual({ files: ['p/q/r/deep.txt'], dirs: [] });
      expect((await readObject(fs, 'p/q/r/deep.txt')).toString()).toBe('deep');
    });

    it('stores zero-length objects', async () => {
      const { fs } = ctx;
      const put = await fs.put(streamOf(Buffer.alloc(0)), srcInfo('empty', 0, T2));
      expect(put.size).toBe(0);
      const o = await fs.newObject('empty');
      expect(o.size).toBe(0);
      expectTimeClose(await o.modTime(), T2, fs.precision);
      expect((await readAll(await o.open())).length).toBe(0);
      for (const t of fs.hashes) expect(await o.hash(t)).toBe(hashOf(t, ''));
      expect(await listNames(fs, '')).toEqual({ files: ['empty'], dirs: [] });
    });

    it('updates an object: content, size, modTime and hashes change', async () => {
      const { fs } = ctx;
      const o = await putBytes(fs, 'upd/file', 'original content', T1);
      for (const t of fs.hashes) expect(await o.hash(t)).toBe(hashOf(t, 'original content')); // may cache
      const next = pattern(333, 9);
      await o.update(streamOf(next, 50), srcInfo('upd/file', next.length, T2));
      expect(o.size).toBe(333);
      expect(o.remote).toBe('upd/file');
      expectTimeClose(await o.modTime(), T2, fs.precision);
      for (const t of fs.hashes) expect(await o.hash(t), `${t} after update`).toBe(hashOf(t, next));
      expect((await readAll(await o.open())).equals(next)).toBe(true);
      const fresh = await fs.newObject('upd/file');
      expect(fresh.size).toBe(333);
      expectTimeClose(await fresh.modTime(), T2, fs.precision);
      expect((await readAll(await fresh.open())).equals(next)).toBe(true);
      expect(await listNames(fs, 'upd')).toEqual({ files: ['upd/file'], dirs: [] });
    });

    it('removes an object and nothing else', async () => {
      const { fs } = ctx;
      const o = await putBytes(fs, 'rm/gone', 'bye');
      await putBytes(fs, 'rm/kept', 'stay');
      await o.remove();
      await expectFsError(fs.newObject('rm/gone'), 'objectNotFound');
      expect((await listNames(fs, 'rm')).files).toEqual(['rm/kept']);
      expect((await readObject(fs, 'rm/kept')).toString()).toBe('stay');
    });

    it('hashes known content like node:crypto for every supported type', async () => {
      const { fs } = ctx;
      const text = 'The quick brown fox jumps over the lazy dog';
      await putBytes(fs, 'hash.txt', text);
      const fresh = await fs.newObject('hash.txt');
      const asked = await fs.put(streamOf(text), srcInfo('hash2.txt', text.length), { hashes: [...ALL_HASHES] });
      for (const t of ALL_HASHES) {
        for (const [how, o] of [['newObject', fresh], ['put with hashes', asked]] as const) {
          const got = await o.hash(t);
          if (fs.hashes.has(t)) expect(got, `${t} via ${how}`).toBe(hashOf(t, text));
          else expect(['', hashOf(t, text)], `${t} via ${how} (unsupported type)`).toContain(got);
        }
      }
      if (fs.hashes.has('md5')) expect(await fresh.hash('md5')).toBe('9e107d9d372bb6826bd81d3542a419d6');
      if (fs.hashes.has('sha1')) expect(await fresh.hash('sha1')).toBe('2fd4e1c67a2d28fced849ee1bb76e7391b93eb12');
    });

    it('round-trips modTimes before 1970 and far in the future, on put and on setModTime', async () => {
      const { fs } = ctx;
      // A backend with a narrower range stores the nearest time it can (declared as data).
      const [lo, hi] = ctx.quirks.modTimeRange ?? [-(2n ** 63n), 2n ** 63n - 1n];
      const storable = (t: bigint) => (t < lo ? lo : t > hi ? hi : t);
      for (const t of [-1_000_000_123_456_789n, 4_102_444_800_123_456_789n]) {
        await putBytes(fs, 'era', 'e', t);
        expectTimeClose(await (await fs.newObject('era')).modTime(), storable(t), fs.precision, `put ${t}`);
      }
      const o = await fs.newObject('era');
      const settable = await o.setModTime(-86_400_000_000_001n).then(
        () => true,
        (err: unknown) => expectFsError(Promise.reject(err), 'notSupported').then(() => false),
      );
      if (settable) expectTimeClose(await (await fs.newObject('era')).modTime(), storable(-86_400_000_000_001n), fs.precision, 'setModTime');
    });

    it('sets modTime, or consistently reports notSupported and keeps the old one', async () => {
      const { fs } = ctx;
      const o = await putBytes(fs, 'mt/file', 'time', T1);
      let supported = true;
      try {
        await o.setModTime(T3);
      } catch (err) {
        await expectFsError(Promise.reject(err), 'notSupported');
        supported = false;
      }
      const want = supported ? T3 : T1;
      expectTimeClose(await o.modTime(), want, fs.precision, 'same Obj');
      expectTimeClose(await (await fs.newObject('mt/file')).modTime(), want, fs.precision, 'fresh newObject');
      const listed = await findEntry(fs, 'mt/file');
      if (listed?.kind !== 'object') throw new Error('mt/file not listed');
      expectTimeClose(await listed.modTime(), want, fs.precision, 'listed');
      expect((await readObject(fs, 'mt/file')).toString()).toBe('time');
    });
  });
}

function describePutFailures(ctx: FsContext): void {
  describe('failed writes', () => {
    for (const [what, actual] of [
      ['fewer', 10],
      ['more', 30],
    ] as const) {
      it(`rejects a put whose stream has ${what} bytes than src.size and leaves nothing visible`, async () => {
        const { fs } = ctx;
        await putBytes(fs, 'other', 'unrelated');
        await expect(fs.put(streamOf(pattern(actual)), srcInfo('short/wrong', 20))).rejects.toThrow();
        await expectFsError(fs.newObject('short/wrong'), 'objectNotFound');
        const inDir = await fs.list('short').catch(() => []);
        expect(inDir.map((e) => e.remote)).toEqual([]);
        expect((await listNames(fs, '')).files).toEqual(['other']);
      });
    }

    it('keeps the previous object when a put over it has the wrong size', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'keep', 'old content', T1);
      await expect(fs.put(streamOf('new'), srcInfo('keep', 100, T2))).rejects.toThrow();
      const o = await fs.newObject('keep');
      expect(o.size).toBe(11);
      expect((await readAll(await o.open())).toString()).toBe('old content');
      expectTimeClose(await o.modTime(), T1, fs.precision);
    });

    it('rejects a put whose stream fails midway and leaves nothing visible', async () => {
      const { fs } = ctx;
      await expect(fs.put(failingStream(pattern(5 * 1024)), srcInfo('broken', 10 * 1024))).rejects.toThrow();
      await expectFsError(fs.newObject('broken'), 'objectNotFound');
      if (fs.features.canHaveEmptyDirectories) expect(await fs.list('')).toEqual([]);
      else await expectMissingDir(fs, '');
    });

    it('keeps the previous object when an update fails midway', async () => {
      const { fs } = ctx;
      const o = await putBytes(fs, 'stable', 'stable content', T1);
      await expect(o.update(failingStream(pattern(2048)), srcInfo('stable', 4096, T2))).rejects.toThrow();
      expect((await readObject(fs, 'stable')).toString()).toBe('stable content');
      expectTimeClose(await (await fs.newObject('stable')).modTime(), T1, fs.precision);
    });
  });
}

function describeDirectories(ctx: FsContext): void {
  describe('directories', () => {
    it('makes directories (with parents, idempotently) as the backend can hold them', async () => {
      const { fs } = ctx;
      await fs.mkdir('m');
      await fs.mkdir('m');
      await fs.mkdir('m/n/o');
      if (fs.features.canHaveEmptyDirectories) {
        expect(await listNames(fs, '')).toEqual({ files: [], dirs: ['m'] });
        expect(await listNames(fs, 'm/n')).toEqual({ files: [], dirs: ['m/n/o'] });
        expect(await fs.list('m/n/o')).toEqual([]);
      } else {
        expect((await fs.list('').catch(() => [])).map((e) => e.remote)).toEqual([]);
      }
    });

    it('makes a directory that can then receive objects', async () => {
      const { fs } = ctx;
      await fs.mkdir('box');
      await putBytes(fs, 'box/item', 'in the box');
      expect(await listNames(fs, 'box')).toEqual({ files: ['box/item'], dirs: [] });
    });

    it('removes empty directories and refuses non-empty ones', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'full/x', 'x');
      await fs.mkdir('full/empty');
      if (fs.features.canHaveEmptyDirectories) {
        await expectFsError(fs.rmdir('full'), 'dirNotEmpty');
        await fs.rmdir('full/empty');
        expect(await listNames(fs, 'full')).toEqual({ files: ['full/x'], dirs: [] });
        await (await fs.newObject('full/x')).remove();
        await fs.rmdir('full');
        expect(await fs.list('')).toEqual([]);
        await expectFsError(fs.list('full'), 'dirNotFound');
      } else {
        await fs.rmdir('full').catch((err: unknown) => expectFsError(Promise.reject(err), 'dirNotEmpty'));
        await fs.rmdir('full/empty').catch((err: unknown) => expectFsError(Promise.reject(err), 'dirNotFound'));
        // Whatever rmdir did, it never takes objects with it.
        expect((await readObject(fs, 'full/x')).toString()).toBe('x');
      }
    });

    it('rejects rmdir of a missing directory with dirNotFound', async () => {
      const { fs } = ctx;
      await putBytes(fs, 'keep/me', 'k');
      if (fs.features.canHaveEmptyDirectories) {
        await expectFsError(fs.rmdir('missing'), 'dirNotFound');
        await expectFsError(fs.rmdir('keep/missing'), 'dirNotFound');
      } else {
        // Virtual directories: removing one that has no objects is a no-op or dirNotFound.
        await fs.rmdir('missing').catch((err: unknown) => expectFsError(Promise.reject(err), 'dirNotFound'));
      }
      expect((await readObject(fs, 'keep/me')).toString()).toBe('k');
    });
  });
}
