/**
 * Deletion safety in the sync engine: --max-delete-size, the empty-source guard
 * (--allow-empty-source), -i/--interactive answers, --dry-run telling the truth about the
 * limits, and the call context reaching every backend call that deletes or moves.
 */
import { describe, expect, it } from 'vitest';
import { Filter } from '../../src/filter/filter.js';
import { fsError } from '../../src/fs/errors.js';
import type { CallOptions, Fs, Obj } from '../../src/fs/types.js';
import { Interactive, ScriptedLineSource, type LineSource } from '../../src/operations/interactive.js';
import type { OperationOptions } from '../../src/operations/context.js';
import { runSync } from '../../src/sync/sync.js';
import { contents, dirs, expectFsError, FaultyFs, localFs, makeCtx, pair, run, snapshot, tmpDir, useSyncTestEnv, type RunResult } from './helpers.js';

const logs = useSyncTestEnv();

const MODES: OperationOptions['deleteMode'][] = ['after', 'before', 'during'];

/** Lines logged at NOTICE level saying a delete was skipped by --dry-run, by name. */
function dryRunDeletes(): string[] {
  return logs.flatMap((l) => {
    const m = / NOTICE: (.+): Skipped delete as --dry-run is set/.exec(l);
    return m ? [m[1]!] : [];
  });
}

describe('--max-delete-size', () => {
  // 10 + 20 + 30 = 60 bytes to delete.
  const extras = { 'x10.txt': 'x'.repeat(10), 'x20.txt': 'x'.repeat(20), 'x30.txt': 'x'.repeat(30) };

  for (const mode of ['after', 'before'] as const) {
    it(`--delete-${mode}: over the limit deletes nothing and fails with maxDeleteReached`, async () => {
      const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...extras });
      const r = await run('sync', src, dst, { opt: { maxDeleteSize: 59, deleteMode: mode } });
      expectFsError(r.error, 'maxDeleteReached');
      expect((r.error as Error).message).toMatch(/--max-delete-size threshold \(59 B\) reached: 3 files of 60 B in all to delete, so none were deleted/);
      expect(r.stats.errors).toBe(1);
      expect(r.stats.deletes).toBe(0);
      expect(Object.keys(contents(dst)).sort()).toEqual(['a.txt', 'x10.txt', 'x20.txt', 'x30.txt']);
    });

    it(`--delete-${mode}: exactly the limit deletes everything`, async () => {
      const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...extras });
      const r = await run('sync', src, dst, { opt: { maxDeleteSize: 60, deleteMode: mode } });
      expect(r.error).toBeUndefined();
      expect(r.stats.deletes).toBe(3);
      expect(contents(dst)).toEqual({ 'a.txt': 'a' });
    });
  }

  it('--delete-during: deletes until the next one would go over, then stops with a fatal error', async () => {
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`x${i}.txt`, 'x'.repeat(10)]));
    const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...many });
    const r = await run('sync', src, dst, { opt: { maxDeleteSize: 35, deleteMode: 'during', checkers: 4 } });
    expect(r.stats.deletes).toBe(3);
    expect(r.stats.errors).toBe(1);
    expectFsError(r.stats.lastError, 'maxDeleteReached');
    expect(Object.keys(contents(dst))).toHaveLength(1 + 10 - 3);
  });

  it('--dry-run hits the same limit: nothing is reported as deleted and the run fails the same way', async () => {
    const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...extras });
    const r = await run('sync', src, dst, { opt: { maxDeleteSize: 59, dryRun: true } });
    expectFsError(r.error, 'maxDeleteReached');
    expect(r.stats.deletes).toBe(0);
    expect(dryRunDeletes()).toEqual([]);
  });

  it('is checked together with --max-delete: the first limit hit refuses', async () => {
    const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...extras });
    const r = await run('sync', src, dst, { opt: { maxDeleteSize: 1000, maxDelete: 2 } });
    expect((r.error as Error).message).toMatch(/^--max-delete threshold \(2\)/);
    expect(r.stats.deletes).toBe(0);
  });
});

