/**
 * Typed errors every backend maps its native errors onto. One place (exitCodeFor) turns
 * them into rclone's documented exit codes.
 */
export type ErrorKind =
  | 'usage' // bad command line
  | 'config' // config file unreadable, malformed, unknown remote
  | 'dirNotFound'
  | 'objectNotFound'
  | 'isFile'
  | 'isDir'
  | 'dirNotEmpty'
  | 'cantCopy' // backend asks for a streamed copy instead
  | 'cantMove'
  | 'notSupported'
  | 'permission'
  | 'invalidName' // a name this backend can't store (refused for that object only)
  | 'maxTransferReached'
  | 'maxDeleteReached'
  | 'noTransfer' // --error-on-no-transfer
  | 'emptySource' // sync refused to delete because the source listed no objects (--allow-empty-source)
  | 'differences' // check/checksum found files that differ or are missing
  | 'other';

/** How the retry layers treat an error. */
export type RetryClass = 'retryable' | 'noRetry' | 'fatal';

export interface FsErrorOptions {
  cause?: unknown;
  retry?: RetryClass;
  /**
   * A dirNotFound for a prefix of a bucket store that holds nothing: listing commands show
   * it as an empty directory (as rclone does), while sync still refuses it as a source, so
   * a mistyped path never empties the destination.
   */
  emptyPrefix?: boolean;
}

export class FsError extends Error {
  readonly kind: ErrorKind;
  readonly retry: RetryClass | undefined;
  readonly emptyPrefix: boolean;
  constructor(kind: ErrorKind, message: string, options: FsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FsError';
    this.kind = kind;
    this.retry = options.retry;
    this.emptyPrefix = options.emptyPrefix === true;
  }
}

export function fsError(kind: ErrorKind, message: string, options?: FsErrorOptions): FsError {
  return new FsError(kind, message, options);
}

/** Received data that is not what the source says it holds: retried, then counted. */
export function corrupted(remote: string, hashType: string, expected: string, got: string): FsError {
  return fsError('other', `${remote}: corrupted on transfer: ${hashType} hashes differ: the source says ${expected}, received ${got}`, { retry: 'retryable' });
}

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof FsError && err.kind === kind;
}

/** rclone's exit codes (lib/exitcode). */
export const ExitCode = {
  success: 0,
  usageError: 1,
  uncategorized: 2,
  dirNotFound: 3,
  fileNotFound: 4,
  retryError: 5,
  noRetryError: 6,
  fatalError: 7,
  transferExceeded: 8,
  noFilesTransferred: 9,
  /**
   * nclone's own: sync found no objects in the source while the destination had some, and
   * deleted nothing (--allow-empty-source). 10 is rclone's --max-duration code, so 11.
   */
  emptySource: 11,
  /** nclone's own: --lock-file is held by another run. */
  lockHeld: 12,
} as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof FsError) {
    switch (err.kind) {
      case 'usage':
      case 'config':
        return ExitCode.usageError;
      // rclone 1.60 exits 1 when check finds differences (its uncategorised code then).
      case 'differences':
        return ExitCode.usageError;
      case 'dirNotFound':
        return ExitCode.dirNotFound;
      case 'objectNotFound':
        return ExitCode.fileNotFound;
      case 'maxTransferReached':
        return ExitCode.transferExceeded;
      case 'noTransfer':
        return ExitCode.noFilesTransferred;
      case 'emptySource':
        return ExitCode.emptySource;
      default:
        break;
    }
    if (err.retry === 'fatal') return ExitCode.fatalError;
    if (err.retry === 'retryable') return ExitCode.retryError;
    if (err.retry === 'noRetry') return ExitCode.noRetryError;
  }
  if (isRetryable(err)) return ExitCode.retryError;
  return ExitCode.uncategorized;
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'EBUSY', 'EMFILE', 'ENFILE']);

/** Whether the retry layers should try again. Backends mark their own errors; Node's network errors are retryable. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof FsError) return err.retry === 'retryable';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

/** Errors that say retrying cannot help: classified noRetry or fatal. */
export function isNoRetry(err: unknown): boolean {
  return err instanceof FsError && (err.retry === 'noRetry' || err.retry === 'fatal' || err.kind === 'usage' || err.kind === 'config');
}

export function isFatal(err: unknown): boolean {
  return err instanceof FsError && err.retry === 'fatal';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
