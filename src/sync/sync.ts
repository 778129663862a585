import { setMaxListeners } from 'node:events';
import type { Dir, Fs, Obj } from '../fs/types.js';
import { errorMessage, fsError, isKind, isFatal } from '../fs/errors.js';
import { formatSize } from '../lib/units.js';
import { march } from '../march/march.js';
import { BoundedPool } from '../lib/pool.js';
import { logDebug, logError, logInfo, logNotice } from '../lib/log.js';
import type { OperationContext } from '../operations/context.js';
import { copyObject } from '../operations/copy.js';
import { DELETE_BATCH, canDeleteInBatches, deleteBatch, deleteObject } from '../operations/delete.js';
import { needTransfer } from '../operations/needTransfer.js';
import { moveObject } from '../operations/move.js';
import { sameObject } from '../operations/move-paths.js';
import { skipDestructiveAsk } from '../operations/context.js';
import { fromAltDest, type AltDests } from './alt-dest.js';
import { comparator, parseOrderBy, type Queued } from './order.js';
import { TransferQueue } from './queue.js';
import { RenameTracker, parseRenameStrategy, renamesUsable } from './renames.js';

export interface SyncRequest {
  fsrc: Fs;
  fdst: Fs;
  /**
   * 'copy' never deletes; 'sync' makes the destination identical to the source; 'move'
   * copies like copy and removes each source file once it is on the destination.
   */
  mode: 'copy' | 'sync' | 'move';
  /** Set when the source path named a single file: only that file is considered. */
  srcFile?: string;
  /** With srcFile: its name in the destination (copyto, moveto); the same name without it. */
  dstFile?: string;
  /** move: remove the source directories left empty, once nothing failed (--delete-empty-src-dirs). */
  deleteEmptySrcDirs?: boolean;
  /** --compare-dest or --copy-dest, resolved by the command. */
  altDests?: AltDests;
}

/** A transfer waiting for a worker: remote is its name on the destination. */
interface TransferItem extends Queued {
  dst: Obj | undefined;
  remote: string;
}

/**
 * copy, sync and move: march -> checkers -> transfers -> deletes. Deletes run only when every
 * listing and transfer succeeded ("not deleting files as there were IO errors"), within
 * --max-delete and --max-delete-size, and never when the source had no objects at all
 * (unless --allow-empty-source).
 */
export async function runSync(ctx: OperationContext, req: SyncRequest): Promise<void> {
  const engine = new SyncEngine(ctx, req);
  try {
    await engine.run();
    engine.checkDeadline();
  } finally {
    engine.dispose();
  }
}

class SyncEngine {
  private readonly checks: BoundedPool;
  private readonly transfers: TransferQueue<TransferItem>;
  private readonly deletes: BoundedPool;
  /** Destination-only objects waiting for --delete-after. */
  private readonly toDelete: Obj[] = [];
  /** Destination-only directories, removed after the deletes if they are empty. */
  private readonly dstOnlyDirs: string[] = [];
  /** Source directories, created on the destination with --create-empty-src-dirs. */
  private readonly srcDirs: Dir[] = [];
  /** Source directories a move may have emptied, removed at the end with --delete-empty-src-dirs. */
  private readonly srcDirsToRemove: string[] = [];
  private readonly deleting: boolean;
  private readonly moving: boolean;
  private readonly ctx: OperationContext;
  /** Stops the whole run, on --max-transfer or when the caller's signal fires. */
  private readonly stop = new AbortController();
  /**
   * Stops only what has not started (the march, checks and transfers still queued):
   * --max-duration and --max-transfer with --cutoff-mode soft or cautious.
   */
  private readonly cutoff = new AbortController();
  /** Aborted by either: what starts new work listens to it. */
  private readonly input: AbortSignal;
  private stopError: unknown;
  /** --max-duration's end, and its timer. */
  private deadline: number | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** --track-renames, when it can be used in this run. */
  private readonly renames: RenameTracker | undefined;
  /** --no-traverse, when it applies (not to sync). */
  private readonly noTraverse: boolean;
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
  private detach: () => void = () => undefined;