describe('--dry-run shows each delete', () => {
  it('one NOTICE line per object it would delete, and nothing changes', async () => {
    const { src, dst } = pair({ 'keep.txt': 'k' }, { 'keep.txt': 'k', 'old1.txt': '1', 'old/2.txt': '2', 'old/deeper/3.txt': '3' });
    const before = snapshot(dst);
    const r = await run('sync', src, dst, { opt: { dryRun: true } });
    expect(r.error).toBeUndefined();
    expect(dryRunDeletes().sort()).toEqual(['old/2.txt', 'old/deeper/3.txt', 'old1.txt']);
    expect(r.stats.deletes).toBe(3);
    expect(snapshot(dst)).toEqual(before);
  });
});

describe('empty-source guard', () => {
  const DST = { 'a.txt': 'a', 'sub/b.txt': 'b' };

  for (const mode of MODES) {
    it(`--delete-${mode}: an empty source deletes nothing and fails with emptySource`, async () => {
      const { src, dst } = pair({}, DST);
      const r = await run('sync', src, dst, { opt: { deleteMode: mode } });
      expectFsError(r.error, 'emptySource');
      expect((r.error as Error).message).toMatch(/^not deleting anything: the source .* has no files .*, so sync would delete all 2 files in .*; pass --allow-empty-source if this is intended$/);
      expect(r.stats.errors).toBe(1);
      expect(r.stats.deletes).toBe(0);
      expect(r.stats.deletedDirs).toBe(0);
      expect(contents(dst)).toEqual(DST);
      expect(dirs(dst)).toEqual(['sub']);
    });

    it(`--delete-${mode}: --allow-empty-source empties the destination`, async () => {
      const { src, dst } = pair({}, DST);
      const r = await run('sync', src, dst, { opt: { deleteMode: mode, allowEmptySource: true } });
      expect(r.error).toBeUndefined();
      expect(r.stats.deletes).toBe(2);
      expect(contents(dst)).toEqual({});
      expect(dirs(dst)).toEqual([]);
    });

    it(`--delete-${mode}: a source whose only file is deep in a directory of its own is not empty`, async () => {
      // The destination's files come first in the walk, before the source shows any object.
      const { src, dst } = pair({ 'zzz/deep/only.txt': 'o' }, { 'aaa/x.txt': 'x', 'b.txt': 'b' });
      const r = await run('sync', src, dst, { opt: { deleteMode: mode, checkers: 1 } });
      expect(r.error).toBeUndefined();
      expect(r.stats.deletes).toBe(2);
      expect(contents(dst)).toEqual({ 'zzz/deep/only.txt': 'o' });
    });

    it(`--delete-${mode}: filters that exclude every source file count as an empty source`, async () => {
      const { src, dst } = pair({ 'photo.jpg': 'p', 'doc.txt': 'd' }, { 'old.txt': 'o', 'older.txt': 'oo' });
      const filter = await Filter.create({ include: ['*.png'] });
      const r = await run('sync', src, dst, { opt: { deleteMode: mode, deleteExcluded: true }, filter });
      expectFsError(r.error, 'emptySource');
      expect((r.error as Error).message).toMatch(/no file in the source .* passes the filters, so sync would delete all 2 files/);
      expect(Object.keys(contents(dst)).sort()).toEqual(['old.txt', 'older.txt']);
    });
  }

  it('--dry-run refuses the same way, and lists no delete', async () => {
    const { src, dst } = pair({}, DST);
    const r = await run('sync', src, dst, { opt: { dryRun: true } });
    expectFsError(r.error, 'emptySource');
    expect(dryRunDeletes()).toEqual([]);
    expect(r.stats.deletes).toBe(0);
  });

  it('copies still happen: empty source directories are made, only the deletes are withheld', async () => {
    const { src, dst } = pair({ 'empty/': '' }, DST);
    const r = await run('sync', src, dst, { opt: { createEmptySrcDirs: true } });
    expectFsError(r.error, 'emptySource');
    expect(dirs(dst)).toEqual(['empty', 'sub']);
    expect(contents(dst)).toEqual(DST);
  });

  it('an empty source and an empty destination is no error', async () => {
    const { src, dst } = pair({}, { 'emptydir/': '' });
    const r = await run('sync', src, dst);
    expect(r.error).toBeUndefined();
    expect(r.stats.errors).toBe(0);
  });

  it('copy never deletes, so it never refuses', async () => {
    const { src, dst } = pair({}, DST);
    const r = await run('copy', src, dst);
    expect(r.error).toBeUndefined();
    expect(contents(dst)).toEqual(DST);
  });

  it('a listing error is reported as such, not as an empty source', async () => {
    const { src, dst } = pair({ 'locked/x.txt': 'x' }, DST);
    const r = await run('sync', src, dst, { wrapSrc: (fs) => new FaultyFs(fs, { list: ['locked'] }) });
    expect(r.stats.errors).toBe(1);
    expectFsError(r.stats.lastError, 'permission');
    expect(logs.join('')).toContain('not deleting files or directories as there were IO errors');
    expect(contents(dst)).toEqual(DST);
  });
});

