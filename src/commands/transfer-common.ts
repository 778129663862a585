import * as path from 'node:path';
import type { CommandEnv } from '../cli/command.js';
import type { NewFsResult } from '../fs/registry.js';
import type { SyncRequest } from '../sync/sync.js';
import type { AltDests } from '../sync/alt-dest.js';
import type { Fs } from '../fs/types.js';
import { fsError } from '../fs/errors.js';
import { parsePath } from '../fs/path.js';
import type { OperationContext } from '../operations/context.js';
import { fullPath, sameRemote, sameStore } from '../operations/move-paths.js';
import { logDebug, logInfo } from '../lib/log.js';

/** One root lies inside the other (or they are the same) on the same storage. */
export function overlapping(a: Fs, b: Fs): boolean {
  if (!sameStore(a, b)) return false;
  const inside = (x: string, y: string) => x === y || y === '' || x.startsWith(y.endsWith('/') ? y : y + '/');
  return inside(a.root, b.root) || inside(b.root, a.root);
}

export interface TransferOptions {
  /** move: remove the source directories the move left empty. */
  deleteEmptySrcDirs?: boolean;
}

/** copy, sync and move: resolve both sides, refuse overlaps, set up --backup-dir, run the engine. */
export async function transfer(env: CommandEnv, mode: 'copy' | 'sync' | 'move', srcPath: string, dstPath: string, opts: TransferOptions = {}): Promise<void> {
  const src = await env.fs(srcPath);
  const dst = await env.fs(dstPath);
  await transferResolved(env, mode, src, dst, srcPath, dstPath, opts);
}

async function transferResolved(env: CommandEnv, mode: 'copy' | 'sync' | 'move', src: NewFsResult, dst: NewFsResult, srcPath: string, dstPath: string, opts: TransferOptions): Promise<void> {
  if (dst.file !== undefined) {
    throw fsError('usage', `destination ${dstPath} is a file: ${mode} ${mode === 'move' ? 'moves' : 'copies'} into a directory; give the directory instead`);
  }
  if (src.file === undefined && overlapping(src.fs, dst.fs)) {
    throw fsError('usage', `can't ${mode} ${srcPath} to ${dstPath}: source and destination overlap (one is inside the other); use separate directories`);
  }
  if (src.file !== undefined && alreadyThere(mode, src.fs, src.file, dst.fs, src.file, srcPath)) return;
  const ctx = await backupContext(env, src.fs, dst.fs, srcPath, dstPath);
  const altDests = await altDestsFor(env, dst.fs, dstPath);
  await runEngine(ctx, { fsrc: src.fs, fdst: dst.fs, mode, srcFile: src.file, deleteEmptySrcDirs: opts.deleteEmptySrcDirs, altDests });
  nothingTransferred(ctx);
}

/**
 * copyto and moveto: a file source is copied or moved to the name dstPath gives (its
 * parent is the destination directory); a directory source is handled as copy or move.
 */
export async function transferTo(env: CommandEnv, mode: 'copy' | 'move', srcPath: string, dstPath: string): Promise<void> {
  const src = await env.fs(srcPath);
  if (src.file === undefined) {
    const dst = await env.fs(dstPath);
    if (dst.file !== undefined) throw fsError('usage', `can't ${mode} the directory ${srcPath} to ${dstPath}: that is a file (or ${srcPath} does not exist)`);
    return transferResolved(env, mode, src, dst, srcPath, dstPath, {});
  }
  // As rclone: the filters can't be applied to one named file without surprising someone.
  if (env.ctx.filter.active) throw fsError('usage', `can't ${mode}to the single file ${srcPath} when filters are given: drop the filter flags`);
  const { parent, leaf } = splitLeaf(dstPath);
  if (leaf === '') throw fsError('usage', `${dstPath} names a directory: give the new file's name (${mode}to SOURCE-FILE DEST-DIR/NAME)`);
  const dst = await env.fs(parent);
  if (dst.file !== undefined) throw fsError('usage', `can't ${mode} ${srcPath} to ${dstPath}: ${parent} is a file, not a directory`);
  if (alreadyThere(mode, src.fs, src.file, dst.fs, leaf, srcPath)) return;
  const ctx = await backupContext(env, src.fs, dst.fs, srcPath, dstPath);
  const altDests = await altDestsFor(env, dst.fs, dstPath);
  await runEngine(ctx, { fsrc: src.fs, fdst: dst.fs, mode, srcFile: src.file, dstFile: leaf, altDests });
  nothingTransferred(ctx);
}

/** The sync engine, loaded only by the commands that transfer (delete, purge, rmdir and rmdirs share this file). */
async function runEngine(ctx: OperationContext, req: SyncRequest): Promise<void> {
  const { runSync } = await import('../sync/sync.js');
  await runSync(ctx, req);
}

/** A single file whose destination is itself: nothing to do (as rclone, which says so at -vv). */
function alreadyThere(mode: string, src: Fs, srcFile: string, dst: Fs, dstFile: string, srcPath: string): boolean {
  if (!sameStore(src, dst) || fullPath(src, srcFile) !== fullPath(dst, dstFile)) return false;
  logDebug(dstFile, `don't need to ${mode} ${srcPath}, it is already at the target location`);
  return true;
}