  constructor(
    ctx: OperationContext,
    private readonly req: SyncRequest,
  ) {
    this.deleting = req.mode === 'sync' && !req.srcFile;
    this.moving = req.mode === 'move';
    // Bad values end the run before it does anything, as in rclone.
    const order = parseOrderBy(ctx.opt.orderBy);
    const strategy = ctx.opt.trackRenames && !req.srcFile ? parseRenameStrategy(ctx.opt.trackRenamesStrategy) : undefined;
    if (strategy && this.deleting && ctx.opt.deleteMode === 'before') {
      throw fsError('usage', "can't use --delete-before with --track-renames: drop one (renames need the deletes after the transfers)");
    }
    // Every in-flight transfer listens on this signal (its read stream and its write
    // pipeline), so --transfers 8 passes Node's default of 10 listeners without any leak.
    setMaxListeners(0, this.stop.signal);
    if (ctx.signal) {
      if (ctx.signal.aborted) this.stop.abort(ctx.signal.reason);
      else {
        const callerSignal = ctx.signal;
        const onAbort = () => this.stop.abort(callerSignal.reason);
        callerSignal.addEventListener('abort', onAbort, { once: true });
        this.detach = () => callerSignal.removeEventListener('abort', onAbort);
      }
    }
    this.input = AbortSignal.any([this.stop.signal, this.cutoff.signal]);
    setMaxListeners(0, this.input);
    if (strategy && renamesUsable(req.fsrc, req.fdst, strategy, this.deleting)) {
      // The files it would delete are the rename candidates: deletes wait until the end.
      if (ctx.opt.deleteMode !== 'after') ctx = { ...ctx, opt: { ...ctx.opt, deleteMode: 'after' } };
      this.renames = new RenameTracker({ ...ctx, signal: this.stop.signal }, req.fsrc, req.fdst, strategy);
    }
    this.noTraverse = ctx.opt.noTraverse && !req.srcFile;
    if (this.noTraverse && this.deleting) {
      // sync must list the destination to find what to delete.
      if (!ctx.filter.filesFrom()) logError(undefined, 'Ignoring --no-traverse with sync');
      this.noTraverse = false;
    }
    this.ctx = ctx = { ...ctx, signal: this.stop.signal };
    const onError = (err: unknown) => this.countError(undefined, err);
    const held = ctx.opt.checkFirst && !req.srcFile;
    if (held) logInfo(String(req.fdst), 'Running all checks before starting transfers');
    this.checks = new BoundedPool(ctx.opt.checkers, onError, ctx.opt.maxBacklog < 0 ? Infinity : ctx.opt.maxBacklog);
    this.transfers = new TransferQueue<TransferItem>({
      workers: ctx.opt.transfers,
      // --check-first holds every transfer until the checks are done, however many.
      backlog: held ? -1 : ctx.opt.maxBacklog,
      compare: order && comparator(order),
      mixed: order?.mixed,
      started: !held,
      run: (item) => this.runTransfer(item),
      onError,
    });
    this.input.addEventListener('abort', () => this.transfers.cancel(), { once: true });
    this.deletes = new BoundedPool(ctx.opt.checkers, onError, ctx.opt.checkers);
    if (ctx.opt.maxDuration > 0) this.startClock(ctx.opt.maxDuration);
    this.guarding = this.deleting && !ctx.opt.allowEmptySource;
    // Only deletes decided after the march (--delete-after, --delete-before) go in batches:
    // during the march a batch would be decided before a transfer error it must yield to.
    this.batching = this.deleting && ctx.opt.deleteMode !== 'during' && canDeleteInBatches(ctx, req.fdst);
  }

  dispose(): void {
    this.detach();
    clearTimeout(this.deadlineTimer);
  }

