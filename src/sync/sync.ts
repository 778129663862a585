import { setMaxListeners } from 'node:events';
import type { Dir, Fs, Obj } from '../fs/types.js';
import { errorMessage, fsError, isKind, isFatal } from '../fs/errors.js';
import { formatSize } from '../lib/units.js';
import { march } from '../march/march.js';
import { BoundedPool } from '../lib/pool.js';
import { logDebug, logError, logInfo } from '../lib/log.js';
import type { OperationContext } from '../operations/context.js';
import { copyObject } from '../operations/copy.js';
import { DELETE_BATCH, canDeleteInBatches, deleteBatch, deleteObject } from '../operations/delete.js';
import { needTransfer } from '../operations/needTransfer.js';
import { skipDestructiveAsk } from '../operations/context.js';

export interface SyncRequest {
  fsrc: Fs;
  fdst: Fs;
  /** 'copy' never deletes; 'sync' makes the destination identical to the source. */
  mode: 'copy' | 'sync';
  /** Set when the source path named a single file: only that file is considered. */
  srcFile?: string;
}

/**
 * copy and sync: march -> checkers -> transfers -> deletes. Deletes run only when every
 * listing and transfer succeeded ("not deleting files as there were IO errors"), within
 * --max-delete and --max-delete-size, and never when the source had no objects at all
 * (unless --allow-empty-source).
 */
export async function runSync(ctx: OperationContext, req: SyncRequest): Promise<void> {
  const engine = new SyncEngine(ctx, req);
  try {
    await engine.run();
  } finally {
    engine.dispose();
  }
}

class SyncEngine {
  private readonly checks: BoundedPool;
  private readonly transfers: BoundedPool;
  private readonly deletes: BoundedPool;
  /** Destination-only objects waiting for --delete-after. */
  private readonly toDelete: Obj[] = [];
  /** Destination-only directories, removed after the deletes if they are empty. */
  private readonly dstOnlyDirs: string[] = [];
  /** Source directories, created on the destination with --create-empty-src-dirs. */
  private readonly srcDirs: Dir[] = [];
  private readonly deleting: boolean;
  private readonly ctx: OperationContext;
  /** Stops the whole run, on --max-transfer or when the caller's signal fires. */
  private readonly stop = new AbortController();
  private stopError: unknown;
  /** Deletes handed to the pool by --delete-during, counted before they finish. */
  private deletesQueued = 0;
  /** Their sizes, for --max-delete-size. */
  private deleteBytesQueued = 0;
  /** Source objects the march has reported (after the filters), in every pass. */
  private srcObjects = 0;
  /**
   * The empty-source guard is on: a sync whose source has no objects deletes nothing
   * (no --allow-empty-source).
   */
  private readonly guarding: boolean;
  /** --delete-during deletes found before the first source object: held until one is seen. */
  private readonly heldDeletes: Obj[] = [];
  /** --delete-during reached --max-delete or --max-delete-size: nothing more is queued. */
  private deleteLimitHit = false;
  /** Deletes go to the destination's removeMany in batches rather than one remove() each. */
  private readonly batching: boolean;
  /** Detaches from the caller's signal once the run is over. */
  dispose: () => void = () => undefined;

  constructor(
    ctx: OperationContext,
    private readonly req: SyncRequest,
  ) {
    // Every in-flight transfer listens on this signal (its read stream and its write
    // pipeline), so --transfers 8 passes Node's default of 10 listeners without any leak.
    setMaxListeners(0, this.stop.signal);
    if (ctx.signal) {
      if (ctx.signal.aborted) this.stop.abort(ctx.signal.reason);
      else {
        const callerSignal = ctx.signal;
        const onAbort = () => this.stop.abort(callerSignal.reason);
        callerSignal.addEventListener('abort', onAbort, { once: true });
        this.dispose = () => callerSignal.removeEventListener('abort', onAbort);
      }
    }
    this.ctx = ctx = { ...ctx, signal: this.stop.signal };
    const onError = (err: unknown) => this.countError(undefined, err);
    this.checks = new BoundedPool(ctx.opt.checkers, onError, ctx.opt.checkers * 2);
    this.transfers = new BoundedPool(ctx.opt.transfers, onError, ctx.opt.transfers * 2);
    this.deletes = new BoundedPool(ctx.opt.checkers, onError, ctx.opt.checkers);
    this.deleting = req.mode === 'sync' && !req.srcFile;
    this.guarding = this.deleting && !ctx.opt.allowEmptySource;
    // Only deletes decided after the march (--delete-after, --delete-before) go in batches:
    // during the march a batch would be decided before a transfer error it must yield to.
    this.batching = this.deleting && ctx.opt.deleteMode !== 'during' && canDeleteInBatches(ctx, req.fdst);
  }

