import * as path from 'node:path';
import type { Fs, HashType, Obj } from '../fs/types.js';
import { errorMessage, fsError, isKind } from '../fs/errors.js';
import { absDiff } from '../fs/time.js';
import { BoundedPool } from '../lib/pool.js';
import { logDebug, logError, logInfo } from '../lib/log.js';
import { skipDestructiveAsk, type OperationContext } from '../operations/context.js';
import { moveObject } from '../operations/move.js';
import { commonHash, modifyWindow } from '../operations/needTransfer.js';

/** What --track-renames-strategy matches a new file to a vanished one on (the size always). */
export interface RenameStrategy {
  hash: boolean;
  modTime: boolean;
  leaf: boolean;
}

/** Parses --track-renames-strategy: comma-separated hash, modtime, leaf and size (always on). */
export function parseRenameStrategy(text: string): RenameStrategy {
  const s: RenameStrategy = { hash: false, modTime: false, leaf: false };
  for (const token of text.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === 'hash') s.hash = true;
    else if (t === 'modtime') s.modTime = true;
    else if (t === 'leaf') s.leaf = true;
    else if (t !== 'size' && t !== '') throw fsError('usage', `invalid value "${text}" for --track-renames-strategy: unknown strategy "${token}"; use a comma-separated list of hash, modtime, leaf and size`);
  }
  return s;
}

/**
 * Whether --track-renames can work for this run, as rclone decides: a sync, into a
 * destination that can move or copy server-side, with a common hash when the strategy
 * matches on hashes. When it can't, rclone's error line says why and the sync goes on
 * without it.
 */
export function renamesUsable(fsrc: Fs, fdst: Fs, strategy: RenameStrategy, syncing: boolean): boolean {
  const subject = String(fdst);
  if (!fdst.move && !fdst.copy) {
    logError(subject, 'Ignoring --track-renames as the destination does not support server-side move or copy');
    return false;
  }
  if (strategy.hash && commonHash(fsrc, fdst) === undefined) {
    logError(subject, 'Ignoring --track-renames as the source and destination do not have a common hash');
    return false;
  }
  if (!syncing) {
    logError(subject, "Ignoring --track-renames as it doesn't work with copy or move, only sync");
    return false;
  }
  return true;
}

interface Candidate {
  obj: Obj;
  /** Only with the modtime strategy. */
  modTime?: bigint;
}

/**
 * --track-renames: source files with no destination file of their name are held here
 * during the march (rclone holds them too: memory grows with the number of new files).
 * After the march, the destination files about to be deleted are indexed by size (and
 * hash, and leaf name) and each held file that matches one is made by moving that one
 * server-side, instead of being uploaded while the old one is deleted.
 */
export class RenameTracker {
  private readonly pending: Obj[] = [];
  private readonly hashType: HashType | undefined;

  constructor(
    private readonly ctx: OperationContext,
    private readonly fsrc: Fs,
    private readonly fdst: Fs,
    private readonly strategy: RenameStrategy,
  ) {
    this.hashType = strategy.hash ? commonHash(fsrc, fdst) : undefined;
  }

  add(src: Obj): void {
    this.pending.push(src);
  }

  /**
   * Renames what it can out of doomed (the destination files to delete) and hands every
   * other held file to transfer. Returns the destination files it moved, which must no
   * longer be deleted.
   */
  async run(doomed: readonly Obj[], transfer: (src: Obj) => Promise<void>, countError: (subject: string, err: unknown) => void): Promise<Set<Obj>> {
    const moved = new Set<Obj>();
    const held = this.pending.splice(0);
    if (held.length === 0) return moved;
    const map = await this.index(doomed, new Set(held.map((o) => o.size)), countError);
    const pool = new BoundedPool(this.ctx.opt.checkers, (err) => countError('', err), this.ctx.opt.checkers);
    for (const src of held) {
      if (this.ctx.signal?.aborted) break;
      await pool.submit(async () => {
        let renamed = false;
        try {
          renamed = await this.tryRename(src, map, moved);
        } catch (err) {
          countError(src.remote, err);
          return;
        }
        if (!renamed) await transfer(src);
      });
    }
    await pool.drain();
    return moved;
  }

