import cliProgress, { type GenericBar, type MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import { clip, headText, knownTotal, titleText, transferText, type ProgressStats } from './progress-lines.js';
import type { Stats, Transfer } from './stats.js';

// A CommonJS module whose nested exports Node cannot import by name.
const { Format, MultiBar: MultiBarClass } = cliProgress;

const ESC = '\x1b[';
const BAR_WIDTH = 24;
/** The width plain lines are cut to by cli-progress (a pipe or a file has none: nothing is cut). */
const PLAIN_WIDTH = 1_000_000;

export interface ProgressOptions {
  /** --progress-terminal-title: the percentage and ETA in the terminal's title as well. */
  title?: boolean;
  /** How often the plain lines are written when the stream is not a terminal. */
  plainEveryMs?: number;
}

/** What a line of the display shows: a running transfer, nothing (a line that could not be removed), or (neither) the totals. */
interface Row {
  transfer?: Transfer;
  blank?: boolean;
}

/** The display drawn now, if any: its cursor is hidden until it stops. */
let shown: Progress | undefined;

/**
 * For an exit that skips the display's stop() (a second Ctrl-C quits at once): writes the
 * lines still held, shows the cursor again below the last frame, so the shell's prompt is
 * not left without one. Synchronous (stderr on a terminal is written synchronously), so it
 * lands before the exit.
 */
export function restoreTerminal(): void {
  shown?.abandon();
}

/**
 * What cli-progress writes to: held, and written to the real stream in one piece when a
 * frame is complete, so that a frame is never seen half drawn and costs one write.
 */
class FrameWriter {
  private held = '';

  constructor(private readonly out: NodeJS.WriteStream) {}

  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  get columns(): number {
    return this.out.isTTY ? this.out.columns || 80 : PLAIN_WIDTH;
  }

  write(chunk: string): boolean {
    this.held += chunk;
    return true;
  }

  flush(): void {
    if (this.held === '') return;
    const text = this.held;
    this.held = '';
    this.out.write(text);
  }
}

/**
 * The -P display, drawn by cli-progress: a bar with bytes, rate, ETA and the counts, and
 * one line per running transfer (at most `slots`). It only reads the stats.
 *
 * In a terminal it is redrawn at the bottom a few times a second. Log lines given to log()
 * are held until the next frame, which writes them above the display, whole (autowrap is on
 * for them, off for the display's lines, which are cut to the width instead) and in order;
 * stop() and abandon() write the ones still held before the last frame. Anywhere else (a
 * pipe, a file) the same lines are written as plain text every `plainEveryMs`, log lines
 * between them as they come.
 */
export class Progress {
  private bars: MultiBar | undefined;
  private head: SingleBar | undefined;
  /** The transfer lines, in the order cli-progress draws them, below the head. */
  private readonly rows: SingleBar[] = [];
  private readonly frames: FrameWriter;
  private readonly tty: boolean;
  /** The title last written; '' when none was. */
  private title = '';

  constructor(
    private readonly stats: Stats,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly slots = 4,
    private readonly options: ProgressOptions = {},
  ) {
    this.frames = new FrameWriter(stream);
    this.tty = stream.isTTY === true;
  }

  /** Draws the first frame now, and then one every `intervalMs` in a terminal. */
  start(intervalMs = 250): void {
    if (this.bars) return;
    const bars = new MultiBarClass({
      stream: this.frames as unknown as NodeJS.WritableStream,
      fps: 1000 / intervalMs,
      noTTYOutput: true,
      notTTYSchedule: this.options.plainEveryMs ?? 1000,
      hideCursor: true,
      // Off while the display is drawn; log lines turn it back on for themselves (below).
      linewrap: false,
      // Every frame starts by erasing the last one (below), so every line is drawn again.
      forceRedraw: true,
      emptyOnZero: true,
      // The runner handles the signals: the first one stops the transfers, not the display.
      gracefulExit: false,
      barsize: BAR_WIDTH,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      format: (options: Options, params: Params, row: Row) => {
        try {
          return this.line(options, params, row);
        } catch {
          return ''; // as for sync() below
        }
      },
    });
    this.bars = bars;
    // A throw in sync() or line() would come out of cli-progress's timer and end the
    // process: the display is not worth a run. The frame is drawn from the values set
    // before, or a line is left blank, and the next frame tries again.
    bars.on('update-pre', () => {
      try {
        this.sync();
      } catch {
        // See above.
      }
    });
    if (this.tty) {
      // The cursor is at the top of the last frame. cli-progress would erase only its first
      // line before the held log lines, so a short log line would keep the end of a display
      // line, and a frame with fewer transfers would leave the last ones below it.
      bars.on('redraw-pre', () => this.frames.write(`${ESC}J${ESC}?7h`));
      bars.on('redraw-post', () => this.writeTitle());
      // stop() turned autowrap on before drawing the last frame, which the head turned off.
      bars.on('stop', () => this.frames.write(`${ESC}?7h`));
    }
    bars.on('update-post', () => this.frames.flush());
    bars.on('stop', () => this.frames.flush());
    const head = bars.create(0, 0, {} satisfies Row);
    // The head is drawn first in every frame: from there to the frame's end autowrap is off.
    if (this.tty) head.on('redraw-pre', () => this.frames.write(`${ESC}?7l`));
    this.head = head;
    shown = this;
    bars.update();
  }

  /** Writes log text (whole lines) above the display. */
  log(text: string): void {
    if (!this.bars || !this.tty) {
      this.stream.write(text);
      return;
    }
    this.bars.log(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Draws a frame now from the current stats, with the log lines held until now. */
  render(): void {
    this.bars?.update();
  }

  /** Writes the log lines still held and the last frame, which stays on the screen, the cursor below it. */
  stop(): void {
    const bars = this.bars;
    if (!bars) return;
    // cli-progress's stop() draws the bars again but drops the log lines it holds.
    if (this.tty) bars.update();
    else this.sync();
    if (this.title !== '') {
      this.frames.write('\x1b]0;\x07');
      this.title = '';
    }
    bars.stop();
    this.bars = undefined;
    if (shown === this) shown = undefined;
  }

  /**
   * The same as stop(), for a process about to exit (a second Ctrl-C): nothing logged is
   * lost, and the cursor is shown again.
   */
  abandon(): void {
    this.stop();
  }

  /** Sets the bars' values and the transfer lines from the stats, before each frame. */
  private sync(): void {
    const bars = this.bars;
    const head = this.head;
    if (!bars || !head) return;
    head.setTotal(knownTotal(this.stats));
    head.update(this.stats.bytes);
    const running: Transfer[] = [];
    for (const t of this.stats.transferring.values()) {
      if (running.length >= this.slots) break;
      running.push(t);
    }
    while (this.rows.length < running.length) this.rows.push(bars.create(0, 0, {} satisfies Row));
    if (this.rows.length > running.length && cutLines(bars, this.rows.length + 1, 1 + running.length)) this.rows.length = running.length;
    this.rows.forEach((row, i) => row.update({ transfer: running[i], blank: running[i] === undefined } satisfies Row));
  }

  /** cli-progress's format function: the text of one line, cut to the terminal's width. */
  private line(options: Options, params: Params, row: Row): string {
    if (row.blank === true) return '';
    const now = Date.now();
    if (row.transfer) {
      const text = transferText(row.transfer, this.stats.rateUnit, now);
      return this.tty ? clip(text, this.width(params)) : text;
    }
    const text = headText(this.stats as ProgressStats, now);
    if (!this.tty) return text;
    // The bar only where the numbers fit beside it: they matter more.
    const width = this.width(params);
    if (params.total > 0 && BAR_WIDTH + 1 + text.length <= width) return `${Format.BarFormat(params.progress, options)} ${text}`;
    return clip(text, width);
  }

  /** The last column is left empty: a character there leaves some terminals' cursor in the next line. */
  private width(params: Params): number {
    return Math.max(20, params.maxWidth - 1);
  }

  private writeTitle(): void {
    if (this.options.title !== true) return;
    const title = titleText(this.stats as ProgressStats);
    if (title === this.title) return;
    this.frames.write(`\x1b]0;${title}\x07`);
    this.title = title;
  }
}

/**
 * Takes the display's lines from `keep` on out of the frame about to be drawn. remove()
 * would draw a frame for each line removed, so they are cut from cli-progress's own list
 * of lines, a field of its internals (it is pinned to 3.12.0). Should a version without
 * that list of `count` lines ever be installed, nothing is cut (false): the lines stay, blank.
 */
function cutLines(bars: MultiBar, count: number, keep: number): boolean {
  const list = (bars as unknown as { bars?: unknown }).bars;
  if (!Array.isArray(list) || list.length !== count) return false;
  (list as GenericBar[]).splice(keep);
  return true;
}