  /**
   * Throws if the run was stopped (--max-transfer, or the caller's signal): an
   * interrupted run must neither go on to delete nor look successful.
   */
  private throwIfStopped(): void {
    if (!this.stop.signal.aborted) return;
    if (this.stopError === undefined) {
      this.stopError = this.stop.signal.reason ?? fsError('other', 'sync cancelled', { retry: 'fatal' });
      this.countError(undefined, this.stopError);
    }
    throw this.stopError;
  }

  private countError(subject: string | undefined, err: unknown): void {
    logError(subject, errorMessage(err));
    this.ctx.stats.countError(err);
    // A fatal error (disk full, bad credentials) stops the whole run, as in rclone.
    if (isFatal(err) && !this.stop.signal.aborted) {
      this.stopError ??= err;
      this.stop.abort(err);
    }
  }

  async run(): Promise<void> {
    const { ctx, req } = this;
    if (!ctx.opt.dryRun) await req.fdst.mkdir('', { signal: ctx.signal });
    if (req.srcFile) return this.runFile(req.srcFile);
    /** Set when the empty-source guard withheld the deletes; the run ends with it once the copies are done. */
    let refused: Error | undefined;
    if (this.deleting && ctx.opt.deleteMode === 'before') {
      await this.marchOnce('deletes');
      this.throwIfStopped();
      if (ctx.stats.errors > 0) {
        logError(undefined, 'not deleting files as there were IO errors');
        return;
      }
      refused = this.emptySourceRefusal(this.toDelete);
      if (!refused) await this.deleteCollected();
    }
    await this.marchOnce(this.deleting && ctx.opt.deleteMode === 'before' ? 'copies' : 'all');
    await this.transfers.drain();
    await this.deletes.drain();
    this.throwIfStopped();
    if (ctx.opt.createEmptySrcDirs) await this.makeSrcDirs();
    if (!this.deleting) return;
    if (ctx.stats.errors > 0) {
      logError(undefined, 'not deleting files or directories as there were IO errors');
      return;
    }
    if (ctx.opt.deleteMode === 'after') refused ??= this.emptySourceRefusal(this.toDelete);
    if (ctx.opt.deleteMode === 'during') refused ??= this.emptySourceRefusal(this.heldDeletes);
    if (refused) {
      // Counted, not logged: the runner shows it as the run's one closing line.
      ctx.stats.countError(refused);
      throw refused;
    }
    if (ctx.opt.deleteMode === 'after') await this.deleteCollected();
    await this.removeDstOnlyDirs();
  }

  /**
   * The empty-source guard: a source that listed no objects (all of it, without errors,
   * after the filters) while the destination has objects to delete is far more often a
   * mistyped path, an unmounted disk or a filter that excludes everything than a wish to
   * empty the destination. Returns the refusal (and forgets the deletes), or undefined.
   */
  private emptySourceRefusal(pending: Obj[]): Error | undefined {
    if (!this.guarding || this.srcObjects > 0 || pending.length === 0) return undefined;
    const n = pending.length;
    pending.length = 0;
    this.dstOnlyDirs.length = 0;
    const { fsrc, fdst } = this.req;
    const found = this.ctx.filter.active ? `no file in the source ${fsrc} passes the filters` : `the source ${fsrc} has no files (a wrong path? an unmounted disk?)`;
    return fsError(
      'emptySource',
      `not deleting anything: ${found}, so sync would delete all ${n} file${n === 1 ? '' : 's'} in ${fdst}; pass --allow-empty-source if this is intended`,
      { retry: 'noRetry' },
    );
  }

  /** Counts a source object; the first one releases the --delete-during deletes held until now. */
  private async sawSrcObject(): Promise<void> {
    this.srcObjects++;
    if (this.srcObjects !== 1 || this.heldDeletes.length === 0) return;
    for (const obj of this.heldDeletes.splice(0)) await this.queueDuringDelete(obj);
  }

  private async runFile(leaf: string): Promise<void> {
    const { req } = this;
    const src = await req.fsrc.newObject(leaf, { signal: this.ctx.signal });
    const dst = await req.fdst.newObject(leaf, { signal: this.ctx.signal }).catch((err) => {
      if (isKind(err, 'objectNotFound')) return undefined;
      throw err;
    });
    if (dst) await this.check(src, dst);
    else await this.transfer(src, undefined);
    await this.checks.drain();
    await this.transfers.drain();
    this.throwIfStopped();
  }