  /** Destination files whose size some held file has, keyed by their rename ID. */
  private async index(doomed: readonly Obj[], sizes: Set<number>, countError: (subject: string, err: unknown) => void): Promise<Map<string, Candidate[]>> {
    logInfo(String(this.fdst), 'Making map for --track-renames');
    const map = new Map<string, Candidate[]>();
    const pool = new BoundedPool(this.ctx.opt.transfers, (err) => countError('', err), this.ctx.opt.transfers);
    for (const obj of doomed) {
      if (!sizes.has(obj.size)) continue;
      await pool.submit(async () => {
        this.ctx.stats.totalChecks++;
        try {
          const id = await this.renameId(obj);
          if (id === '') return;
          const c: Candidate = { obj, modTime: this.strategy.modTime ? await obj.modTime({ signal: this.ctx.signal }) : undefined };
          const list = map.get(id);
          if (list) list.push(c);
          else map.set(id, [c]);
        } finally {
          this.ctx.stats.checks++;
        }
      });
    }
    await pool.drain();
    logInfo(String(this.fdst), 'Finished making map for --track-renames');
    return map;
  }

  /** size, then the hash and the leaf name as the strategy asks; '' when the hash can't be had. */
  private async renameId(obj: Obj): Promise<string> {
    let id = String(obj.size);
    if (this.hashType) {
      let sum: string;
      try {
        sum = await obj.hash(this.hashType, { signal: this.ctx.signal });
      } catch (err) {
        logDebug(obj.remote, `Hash failed: ${errorMessage(err)}`);
        return '';
      }
      if (sum === '') return '';
      id += ',' + sum;
    }
    if (this.strategy.leaf) id += ',' + path.posix.basename(obj.remote);
    return id;
  }

  /** Takes the first candidate for src (within the modify window with the modtime strategy). */
  private async take(src: Obj, map: Map<string, Candidate[]>): Promise<Obj | undefined> {
    const id = await this.renameId(src);
    if (id === '' || !map.has(id)) return undefined;
    // Everything asynchronous is done before the list is taken from: two files racing for
    // one candidate can't both get it.
    const srcTime = this.strategy.modTime ? await src.modTime({ signal: this.ctx.signal }) : 0n;
    const list = map.get(id);
    if (!list) return undefined;
    const window = modifyWindow(this.ctx, this.fsrc, this.fdst);
    const i = this.strategy.modTime ? list.findIndex((c) => absDiff(c.modTime!, srcTime) < window) : 0;
    if (i < 0) return undefined;
    const [c] = list.splice(i, 1);
    if (list.length === 0) map.delete(id);
    return c!.obj;
  }

  private async tryRename(src: Obj, map: Map<string, Candidate[]>, moved: Set<Obj>): Promise<boolean> {
    const old = await this.take(src, map);
    if (!old) return false;
    const { ctx, fdst } = this;
    if (!ctx.opt.dryRun && ctx.interactive && (await skipDestructiveAsk(ctx, old.remote, 'move', `to ${src.remote}`))) return false;
    const overwritten = await fdst.newObject(src.remote, { signal: ctx.signal }).catch((err) => {
      if (isKind(err, 'objectNotFound')) return undefined;
      throw err;
    });
    ctx.stats.totalChecks++;
    ctx.stats.totalBytes += Math.max(0, old.size);
    try {
      const result = await moveObject(ctx, fdst, overwritten, src.remote, old);
      // A copy and delete (S3) counted a transfer.
      if (result && !result.serverSide) ctx.stats.totalTransfers++;
    } catch (err) {
      ctx.stats.totalBytes -= Math.max(0, old.size);
      logDebug(src.remote, `Failed to rename from "${old.remote}": ${errorMessage(err)}`);
      return false;
    } finally {
      ctx.stats.checks++;
    }
    moved.add(old);
    logInfo(src.remote, `Renamed from "${old.remote}"`);
    return true;
  }
}