/** The context with --backup-dir (or --suffix alone) set up, after checking where it points. */
async function backupContext(env: CommandEnv, src: Fs, dst: Fs, srcPath: string, dstPath: string): Promise<OperationContext> {
  const { ctx } = env;
  if (ctx.opt.backupDir !== undefined) {
    const backup = await env.fs(ctx.opt.backupDir);
    if (!sameStore(backup.fs, dst)) throw fsError('usage', `--backup-dir ${ctx.opt.backupDir} must be on the same remote as the destination ${dstPath}`);
    if (overlapping(backup.fs, dst)) throw fsError('usage', `--backup-dir ${ctx.opt.backupDir} must not overlap the destination ${dstPath}: put it outside`);
    if (overlapping(backup.fs, src)) throw fsError('usage', `--backup-dir ${ctx.opt.backupDir} must not overlap the source ${srcPath}`);
    return { ...ctx, backupFs: backup.fs };
  }
  if (ctx.opt.suffix !== '') return { ...ctx, backupFs: dst };
  return ctx;
}

/**
 * --compare-dest or --copy-dest (each may be given several times, not both), checked as
 * rclone does: directories, outside the destination; --copy-dest on the destination's
 * remote, whose backend must copy server-side.
 */
async function altDestsFor(env: CommandEnv, dst: Fs, dstPath: string): Promise<AltDests | undefined> {
  // Never both: the options refuse that.
  const { compareDest, copyDest } = env.ctx.opt;
  const kind = compareDest.length > 0 ? 'compare' : copyDest.length > 0 ? 'copy' : undefined;
  if (kind === undefined) return undefined;
  const flag = `--${kind}-dest`;
  const dirs: Fs[] = [];
  for (const p of kind === 'compare' ? compareDest : copyDest) {
    const made = await env.fs(p);
    if (made.file !== undefined) throw fsError('usage', `${flag} ${p} is a file: give a directory`);
    if (overlapping(made.fs, dst)) throw fsError('usage', `${flag} ${p} must not overlap the destination ${dstPath}: put it outside`);
    if (kind === 'copy' && !sameRemote(made.fs, dst) && !(made.fs.features.isLocal && dst.features.isLocal)) {
      throw fsError('usage', `--copy-dest ${p} must be on the same remote as the destination ${dstPath}`);
    }
    if (kind === 'copy' && !made.fs.copy) throw fsError('usage', `can't use --copy-dest ${p}: its backend can't copy server-side (the local disk can't); use --compare-dest`);
    dirs.push(made.fs);
  }
  return { kind, dirs };
}

/**
 * rclone says so at the end of a run that copied nothing, so a no-op run at -v is not
 * silent. A run with errors copied nothing because it failed, not because it had nothing
 * to do (and each of its retries would say it again).
 */
function nothingTransferred(ctx: OperationContext): void {
  if (ctx.stats.transfers === 0 && ctx.stats.errors === 0) logInfo(undefined, 'There was nothing to transfer');
}

/**
 * Splits a command-line path into its parent directory (as a path of the same form) and
 * its last name: "remote:dir/file" -> "remote:dir" + "file", "/tmp/a" -> "/tmp" + "a",
 * "s3://bucket/key?region=x" -> "s3://bucket?region=x" + "key". The leaf is '' when the
 * path names a directory by its form (a trailing slash, a remote's root, a bare bucket URL).
 */
export function splitLeaf(input: string): { parent: string; leaf: string } {
  const parsed = parsePath(input);
  if (parsed.kind === 'local') {
    if (input.endsWith('/') || input.endsWith(path.sep)) return { parent: input, leaf: '' };
    return { parent: path.dirname(input), leaf: path.basename(input) };
  }
  if (parsed.kind === 'url') {
    const head = input.slice(0, input.length - parsed.rest.length);
    const q = parsed.rest.indexOf('?');
    const location = q < 0 ? parsed.rest : parsed.rest.slice(0, q);
    const query = q < 0 ? '' : parsed.rest.slice(q);
    const slash = location.lastIndexOf('/');
    // A URL's first segment is its host or bucket, never a file name.
    if (slash < 0) return { parent: input, leaf: '' };
    let leaf: string;
    try {
      leaf = decodeURIComponent(location.slice(slash + 1));
    } catch {
      throw fsError('usage', `malformed path "${input}": bad %-escape in its last name`);
    }
    return { parent: head + location.slice(0, slash) + query, leaf };
  }
  const prefix = input.slice(0, input.length - parsed.path.length);
  const slash = parsed.path.lastIndexOf('/');
  const leaf = parsed.path.slice(slash + 1);
  const dir = slash < 0 ? '' : slash === 0 ? '/' : parsed.path.slice(0, slash);
  return { parent: prefix + dir, leaf };
}

/**
 * Runs fn with -i set up for commands the runner does not set it up for (delete, purge,
 * rmdir, rmdirs: it opens the terminal only for transfer commands). q at a question
 * stops fn's operations through the signal, and the command ends with the quit error.
 */
export async function withQuestions(env: CommandEnv, fn: (ctx: OperationContext) => Promise<void>): Promise<void> {
  const { ctx } = env;
  if (!ctx.opt.interactive || ctx.opt.dryRun || ctx.interactive) return fn(ctx);
  const { Interactive, openTerminal, quitError } = await import('../operations/interactive.js');
  const terminal = openTerminal();
  const quit = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, quit.signal]) : quit.signal;
  try {
    await fn({ ...ctx, signal, interactive: new Interactive(terminal, () => quit.abort(quitError())) });
  } catch (err) {
    if (!quit.signal.aborted) throw err;
  } finally {
    terminal.close();
  }
  if (quit.signal.aborted) throw quit.signal.reason;
}