  private async marchOnce(phase: 'all' | 'copies' | 'deletes'): Promise<void> {
    const { ctx, req } = this;
    const copies = phase !== 'deletes';
    const deletes = phase !== 'copies' && this.deleting;
    await march(
      {
        fsrc: req.fsrc,
        fdst: req.fdst,
        checkers: ctx.opt.checkers,
        filter: ctx.filter,
        filterDst: !ctx.opt.deleteExcluded,
        fastList: ctx.opt.fastList,
        maxDepth: ctx.opt.maxDepth,
        signal: ctx.signal,
      },
      {
        srcOnly: async (e) => {
          if (e.kind === 'dir') {
            if (copies && ctx.opt.createEmptySrcDirs) this.srcDirs.push(e);
            // The deletes-only pass (--delete-before) looks inside too until the source
            // is known to hold an object, for the empty-source guard.
            return copies || (this.guarding && this.srcObjects === 0);
          }
          await this.sawSrcObject();
          if (copies) await this.transfer(e, undefined);
          return false;
        },
        dstOnly: async (e) => {
          if (!deletes) return false;
          if (e.kind === 'dir') {
            if (req.fdst.features.canHaveEmptyDirectories) this.dstOnlyDirs.push(e.remote);
            return true;
          }
          await this.dstOnly(e);
          return false;
        },
        match: async (s, d) => {
          if (s.kind === 'dir' || d.kind === 'dir') {
            if (s.kind === 'dir' && d.kind === 'dir') return true;
            // A file on one side and a directory of the same name on the other.
            this.countError(s.remote, fsError('isDir', `${s.remote}: can't sync a file over a directory or a directory over a file`, { retry: 'noRetry' }));
            return false;
          }
          await this.sawSrcObject();
          if (copies) await this.check(s, d);
          return false;
        },
        listError: (err, side, dir) => this.countError(`${side === 'src' ? req.fsrc : req.fdst}${dir ? '/' + dir : ''}`, err),
      },
    );
    await this.checks.drain();
  }

  private async check(src: Obj, dst: Obj): Promise<void> {
    this.ctx.stats.totalChecks++;
    await this.checks.submit(async () => {
      try {
        if (await needTransfer(this.ctx, src, dst)) {
          await this.transfer(src, dst);
        } else {
          logDebug(src.remote, 'Unchanged skipping');
        }
      } catch (err) {
        this.countError(src.remote, err);
      } finally {
        this.ctx.stats.checks++;
      }
    });
  }

  private async transfer(src: Obj, dst: Obj | undefined): Promise<void> {
    const { ctx, req } = this;
    ctx.stats.totalTransfers++;
    ctx.stats.totalBytes += Math.max(0, src.size);
    await this.transfers.submit(async () => {
      try {
        // -i asks here (--dry-run is handled, and logged, by copyObject itself).
        if (!ctx.opt.dryRun && ctx.interactive && (await skipDestructiveAsk(ctx, src.remote, 'copy', `(size ${src.size})`))) {
          ctx.stats.totalTransfers--;
          ctx.stats.totalBytes -= Math.max(0, src.size);
          return;
        }
        await copyObject(ctx, req.fdst, dst, src.remote, src);
        if (ctx.opt.dryRun) ctx.stats.transfers++;
      } catch (err) {
        if (isKind(err, 'maxTransferReached')) {
          if (this.stopError === undefined) this.countError(src.remote, err);
          this.stopError ??= err;
          this.stop.abort(err);
        } else if (!this.stop.signal.aborted) this.countError(src.remote, err);
      }
    });
  }

  private async dstOnly(obj: Obj): Promise<void> {
    if (this.ctx.opt.deleteMode !== 'during') {
      this.toDelete.push(obj);
      return;
    }
    // Until the source has shown an object, an empty source can't be ruled out.
    if (this.guarding && this.srcObjects === 0) {
      this.heldDeletes.push(obj);
      return;
    }
    await this.queueDuringDelete(obj);
  }

  private async queueDuringDelete(obj: Obj): Promise<void> {
    const { maxDelete, maxDeleteSize } = this.ctx.opt;
    if (this.ctx.stats.errors > 0 || this.deleteLimitHit) return; // also stops further deletes once a limit was hit
    // Counted when queued, not when done: deletes run concurrently, so stats.deletes
    // lags behind and would let every queued delete through.
    const size = Math.max(0, obj.size);
    const over =
      maxDelete >= 0 && this.deletesQueued >= maxDelete ? maxDeleteError(maxDelete)
      : maxDeleteSize >= 0 && this.deleteBytesQueued + size > maxDeleteSize ? maxDeleteSizeError(maxDeleteSize)
      : undefined;
    if (over) {
      this.deleteLimitHit = true;
      this.countError(obj.remote, over);
      return;
    }
    this.deletesQueued++;
    this.deleteBytesQueued += size;
    return this.deletes.submit(() => this.deleteOne(obj));
  }