  /**
   * --max-duration: at the deadline the hard cutoff stops everything, transfers under way
   * included (rclone 1.60 cancels them); soft and cautious stop starting new work and let
   * the transfers under way finish. Either way the run then ends with a fatal error.
   */
  private startClock(ms: number): void {
    this.deadline = Date.now() + ms;
    logInfo(String(this.req.fdst), `Transfer session ${this.ctx.opt.cutoffMode.toUpperCase()} deadline: ${localStamp(new Date(this.deadline))}`);
    this.deadlineTimer = setTimeout(() => {
      const err = maxDurationError();
      if (this.ctx.opt.cutoffMode === 'hard') this.stop.abort(err);
      else this.cutoff.abort(err);
    }, ms);
  }

  /** A run that finished after its --max-duration deadline failed, as in rclone, even if nothing was cut. */
  checkDeadline(): void {
    if (this.deadline === undefined || Date.now() < this.deadline) return;
    if (!this.cutoff.signal.aborted && !this.stop.signal.aborted) this.cutoff.abort(maxDurationError());
    this.throwIfStopped();
  }

  /**
   * Throws if the run was stopped (--max-transfer, --max-duration, or the caller's
   * signal): an interrupted run must neither go on to delete nor look successful.
   */
  private throwIfStopped(): void {
    const signal = this.stop.signal.aborted ? this.stop.signal : this.cutoff.signal.aborted ? this.cutoff.signal : undefined;
    if (!signal) return;
    if (this.stopError === undefined) {
      this.stopError = signal.reason ?? fsError('other', 'sync cancelled', { retry: 'fatal' });
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
    if (this.renames) await this.trackRenames();
    if (ctx.opt.checkFirst && !this.input.aborted) logInfo(String(req.fdst), 'Checks finished, now starting transfers');
    await this.transfers.drain();
    await this.deletes.drain();
    this.throwIfStopped();
    if (ctx.opt.createEmptySrcDirs) await this.makeSrcDirs();
    if (this.moving && req.deleteEmptySrcDirs) await this.removeSrcDirs();
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

  /**
   * Counts a source object; the first one releases the --delete-during deletes held until
   * now. Not async: it runs for every source object and nearly always has nothing to do.
   */
  private sawSrcObject(): Promise<void> | undefined {
    this.srcObjects++;
    if (this.srcObjects !== 1 || this.heldDeletes.length === 0) return undefined;
    return this.releaseHeldDeletes();
  }

  private async releaseHeldDeletes(): Promise<void> {
    for (const obj of this.heldDeletes.splice(0)) await this.queueDuringDelete(obj);
  }

  private async runFile(leaf: string): Promise<void> {
    const { req } = this;
    const remote = req.dstFile ?? leaf;
    const src = await req.fsrc.newObject(leaf, { signal: this.ctx.signal });
    const dst = await req.fdst.newObject(remote, { signal: this.ctx.signal }).catch((err) => {
      if (isKind(err, 'objectNotFound')) return undefined;
      throw err;
    });
    if (dst) await this.check(src, dst, remote);
    else await this.newFile(src, remote);
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
        noTraverse: this.noTraverse,
        signal: this.input,
      },
      {
        srcOnly: async (e) => {
          if (e.kind === 'dir') {
            if (copies && ctx.opt.createEmptySrcDirs) this.srcDirs.push(e);
            if (this.moving && req.deleteEmptySrcDirs) this.srcDirsToRemove.push(e.remote);
            // The deletes-only pass (--delete-before) looks inside too until the source
            // is known to hold an object, for the empty-source guard.
            return copies || (this.guarding && this.srcObjects === 0);
          }
          const held = this.sawSrcObject();
          if (held) await held;
          if (copies) await this.newFile(e);
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
        // Not async: most pairs are handed to a checker at once, with nothing to await.
        match: (s, d) => {
          if (s.kind === 'dir' || d.kind === 'dir') {
            if (s.kind === 'dir' && d.kind === 'dir') {
              if (this.moving && req.deleteEmptySrcDirs) this.srcDirsToRemove.push(s.remote);
              return true;
            }
            // A file on one side and a directory of the same name on the other.
            this.countError(s.remote, fsError('isDir', `${s.remote}: can't sync a file over a directory or a directory over a file`, { retry: 'noRetry' }));
            return false;
          }
          const held = this.sawSrcObject();
          if (held) return held.then(() => (copies ? this.check(s, d) : undefined)).then(() => false);
          const queued = copies ? this.check(s, d) : undefined;
          return queued ? queued.then(() => false) : false;
        },
        listError: (err, side, dir) => {
          // Listings cut short by a soft cutoff are not failures of their own.
          if (this.cutoff.signal.aborted && !this.stop.signal.aborted) return;
          this.countError(`${side === 'src' ? req.fsrc : req.fdst}${dir ? '/' + dir : ''}`, err);
        },
      },
    );
    await this.checks.drain();
  }

  /**
   * Hands the pair to a checker; a promise only when it must wait for room in the backlog.
   * remote is the name on the destination: src.remote except for copyto and moveto.
   */
  private check(src: Obj, dst: Obj, remote = src.remote): Promise<void> | undefined {
    this.ctx.stats.totalChecks++;
    const task = () => this.checkNow(src, dst, remote);
    return this.checks.offer(task) ? undefined : this.checks.submit(task);
  }

  private async checkNow(src: Obj, dst: Obj, remote: string): Promise<void> {
    if (this.input.aborted) return;
    try {
      if (await needTransfer(this.ctx, src, dst)) {
        const alt = this.req.altDests;
        if (!alt || (await fromAltDest(this.ctx, alt, this.req.fdst, dst, src, remote)) === 'transfer') await this.transfer(src, dst, remote);
        // As rclone: a move whose file was found in --compare-dest or --copy-dest is done.
        else if (this.moving) await this.removeMovedSource(src, dst);
      } else if (this.moving) {
        await this.removeMovedSource(src, dst);
      } else {
        logDebug(src.remote, 'Unchanged skipping');
      }
    } catch (err) {
      this.countError(src.remote, err);
    } finally {
      this.ctx.stats.checks++;
    }
  }

  /**
   * A source file with no destination file of its name: held for --track-renames, looked
   * for in --compare-dest or --copy-dest (by a checker, not the march), or transferred.
   */
  private async newFile(src: Obj, remote = src.remote): Promise<void> {
    if (this.renames) {
      this.renames.add(src);
      return;
    }
    const alt = this.req.altDests;
    if (!alt) return this.transfer(src, undefined, remote);
    await this.checks.submit(async () => {
      if (this.input.aborted) return;
      try {
        if ((await fromAltDest(this.ctx, alt, this.req.fdst, undefined, src, remote)) === 'transfer') await this.transfer(src, undefined, remote);
      } catch (err) {
        this.countError(src.remote, err);
      }
    });
  }

  /** --track-renames, once the march and the checks are done: moves what it can, queues the rest. */
  private async trackRenames(): Promise<void> {
    if (this.input.aborted) return;
    const moved = await this.renames!.run(this.toDelete, (src) => this.transfer(src, undefined), (subject, err) => this.countError(subject || undefined, err));
    if (moved.size === 0) return;
    const left = this.toDelete.filter((o) => !moved.has(o));
    this.toDelete.splice(0, this.toDelete.length, ...left);
  }

  /** Queues a transfer; it waits while the backlog (--max-backlog) is full. */
  private async transfer(src: Obj, dst: Obj | undefined, remote = src.remote): Promise<void> {
    const { ctx } = this;
    if (this.input.aborted) return;
    ctx.stats.totalTransfers++;
    ctx.stats.totalBytes += Math.max(0, src.size);
    const item: TransferItem = { src, dst, remote };
    if (ctx.opt.orderBy.toLowerCase().startsWith('modtime')) {
      // Read once here, not at each comparison: on S3 it may cost a request.
      item.modTime = await src.modTime({ signal: ctx.signal }).catch(() => undefined);
    }
    await this.transfers.put(item);
  }

  private async runTransfer(item: TransferItem): Promise<void> {
    const { ctx, req } = this;
    const { src, dst, remote } = item;
    try {
      // -i asks here (--dry-run is handled, and logged, by copyObject and moveObject), once
      // for a move: its copy and the removal of the source are one action.
      if (!ctx.opt.dryRun && ctx.interactive && (await skipDestructiveAsk(ctx, src.remote, this.moving ? 'move' : 'copy', `(size ${src.size})`))) {
        ctx.stats.totalTransfers--;
        ctx.stats.totalBytes -= Math.max(0, src.size);
        return;
      }
      if (this.moving) {
        const moved = await moveObject(ctx, req.fdst, dst, remote, src);
        // A rename sends no data: rclone counts it as a check, not a transfer.
        if (moved?.serverSide) {
          ctx.stats.totalTransfers--;
          ctx.stats.totalChecks++;
          ctx.stats.checks++;
        }
      } else {
        await copyObject(ctx, req.fdst, dst, remote, src);
      }
      if (ctx.opt.dryRun) ctx.stats.transfers++;
    } catch (err) {
      if (isKind(err, 'maxTransferReached') && !isFatal(err)) {
        // --cutoff-mode soft or cautious: nothing new starts, what runs finishes.
        if (!this.cutoff.signal.aborted && !this.stop.signal.aborted) {
          logNotice(undefined, `${errorMessage(err)} - stopping transfers`);
          this.cutoff.abort(err);
        }
      } else if (isKind(err, 'maxTransferReached')) {
        if (this.stopError === undefined) this.countError(src.remote, err);
        this.stopError ??= err;
        this.stop.abort(err);
      } else if (!this.stop.signal.aborted) this.countError(src.remote, err);
    }
  }

  /**
   * move: the destination already holds src's data, so only the source goes, unless both
   * are one object (removing it would lose the only copy) or --ignore-existing left the
   * destination unchecked. A plain delete: never into --backup-dir, which is for the
   * destination's files.
   */
  private async removeMovedSource(src: Obj, dst: Obj): Promise<void> {
    if (sameObject(src, dst)) {
      logNotice(src.remote, 'Not removing source file as it is the same file as the destination');
      return;
    }
    if (this.ctx.opt.ignoreExisting) {
      logDebug(src.remote, 'Not removing source file as destination file exists and --ignore-existing is set');
      return;
    }
    await deleteObject({ ...this.ctx, backupFs: undefined }, src);
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
  private readonly deleteWanted = (): boolean => !this.input.aborted && !(this.ctx.opt.deleteMode === 'during' && this.ctx.stats.errors > 0);

  private async deleteOne(obj: Obj): Promise<void> {
    if (!this.deleteWanted()) {
      if (!this.input.aborted) logDebug(obj.remote, 'Not deleting as there were IO errors');
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
      if (!this.input.aborted) logDebug(undefined, `Not deleting ${objs.length} files as there were IO errors`);
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

  /**
   * --delete-empty-src-dirs: every source directory the move went through, deepest first;
   * one still holding something (an excluded file, a failed one) stays, quietly. The
   * source root stays too, as in rclone. Nothing is removed after an error.
   */
  private async removeSrcDirs(): Promise<void> {
    const dirs = this.srcDirsToRemove.splice(0).sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
    if (dirs.length === 0) return;
    if (this.ctx.stats.errors > 0) {
      logError(undefined, 'not deleting directories as there were IO errors');
      return;
    }
    for (const dir of dirs) {
      if (this.stop.signal.aborted) break;
      if (await skipDestructiveAsk(this.ctx, dir, 'remove directory')) continue;
      try {
        await this.req.fsrc.rmdir(dir, { signal: this.ctx.signal });
        this.ctx.stats.deletedDirs++;
        logInfo(dir, 'Removing directory');
      } catch (err) {
        logDebug(dir, `Failed to remove the directory: ${errorMessage(err)}`);
      }
    }
    this.throwIfStopped();
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

function maxDurationError(): Error {
  return fsError('other', 'max transfer duration reached as set by --max-duration', { retry: 'fatal' });
}

/** "2006/01/02 15:04:05" in local time, as rclone's log shows the --max-duration deadline. */
function localStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
