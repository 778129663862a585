import { fsError, FsError, type ErrorKind } from '../../src/fs/errors.js';
import type { Verdict } from '../../src/lib/pacer.js';
import type { CallOptions } from '../../src/fs/types.js';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02), as ssh2 puts them on err.code. */
export const STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** Node's and ssh2's ways of saying the connection is gone: the request may be sent again on a fresh one. */
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);
const LOST_MESSAGES = /^(No response from server|Not connected|Channel not open|Unable to start subsystem|Connection lost before handshake)/;
/** The server would not open another channel (MaxSessions): worth another try, but the connection is fine. */
const BUSY = /^\(SSH\) Channel open failure/;

/** Thrown by the pool when a connection broke under a request; always retryable. */
export class ConnectionLost extends Error {
  constructor(readonly detail: string) {
    super(`connection lost: ${detail}`);
    this.name = 'ConnectionLost';
  }
}

export function isConnectionLost(err: unknown): boolean {
  if (err instanceof ConnectionLost) return true;
  if (err instanceof FsError) return false;
  const e = err as { code?: unknown; level?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'number') return e.code === STATUS.NO_CONNECTION || e.code === STATUS.CONNECTION_LOST;
  if (typeof e?.code === 'string' && LOST_CODES.has(e.code)) return true;
  if (e?.level === 'client-socket' || e?.level === 'client-timeout') return true;
  return typeof e?.message === 'string' && LOST_MESSAGES.test(e.message);
}

/** For the pacer: only a broken connection is worth another try; the server's answers are final. */
export function classifySftp(err: unknown): Verdict {
  if (err instanceof FsError) return { retry: err.retry === 'retryable' };
  return { retry: isConnectionLost(err) || isBusy(err) };
}

function isBusy(err: unknown): boolean {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' && BUSY.test(m);
}

export function sftpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Maps what ssh2 threw onto the core's errors. `what` names the action and the remote path
 * (never a secret); notFound says what a missing path means for this request.
 */
export function mapSftpError(err: unknown, what: string, notFound: ErrorKind = 'objectNotFound'): FsError {
  if (err instanceof FsError) return err;
  if (isConnectionLost(err)) {
    const detail = err instanceof ConnectionLost ? err.detail : String((err as Error)?.message ?? err);
    return fsError('other', `${what}: connection lost: ${oneLine(detail)}`, { cause: err, retry: 'retryable' });
  }
  if (isBusy(err)) return fsError('other', `${what}: the server refused another channel: ${oneLine(String((err as Error).message))}`, { cause: err, retry: 'retryable' });
  switch (sftpStatus(err)) {
    case STATUS.NO_SUCH_FILE:
      return fsError(notFound, `${what}: ${notFound === 'dirNotFound' ? 'directory not found' : 'object not found'}`, { cause: err, retry: 'noRetry' });
    case STATUS.PERMISSION_DENIED:
      return fsError('permission', `${what}: permission denied`, { cause: err, retry: 'noRetry' });
    case STATUS.OP_UNSUPPORTED:
      return fsError('notSupported', `${what}: the server does not support this operation`, { cause: err, retry: 'noRetry' });
    default: {
      const detail = oneLine(String((err as Error)?.message ?? err));
      return fsError('other', `${what}: ${detail}`, { cause: err, retry: 'noRetry' });
    }
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** What a call stopped by its signal throws: the signal's reason when it is an Error. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : fsError('other', 'interrupted', { retry: 'fatal' });
}

export function checkSignal(options: CallOptions | undefined): void {
  const signal = options?.signal;
  if (signal?.aborted) throw abortError(signal);
}