/** Runs sync with -i, answering from `answers`; returns the run and what was asked. */
async function interactive(answers: string[], srcSpec: Record<string, string>, dstSpec: Record<string, string>, o: { opt?: Partial<OperationOptions> } = {}) {
  const { src, dst } = pair(srcSpec, dstSpec);
  const io = new ScriptedLineSource(answers);
  const quit = new AbortController();
  const gate = new Interactive(io, () => quit.abort(new Error('quit')));
  const r = await runWithGate(src, dst, gate, { ...o, signal: quit.signal });
  const questions = io.written.join('').split('\n').filter((l) => l.startsWith('nclone: '));
  return { r, dst, questions, io, quit };
}

/** Runs sync src -> dst with `gate` as the -i question asker (the helpers' run() has no seam for it). */
async function runWithGate(src: string, dst: string, gate: Interactive, o: { opt?: Partial<OperationOptions>; signal?: AbortSignal } = {}): Promise<RunResult> {
  const ctx = { ...makeCtx({ interactive: true, transfers: 1, checkers: 1, ...o.opt }), signal: o.signal, interactive: gate };
  let error: unknown;
  try {
    await runSync(ctx, { fsrc: (await localFs(src)).fs, fdst: (await localFs(dst)).fs, mode: 'sync' });
  } catch (err) {
    error = err;
  }
  return { stats: ctx.stats, error };
}

