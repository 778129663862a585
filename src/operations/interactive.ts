import { escapeControls } from '../lib/escape.js';
import * as nfs from 'node:fs';
import * as readline from 'node:readline';
import * as tty from 'node:tty';
import { fsError } from '../fs/errors.js';
import { logNotice } from '../lib/log.js';

/**
 * Where -i/--interactive asks its questions and reads the answers: the terminal in real
 * runs, a scripted list of lines in tests.
 */
export interface LineSource {
  /** Shows text to the person answering (no newline added). */
  write(text: string): void;
  /** The next line typed, without its line end; undefined at the end of input (Ctrl-D) or when signal fires. */
  readLine(signal?: AbortSignal): Promise<string | undefined>;
  /** Releases the terminal so the process can exit. */
  close(): void;
}

/** What -i asks before a destructive action; true means skip the action. */
export interface DestructiveGate {
  skip(subject: string, action: string, signal?: AbortSignal): Promise<boolean>;
}

/**
 * rclone's --interactive: before each destructive action, asks
 * y) Yes, this is OK / n) No, skip this / s) Skip all <action> operations /
 * !) Do all <action> operations / q) Exit now. Questions are asked one at a time however
 * many transfers and checkers run; s and ! are remembered per action for the rest of the run.
 */
export class Interactive implements DestructiveGate {
  /** The question being asked now: the next one waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Per action, the answer given with s (skip: true) or ! (skip: false). */
  private readonly always = new Map<string, boolean>();
  private quitting = false;

  constructor(
    private readonly io: LineSource,
    /** Called once on q (or at the end of input): stops the run. */
    private readonly quit: () => void,
  ) {}

  skip(subject: string, action: string, signal?: AbortSignal): Promise<boolean> {
    const turn = this.queue.then(() => this.decide(subject, action, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async decide(subject: string, action: string, signal?: AbortSignal): Promise<boolean> {
    if (this.quitting || signal?.aborted) return true;
    const remembered = this.always.get(action);
    if (remembered !== undefined) return remembered;
    this.io.write(
      // A name from a listing may hold terminal escapes that would redraw the question.
      `\nnclone: ${action} "${escapeControls(subject)}"?\n` +
        'y) Yes, this is OK (default)\n' +
        'n) No, skip this\n' +
        `s) Skip all ${action} operations with no more questions\n` +
        `!) Do all ${action} operations with no more questions\n` +
        'q) Exit nclone now.\n',
    );
    for (;;) {
      this.io.write('y/n/s/!/q> ');
      const line = await this.io.readLine(signal);
      if (signal?.aborted) return true;
      if (line === undefined) {
        this.io.write('\n');
        return this.stop('no more answers (end of input): quitting nclone now');
      }
      switch (line.trim().toLowerCase()) {
        case '':
        case 'y':
          return false;
        case 'n':
          return true;
        case 's':
          this.always.set(action, true);
          logNotice(undefined, `Skipping all ${action} operations from now on without asking`);
          return true;
        case '!':
          this.always.set(action, false);
          logNotice(undefined, `Doing all ${action} operations from now on without asking`);
          return false;
        case 'q':
          return this.stop('Quitting nclone now');
        default:
          this.io.write(`"${line.trim()}" is not one of the choices: type y, n, s, ! or q, then Enter\n`);
      }
    }
  }

  private stop(message: string): boolean {
    this.quitting = true;
    logNotice(undefined, message);
    this.quit();
    return true;
  }
}

/** The error a run stopped with q at an --interactive question ends with. */
export function quitError(): Error {
  return fsError('other', 'stopped at the --interactive question (q): nothing more was done', { retry: 'fatal' });
}

/** Lines from a readable stream (a terminal), one readLine() at a time. */
export class StreamLineSource implements LineSource {
  private readonly rl: readline.Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    /** Releases what this source opened (the /dev/tty streams). */
    private readonly release: () => void = () => input.pause(),
  ) {
    this.rl = readline.createInterface({ input, terminal: false });
    this.rl.on('line', (line) => {
      if (this.waiting) this.resolve(line);
      else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      this.resolve(undefined);
    });
    // Only read while a question waits for its answer: typing ahead is kept by the terminal.
    this.rl.pause();
  }

  private resolve(line: string | undefined): void {
    const w = this.waiting;
    this.waiting = undefined;
    this.rl.pause();
    w?.(line);
  }

  write(text: string): void {
    this.output.write(text);
  }

  readLine(signal?: AbortSignal): Promise<string | undefined> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => this.resolve(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting = (line) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(line);
      };
      this.rl.resume();
    });
  }

  close(): void {
    this.resolve(undefined);
    this.rl.close();
    this.release();
  }
}

/** Scripted answers, for tests: each readLine() takes the next one; undefined after the last. */
export class ScriptedLineSource implements LineSource {
  readonly written: string[] = [];
  constructor(private readonly answers: string[]) {}
  write(text: string): void {
    this.written.push(text);
  }
  async readLine(): Promise<string | undefined> {
    return this.answers.shift();
  }
  close(): void {}
}

/**
 * The terminal to ask on: /dev/tty (so answers come from the person even when stdin is
 * redirected), else stdin and stderr when stdin is a terminal. Without a terminal -i is a
 * usage error: there is nobody to answer.
 */
export function openTerminal(): LineSource {
  const fds: number[] = [];
  try {
    // One descriptor per stream: each stream closes its own.
    fds.push(nfs.openSync('/dev/tty', 'r'), nfs.openSync('/dev/tty', 'w'));
    if (fds.every((fd) => tty.isatty(fd))) {
      const input = new tty.ReadStream(fds[0]!);
      const output = new tty.WriteStream(fds[1]!);
      return new StreamLineSource(input, output, () => {
        input.destroy();
        output.end();
      });
    }
  } catch {
    // No controlling terminal (a cron job, a service): fall through.
  }
  for (const fd of fds) nfs.closeSync(fd);
  if (process.stdin.isTTY) return new StreamLineSource(process.stdin, process.stderr);
  throw fsError('usage', '--interactive needs a terminal to ask its questions on, and there is none: run it from a terminal, or use --dry-run to see what would be done');
}
