import * as path from 'node:path';
import { fsError, FsError, type ErrorKind } from '../../src/fs/errors.js';
import type { CallOptions } from '../../src/fs/types.js';
import { workerError, type Answer } from './worker.js';

/** What a call stopped by its signal throws: the signal's reason when it is an Error. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : fsError('other', 'interrupted', { retry: 'fatal' });
}

/** Throws at once when the call's signal has already fired. */
export function checkSignal(options: CallOptions | undefined): void {
  const signal = options?.signal;
  if (signal?.aborted) throw abortError(signal);
}

/** Data of another size than the source said: retried, as a transfer corrupted on its way. */
export function wrongSize(remote: string, size: number, got: number): FsError {
  return fsError('other', `${remote}: corrupted on transfer: expected ${size} bytes, got ${got}`, { retry: 'retryable' });
}

/** The temporary file was gone at the rename: another nclone swept it (tempfiles.ts); the file is sent again. */
export function tempGone(target: string, tmp: string, cause?: unknown): FsError {
  return fsError('other', `write ${target}: the temporary file ${path.basename(tmp)} was removed while being written`, { cause, retry: 'retryable' });
}

/** A worker's failure to read file, as open or read reports it on the ordinary path. */
export function workerReadError(e: NonNullable<Answer['error']>, file: string): unknown {
  return mapError(workerError(e), `${e.syscall === 'open' ? 'open' : 'read'} ${file}`);
}

/** Maps Node's errno errors onto the core's typed errors. */
export function mapError(err: unknown, what: string, notFound: ErrorKind = 'objectNotFound'): unknown {
  if (err instanceof FsError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const detail = (err as Error)?.message ?? String(err);
  switch (code) {
    case 'ENOENT':
      return fsError(notFound, `${what}: ${notFound === 'dirNotFound' ? 'directory not found' : 'object not found'}`, { cause: err, retry: 'noRetry' });
    case 'ENOTDIR':
      return fsError('isFile', `${what}: is a file, not a directory`, { cause: err, retry: 'noRetry' });
    case 'EISDIR':
      return fsError('isDir', `${what}: is a directory, not a file`, { cause: err, retry: 'noRetry' });
    case 'ENOTEMPTY':
    case 'EEXIST':
      return fsError('dirNotEmpty', `${what}: directory not empty`, { cause: err, retry: 'noRetry' });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return fsError('permission', `${what}: permission denied`, { cause: err, retry: 'noRetry' });
    case 'ENOSPC':
    case 'EDQUOT':
      return fsError('other', `${what}: no space left on device`, { cause: err, retry: 'fatal' });
    case 'EBUSY':
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
      return fsError('other', `${what}: ${detail}`, { cause: err, retry: 'retryable' });
    case 'ENAMETOOLONG':
      return fsError('other', `${what}: file name too long`, { cause: err, retry: 'noRetry' });
    default:
      return fsError('other', `${what}: ${detail}`, { cause: err });
  }
}
