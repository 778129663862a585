import type { TpsLimiter } from '../lib/pacer.js';

/**
 * The global flags every backend's connections obey (the part of rclone's ConfigInfo that
 * backends read): handed to each backend's newFs.
 */
export interface BackendGlobals {
  /** Attempts per request in all (--low-level-retries). */
  lowLevelRetries: number;
  /** --tpslimit, shared by every remote of the run; undefined when off. */
  tps?: TpsLimiter;
  /** --timeout: a connection silent this long (ms) is dropped and the request retried; 0 is off. */
  timeoutMs: number;
  /** --contimeout: connecting may take this long (ms); 0 is off. */
  conTimeoutMs: number;
  /** --no-check-certificate. */
  noCheckCertificate: boolean;
  /** --ca-cert: PEM files whose certificates are trusted (in place of the system's). */
  caCert: string[];
  /** --transfers + --checkers: how many requests the run may have going at once, for backends that keep a connection per request (sftp). */
  parallel: number;
  /** Asks the person at the terminal for a password (not echoed); undefined when nobody can be asked (no terminal, cron). */
  askPassword?: (message: string) => Promise<string>;
}

export const DEFAULT_GLOBALS: BackendGlobals = {
  lowLevelRetries: 10,
  timeoutMs: 5 * 60_000,
  conTimeoutMs: 60_000,
  noCheckCertificate: false,
  caCert: [],
  parallel: 12,
};
