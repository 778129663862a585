import { escapeControls } from '../lib/escape.js';
import { formatSize } from '../lib/units.js';
import { formatDuration, type Stats } from './stats.js';

const ESC = '\x1b[';
const BAR_WIDTH = 24;

/** The display drawn now, if any: its cursor is hidden until it stops. */
let shown: Progress | undefined;

/**
 * For an exit that skips the display's stop() (a second Ctrl-C quits at once): shows the
 * cursor again, below the last frame, so the shell's prompt is not left without one.
 * Synchronous (stderr on a terminal is written synchronously), so it lands before the exit.
 */
export function restoreTerminal(): void {
  shown?.abandon();
}

/**
 * The -P display: a bar with bytes, files, speed and ETA plus one line per running
 * transfer, drawn at the bottom of the terminal. It only reads the stats.
 *
 * Log lines go through log(): the display is erased, the line written in its place at
 * once (synchronously, so none is held back and none can be lost when the run ends), and
 * the display redrawn below after the burst of lines, not after each one.
 */
export class Progress {
  /** Lines of the display on the screen now; 0 when erased. */
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private redraw: NodeJS.Immediate | undefined;
  private active = false;

  constructor(
    private readonly stats: Stats,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly slots = 4,
  ) {}

  start(intervalMs = 500): void {
    this.active = true;
    shown = this;
    this.stream.write(`${ESC}?25l`);
    this.render();
    this.timer = setInterval(() => this.render(), intervalMs);
  }

  /** Writes log text (whole lines) above the display. */
  log(text: string): void {
    if (!this.active) {
      this.stream.write(text);
      return;
    }
    this.stream.write(this.erase() + text);
    this.redraw ??= setImmediate(() => {
      this.redraw = undefined;
      this.render();
    });
  }

  /** Draws the display from the current stats in place of the one shown. */
  render(): void {
    if (!this.active) return;
    const lines = this.frame();
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    // With autowrap off a line too wide (double-width characters) is clipped by the
    // terminal instead of wrapping, which would throw off the count of lines to erase.
    this.stream.write(`${this.erase()}${ESC}?7l${lines.map((l) => clip(l, width)).join('\n')}${ESC}?7h`);
    this.drawn = lines.length;
  }

  /** Leaves the last frame on the screen and the cursor below it. */
  stop(): void {
    if (!this.active) return;
    if (this.timer) clearInterval(this.timer);
    if (this.redraw) clearImmediate(this.redraw);
    this.redraw = undefined;
    this.render();
    this.active = false;
    this.drawn = 0;
    this.stream.write(`\n${ESC}?25h`);
    if (shown === this) shown = undefined;
  }

  /** Leaves the frame as it is (no redraw: the process is about to exit) and shows the cursor. */
  abandon(): void {
    if (!this.active) return;
    if (this.timer) clearInterval(this.timer);
    if (this.redraw) clearImmediate(this.redraw);
    this.active = false;
    this.drawn = 0;
    this.stream.write(`\n${ESC}?25h`);
    if (shown === this) shown = undefined;
  }

  /** The escape sequence that erases the display, leaving the cursor where it began. */
  private erase(): string {
    if (this.drawn === 0) return '';
    const up = this.drawn > 1 ? `${ESC}${this.drawn - 1}A` : '';
    this.drawn = 0;
    return `\r${up}${ESC}J`;
  }

  private frame(): string[] {
    const s = this.stats;
    // Totals only once something is known about them: "0 B / 1 B" would be made up.
    const total = Math.max(s.totalBytes, s.bytes);
    let head = formatSize(s.bytes);
    if (total > 0) {
      const pct = Math.floor((s.bytes * 100) / total);
      const fill = Math.round((pct * BAR_WIDTH) / 100);
      const eta = s.etaSeconds();
      head = `${'█'.repeat(fill)}${'░'.repeat(BAR_WIDTH - fill)} ${String(pct).padStart(3)}% | ${head} / ${formatSize(total)}, ${formatSize(Math.round(s.speed()))}/s, ETA ${eta === undefined ? '-' : formatDuration(eta * 1000)}`;
    }
    const counts = `files ${s.transfers}/${s.totalTransfers}, checks ${s.checks}/${s.totalChecks}${s.errors ? `, errors ${s.errors}` : ''}`;
    const running = [...s.transferring.values()].slice(0, this.slots);
    return [
      `${head} | ${counts}`,
      ...running.map((t) => ` * ${escapeControls(t.name)}: ${t.size > 0 ? Math.floor((t.bytes * 100) / t.size) : 0}% of ${formatSize(Math.max(t.size, 0))}`),
    ];
  }
}

/** The first `width` characters (code points, so no surrogate pair is split). */
function clip(line: string, width: number): string {
  const chars = Array.from(line);
  return chars.length > width ? chars.slice(0, width).join('') : line;
}