  /**
   * A delete can wait in the pool while a transfer fails or the run is stopped: it is
   * decided when it starts, not when it was queued, so nothing is deleted after the first
   * error (stricter than rclone, whose --delete-during deleters stop only on a fatal error).
   */
  private readonly deleteWanted = (): boolean => !this.stop.signal.aborted && !(this.ctx.opt.deleteMode === 'during' && this.ctx.stats.errors > 0);

  private async deleteOne(obj: Obj): Promise<void> {
    if (!this.deleteWanted()) {
      if (!this.stop.signal.aborted) logDebug(obj.remote, 'Not deleting as there were IO errors');
      return;
    }
    try {
      await deleteObject(this.ctx, obj, this.deleteWanted);
    } catch (err) {
      this.countError(obj.remote, err);
    }
  }

  /** One batch: one removeMany call (one request on S3), each failure counted as its object's error. */
  private async deleteMany(objs: Obj[]): Promise<void> {
    if (!this.deleteWanted()) {
      if (!this.stop.signal.aborted) logDebug(undefined, `Not deleting ${objs.length} files as there were IO errors`);
      return;
    }
    const failures = await deleteBatch(this.ctx, this.req.fdst, objs);
    for (const f of failures) this.countError(f.obj.remote, f.err);
  }

  /** --delete-after and --delete-before: all or nothing against --max-delete and --max-delete-size. */
  private async deleteCollected(): Promise<void> {
    const { maxDelete, maxDeleteSize } = this.ctx.opt;
    const bytes = this.toDelete.reduce((sum, o) => sum + Math.max(0, o.size), 0);
    const err =
      maxDelete >= 0 && this.toDelete.length > maxDelete ? maxDeleteError(maxDelete, this.toDelete.length)
      : maxDeleteSize >= 0 && bytes > maxDeleteSize ? maxDeleteSizeError(maxDeleteSize, this.toDelete.length, bytes)
      : undefined;
    if (err) {
      // Counted here like --max-transfer, so the run's stats show it (the runner does not count it twice).
      this.countError(undefined, err);
      throw err;
    }
    const objs = this.toDelete.splice(0);
    if (this.batching) {
      // One batch at a time, so a stop or an error is heeded before the next one is sent.
      for (let i = 0; i < objs.length && !this.stop.signal.aborted; i += DELETE_BATCH) await this.deleteMany(objs.slice(i, i + DELETE_BATCH));
    } else {
      for (const obj of objs) {
        if (this.stop.signal.aborted) break;
        await this.deletes.submit(() => this.deleteOne(obj));
      }
    }
    await this.deletes.drain();
    this.throwIfStopped();
  }

  private async removeDstOnlyDirs(): Promise<void> {
    // Deepest first, so parents are empty by the time they are reached.
    const dirs = this.dstOnlyDirs.splice(0).sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
    for (const dir of dirs) {
      if (await skipDestructiveAsk(this.ctx, dir, 'remove directory')) continue;
      try {
        await this.req.fdst.rmdir(dir, { signal: this.ctx.signal });
        this.ctx.stats.deletedDirs++;
        logInfo(dir, 'Removing directory');
      } catch (err) {
        // Excluded files can legitimately keep a directory non-empty.
        if (!isKind(err, 'dirNotEmpty') && !isKind(err, 'dirNotFound')) this.countError(dir, err);
      }
    }
  }

  private async makeSrcDirs(): Promise<void> {
    for (const dir of this.srcDirs.splice(0)) {
      if (await skipDestructiveAsk(this.ctx, dir.remote, 'make directory')) continue;
      try {
        await this.req.fdst.mkdir(dir.remote, { signal: this.ctx.signal });
      } catch (err) {
        this.countError(dir.remote, err);
      }
    }
  }
}

function maxDeleteError(limit: number, wanted?: number): Error {
  return fsError(
    'maxDeleteReached',
    wanted === undefined
      ? `--max-delete threshold (${limit}) reached: not deleting any more files`
      : `--max-delete threshold (${limit}) reached: ${wanted} files to delete, so none were deleted`,
    { retry: 'fatal' },
  );
}

function maxDeleteSizeError(limit: number, files?: number, bytes?: number): Error {
  return fsError(
    'maxDeleteReached',
    files === undefined
      ? `--max-delete-size threshold (${formatSize(limit)}) reached: not deleting any more files`
      : `--max-delete-size threshold (${formatSize(limit)}) reached: ${files} files of ${formatSize(bytes!)} in all to delete, so none were deleted`,
    { retry: 'fatal' },
  );
}