describe('-i/--interactive', () => {
  it('asks before each copy and delete; y does it, n skips it (and says so)', async () => {
    const { r, dst, questions } = await interactive(['y', 'n', 'y'], { 'new.txt': 'n' }, { 'a.txt': 'a', 'b.txt': 'b' });
    expect(questions).toEqual(['nclone: copy "new.txt"?', 'nclone: delete "a.txt"?', 'nclone: delete "b.txt"?']);
    expect(r.error).toBeUndefined();
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'new.txt': 'n' });
    expect(r.stats.deletes).toBe(1);
    expect(logs.join('')).toMatch(/a\.txt: Skipped delete as --interactive is set/);
  });

  it('offers the five choices, naming the action', async () => {
    const { io } = await interactive([''], {}, { 'a.txt': 'a' }, { opt: { allowEmptySource: true } });
    expect(io.written.join('')).toContain(
      'nclone: delete "a.txt"?\ny) Yes, this is OK (default)\nn) No, skip this\ns) Skip all delete operations with no more questions\n!) Do all delete operations with no more questions\nq) Exit nclone now.\ny/n/s/!/q> ',
    );
  });

  it('an empty answer is yes; an unknown one is asked again', async () => {
    const { dst, questions, io } = await interactive(['maybe', ''], {}, { 'a.txt': 'a' }, { opt: { allowEmptySource: true } });
    expect(questions).toEqual(['nclone: delete "a.txt"?']);
    expect(io.written.join('')).toContain('"maybe" is not one of the choices: type y, n, s, ! or q, then Enter');
    expect(contents(dst)).toEqual({});
  });

  it('s skips every later delete without asking; copies are still asked about', async () => {
    const { r, dst, questions } = await interactive(['s', 'y'], { 'z-new.txt': 'n' }, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' }, { opt: { deleteMode: 'before' } });
    expect(questions).toEqual(['nclone: delete "a.txt"?', 'nclone: copy "z-new.txt"?']);
    expect(r.stats.deletes).toBe(0);
    expect(Object.keys(contents(dst)).sort()).toEqual(['a.txt', 'b.txt', 'c.txt', 'z-new.txt']);
  });

  it('! does every later delete without asking', async () => {
    const { r, dst, questions } = await interactive(['!'], { 'keep.txt': 'k' }, { 'keep.txt': 'k', 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    expect(questions).toEqual(['nclone: delete "a.txt"?']);
    expect(r.stats.deletes).toBe(3);
    expect(contents(dst)).toEqual({ 'keep.txt': 'k' });
  });

  it('q stops the run: nothing more is asked or done', async () => {
    const { r, dst, questions, quit } = await interactive(['y', 'q'], { 'keep.txt': 'k' }, { 'keep.txt': 'k', 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    expect(quit.signal.aborted).toBe(true);
    expect(questions).toEqual(['nclone: delete "a.txt"?', 'nclone: delete "b.txt"?']);
    expect(r.error).toBeDefined();
    expect(Object.keys(contents(dst)).sort()).toEqual(['b.txt', 'c.txt', 'keep.txt']);
  });

  it('the end of input (Ctrl-D) quits rather than guessing', async () => {
    const { r, dst, quit } = await interactive([], { 'keep.txt': 'k' }, { 'keep.txt': 'k', 'a.txt': 'a' });
    expect(quit.signal.aborted).toBe(true);
    expect(r.error).toBeDefined();
    expect(Object.keys(contents(dst)).sort()).toEqual(['a.txt', 'keep.txt']);
  });

  it('--dry-run asks nothing', async () => {
    const { r, questions } = await interactive([], { 'new.txt': 'n' }, { 'a.txt': 'a' }, { opt: { dryRun: true } });
    expect(questions).toEqual([]);
    expect(r.error).toBeUndefined();
    expect(r.stats.deletes).toBe(1);
  });

  it('questions are asked one at a time with --transfers 4 and --checkers 8', async () => {
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${String(i).padStart(2, '0')}.txt`, String(i)]));
    let reading = 0;
    let most = 0;
    const written: string[] = [];
    // Answers come slowly, so that every transfer is waiting for its question at once.
    const io: LineSource = {
      write: (t) => written.push(t),
      readLine: async () => {
        reading++;
        most = Math.max(most, reading);
        await new Promise((resolve) => setTimeout(resolve, 15));
        reading--;
        return 'y';
      },
      close: () => undefined,
    };
    const { src, dst } = pair(files, {});
    const r = await runWithGate(src, dst, new Interactive(io, () => undefined), { opt: { transfers: 4, checkers: 8 } });
    expect(r.error).toBeUndefined();
    expect(most).toBe(1);
    // Each question is written whole (its lines, then its prompt) before the next begins.
    const text = written.join('');
    const blocks = text.split('\nnclone: copy ').slice(1);
    expect(blocks).toHaveLength(12);
    for (const b of blocks) expect(b).toMatch(/^"f\d\d\.txt"\?\ny\) Yes[^]*q\) Exit nclone now\.\ny\/n\/s\/!\/q> $/);
    expect(contents(dst)).toEqual(files);
  });
});

/** Records the options every delete, move and modTime call of the destination got. */
class RecordingFs extends FaultyFs {
  readonly calls: { call: string; options?: CallOptions }[] = [];
  override wrap(e: Parameters<FaultyFs['wrap']>[0]) {
    if (e.kind !== 'object') return e;
    const calls = this.calls;
    const obj = e;
    return new Proxy(obj, {
      get(target, prop, recv) {
        if (prop === 'remove' || prop === 'modTime') {
          return (options?: CallOptions) => {
            calls.push({ call: `${String(prop)} ${target.remote}`, options });
            return (target[prop] as (o?: CallOptions) => Promise<unknown>).call(target, options);
          };
        }
        return Reflect.get(target, prop, recv);
      },
    }) as Obj;
  }
  async move(src: Obj, remote: string, options?: CallOptions): Promise<Obj> {
    this.calls.push({ call: `move ${src.remote} ${remote}`, options });
    const inner = this.inner as Fs & { move?: Fs['move'] };
    return inner.move!(src, remote, options);
  }
  override async mkdir(dir: string, options?: CallOptions): Promise<void> {
    this.calls.push({ call: `mkdir ${dir}`, options });
    return this.inner.mkdir(dir, options);
  }
  override async rmdir(dir: string, options?: CallOptions): Promise<void> {
    this.calls.push({ call: `rmdir ${dir}`, options });
    return this.inner.rmdir(dir, options);
  }
}

/** A destination whose backend has no server-side move (a copy then a delete instead). */
class CantMoveFs extends FaultyFs {
  async move(): Promise<Obj> {
    throw fsError('cantMove', 'no server-side move here (test)');
  }
}

describe('the call context reaches every backend call of a delete', () => {
  it('remove, mkdir and rmdir get the run signal', async () => {
    const { src, dst } = pair({ 'keep.txt': 'k', 'made/': '' }, { 'keep.txt': 'k', 'gone/x.txt': 'x' });
    let rec: RecordingFs | undefined;
    const r = await run('sync', src, dst, { opt: { createEmptySrcDirs: true }, wrapDst: (fs) => (rec = new RecordingFs(fs)) });
    expect(r.error).toBeUndefined();
    // (modTime is also asked, by the comparison of keep.txt: not part of this.)
    const mine = rec!.calls.filter((c) => !c.call.startsWith('modTime '));
    expect(mine.map((c) => c.call).sort()).toEqual(['mkdir ', 'mkdir made', 'remove gone/x.txt', 'rmdir gone']);
    for (const c of mine) expect(c.options?.signal, c.call).toBeInstanceOf(AbortSignal);
  });

  it('--backup-dir: move (or modTime and remove when copying) gets the run signal', async () => {
    const { src, dst } = pair({ 'keep.txt': 'k' }, { 'keep.txt': 'k', 'old.txt': 'o' });
    const backup = tmpDir('backup');
    let rec: RecordingFs | undefined;
    const r = await run('sync', src, dst, { backupDir: backup, wrapBackup: (fs) => (rec = new RecordingFs(fs)) });
    expect(r.error).toBeUndefined();
    expect(contents(backup)).toEqual({ 'old.txt': 'o' });
    const moves = rec!.calls.filter((c) => c.call.startsWith('move '));
    expect(moves.map((c) => c.call)).toEqual(['move old.txt old.txt']);
    expect(moves[0]!.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it('--backup-dir where the backend cannot move: modTime and remove of the copied object get the run signal', async () => {
    const { src, dst } = pair({ 'keep.txt': 'k' }, { 'keep.txt': 'k', 'old.txt': 'o' });
    const backup = tmpDir('backup');
    let rec: RecordingFs | undefined;
    const r = await run('sync', src, dst, {
      backupDir: backup,
      wrapDst: (fs) => (rec = new RecordingFs(fs)),
      wrapBackup: (fs) => new CantMoveFs(fs),
    });
    expect(r.error).toBeUndefined();
    expect(contents(backup)).toEqual({ 'old.txt': 'o' });
    expect(contents(dst)).toEqual({ 'keep.txt': 'k' });
    const old = rec!.calls.filter((c) => c.call.endsWith(' old.txt'));
    expect(old.map((c) => c.call).sort()).toEqual(['modTime old.txt', 'remove old.txt']);
    for (const c of old) expect(c.options?.signal, c.call).toBeInstanceOf(AbortSignal);
  });
});
