import cliProgress from 'cli-progress';
import { formatSize } from '../lib/units.js';
import { formatDuration, type Stats } from './stats.js';

/**
 * The -P display: a bar with bytes, files, speed and ETA plus one line per running
 * transfer. It only reads the stats.
 */
export class Progress {
  private readonly bars: cliProgress.MultiBar;
  private readonly total: cliProgress.SingleBar;
  private readonly lines: cliProgress.SingleBar[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stats: Stats,
    stream: NodeJS.WriteStream = process.stderr,
    private readonly slots = 4,
  ) {
    this.bars = new cliProgress.MultiBar(
      { stream, format: '{bar} {percentage}% | {text}', hideCursor: true, clearOnComplete: false, autopadding: true, barsize: 24 },
      cliProgress.Presets.shades_classic,
    );
    this.total = this.bars.create(1, 0, { text: '' });
    for (let i = 0; i < slots; i++) this.lines.push(this.bars.create(1, 0, { text: '' }, { format: ' {text}' }));
  }

  start(intervalMs = 500): void {
    this.render();
    this.timer = setInterval(() => this.render(), intervalMs);
  }

  /** Writes a log line above the bars without breaking them. */
  log(line: string): void {
    this.bars.log(line);
  }

  render(): void {
    const s = this.stats;
    const total = Math.max(s.totalBytes, s.bytes, 1);
    const eta = s.etaSeconds();
    this.total.setTotal(total);
    this.total.update(s.bytes, {
      text: `${formatSize(s.bytes)} / ${formatSize(total)}, ${formatSize(Math.round(s.speed()))}/s, ETA ${eta === undefined ? '-' : formatDuration(eta * 1000)} | files ${s.transfers}/${s.totalTransfers}, checks ${s.checks}/${s.totalChecks}${s.errors ? `, errors ${s.errors}` : ''}`,
    });
    const running = [...s.transferring.values()].slice(0, this.slots);
    this.lines.forEach((bar, i) => {
      const t = running[i];
      bar.update(0, { text: t ? `* ${t.name}: ${t.size > 0 ? Math.floor((t.bytes * 100) / t.size) : 0}% of ${formatSize(Math.max(t.size, 0))}` : '' });
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.render();
    this.bars.stop();
  }
}
