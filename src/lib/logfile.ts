import { closeSync, fstatSync, openSync, renameSync, statSync, writeSync, type Stats } from 'node:fs';

/**
 * The --log-file: opened for appending (as rclone does, so a cron job's runs add up in one
 * file), created with mode 0600. With a maximum size, a line that would take the file past
 * it first moves the file to FILE.1 (replacing the previous FILE.1) and starts a new one:
 * at most two files, a plain name for each, and no line is ever split between them.
 *
 * Writes are synchronous: a line logged just before the process exits must be in the file.
 *
 * Another process may write the same file (a run refused by --lock-file, a second job with
 * the same --log-file): with a maximum size, each line is measured against the file's real
 * size, and a file another process has moved to FILE.1 is followed to the new FILE rather
 * than written on. Two processes that reach the size within the same few microseconds can
 * still both rotate, and the older lines of FILE.1 are then lost.
 */
export class LogFile {
  private fd: number;
  /** The file the descriptor is open on, to notice that FILE has been moved away. */
  private id: string;
  /** Set once rotating failed, so the failure is reported once and writing goes on. */
  private rotateFailed = false;
  /** Set once a write failed (disk full): lines go to the caller's other output from then on. */
  private failed = false;

  constructor(
    readonly path: string,
    /** Bytes; 0 or less: never rotate. */
    private readonly maxSize = -1,
    /** Told, once each, why the file stopped rotating or taking lines (one line, no newline). */
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.fd = openSync(path, 'a', 0o600);
    this.id = fileId(fstatSync(this.fd));
  }

  /**
   * Appends the text. False when the file can't take it (disk full, I/O error): the caller
   * writes it elsewhere, so that a line is never lost because the log file failed.
   */
  write(text: string): boolean {
    if (this.failed) return false;
    const data = Buffer.from(text);
    if (this.maxSize > 0 && !this.rotateFailed) this.rotateFor(data.length);
    try {
      for (let done = 0; done < data.length; ) done += writeSync(this.fd, data, done);
      return true;
    } catch (err) {
      this.failed = true;
      this.warn(`can't write --log-file ${this.path}: ${(err instanceof Error ? err.message : String(err))}; logging to standard error from now on`);
      return false;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Rotates before a line of `bytes` that would take FILE past the maximum size. */
  private rotateFor(bytes: number): void {
    try {
      if (!this.current()) this.reopen();
      const size = fstatSync(this.fd).size;
      if (size > 0 && size + bytes > this.maxSize && this.current()) {
        // Renamed while open: this descriptor still points at what is now FILE.1.
        renameSync(this.path, `${this.path}.1`);
        this.reopen();
      }
    } catch (err) {
      this.rotateFailed = true;
      this.warn(`can't rotate --log-file ${this.path}: ${(err instanceof Error ? err.message : String(err))}; writing on without rotating`);
    }
  }

  /** Whether FILE is still the file this descriptor writes (not moved away by another process's rotation). */
  private current(): boolean {
    const st = statSync(this.path, { throwIfNoEntry: false });
    return st !== undefined && fileId(st) === this.id;
  }

  private reopen(): void {
    const fd = openSync(this.path, 'a', 0o600);
    closeSync(this.fd);
    this.fd = fd;
    this.id = fileId(fstatSync(fd));
  }
}

function fileId(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}
