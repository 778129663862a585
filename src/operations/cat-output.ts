import { errorMessage, fsError } from '../fs/errors.js';
import type { CatOutput } from './cat.js';

/**
 * Raw bytes to a stream (stdout), waiting while its reader is slow. A reader that goes away
 * (`nclone cat remote:big | head`, EPIPE) ends the output quietly; any other write error
 * (a full disk under `> file`) is kept for failure() to report.
 */
export class StreamOutput implements CatOutput {
  private closed = false;
  private error: unknown;
  private readonly onError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') this.closed = true;
    else this.error ??= err;
  };

  constructor(private readonly stream: NodeJS.WritableStream & { destroyed?: boolean }) {
    stream.on('error', this.onError);
  }

  async write(chunk: Buffer): Promise<boolean> {
    if (!this.open()) return false;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done).off('close', done).off('error', done);
          resolve();
        };
        this.stream.on('drain', done).on('close', done).on('error', done);
      });
    }
    return this.open();
  }

  /**
   * Once everything is written: lets the last write's error arrive (it comes a tick later)
   * and returns the error that stopped the output, undefined when none did (EPIPE is none).
   */
  async finish(): Promise<Error | undefined> {
    await new Promise((resolve) => setImmediate(resolve));
    this.stream.off('error', this.onError);
    if (this.error === undefined) return undefined;
    return fsError('other', `can't write to standard output: ${errorMessage(this.error)}`);
  }

  private open(): boolean {
    if (this.stream.destroyed) this.closed = true;
    return !this.closed && this.error === undefined;
  }
}

/** --discard: every byte is read and dropped. */
export const DISCARD: CatOutput = { write: async () => true };
