/**
 * The rclone.conf format, read and edited line by line.
 *
 * Not the `ini` package: it drops comments (which `config update` must keep), turns
 * dotted section names into nested objects, and cuts values at `#` or `;` — while rclone
 * takes everything after `=` verbatim, so a secret containing `#` must survive as written.
 */

type Line =
  | { kind: 'section'; name: string; text: string }
  | { kind: 'value'; key: string; value: string; text: string }
  | { kind: 'other'; text: string }; // blank line or comment

export class ConfigSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export class ConfigDocument {
  private lines: Line[];
  /** The file's line ending, kept on writing: a file edited on Windows stays CRLF. */
  private readonly eol: string;

  private constructor(lines: Line[], eol = '\n') {
    this.lines = lines;
    this.eol = eol;
  }

  static parse(text: string): ConfigDocument {
    const lines: Line[] = [];
    const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
    raw.forEach((textLine, i) => {
      const t = textLine.trim();
      if (t === '' || t.startsWith('#') || t.startsWith(';')) {
        lines.push({ kind: 'other', text: textLine });
        return;
      }
      const section = /^\[(.*)\]$/.exec(t);
      if (section) {
        const name = section[1]!.trim();
        if (name === '') throw new ConfigSyntaxError(i + 1, 'empty section name "[]"');
        lines.push({ kind: 'section', name, text: textLine });
        return;
      }
      // Like rclone's reader: the key ends at the first '=' or ':', the value is the rest, verbatim.
      const eq = t.search(/[=:]/);
      if (eq <= 0) throw new ConfigSyntaxError(i + 1, `expected "key = value" or "[remote]", found "${truncate(t)}"`);
      lines.push({ kind: 'value', key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim(), text: textLine });
    });
    return new ConfigDocument(lines, /\r\n/.test(text) ? '\r\n' : '\n');
  }

  static empty(): ConfigDocument {
    return new ConfigDocument([]);
  }

  sections(): string[] {
    const names: string[] = [];
    for (const l of this.lines) if (l.kind === 'section' && !names.includes(l.name)) names.push(l.name);
    return names;
  }

  has(section: string): boolean {
    return this.lines.some((l) => l.kind === 'section' && l.name === section);
  }

  /** Keys and values of a section, in file order (later duplicates win). */
  get(section: string): Record<string, string> | undefined {
    let inside = false;
    let found = false;
    const out: Record<string, string> = {};
    for (const l of this.lines) {
      if (l.kind === 'section') {
        inside = l.name === section;
        found ||= inside;
      } else if (inside && l.kind === 'value') out[l.key] = l.value;
    }
    return found ? out : undefined;
  }

  /**
   * Sets a key, creating the section at the end if needed; other lines are kept as they are.
   * A section or key written more than once is edited where the value that counts (the last) is.
   */
  set(section: string, key: string, value: string): void {
    const ranges = this.ranges(section);
    const text = `${key} = ${value}`;
    if (ranges.length === 0) {
      if (this.lines.length > 0 && this.lines[this.lines.length - 1]!.text.trim() !== '') this.lines.push({ kind: 'other', text: '' });
      this.lines.push({ kind: 'section', name: section, text: `[${section}]` }, { kind: 'value', key, value, text });
      return;
    }
    for (const range of [...ranges].reverse()) {
      for (let i = range.end - 1; i > range.start; i--) {
        const l = this.lines[i]!;
        if (l.kind === 'value' && l.key === key) {
          this.lines[i] = { kind: 'value', key, value, text };
          return;
        }
      }
    }
    const range = ranges[ranges.length - 1]!;
    let at = this.ownEnd(range);
    while (at > range.start + 1 && this.lines[at - 1]!.kind === 'other' && this.lines[at - 1]!.text.trim() === '') at--;
    this.lines.splice(at, 0, { kind: 'value', key, value, text });
  }

  deleteKey(section: string, key: string): void {
    const inside = new Set<number>();
    for (const r of this.ranges(section)) for (let i = r.start + 1; i < r.end; i++) inside.add(i);
    this.lines = this.lines.filter((l, i) => !(inside.has(i) && l.kind === 'value' && l.key === key));
  }

  /** Removes the section, every copy of it when it is written more than once. */
  deleteSection(section: string): void {
    for (const range of this.ranges(section).reverse()) this.lines.splice(range.start, this.ownEnd(range) - range.start);
  }

  toString(): string {
    return this.lines.map((l) => l.text).join(this.eol) + (this.lines.length ? this.eol : '');
  }

  /**
   * Where a section's own lines end: comment lines right above the next section's header
   * describe that section, so they are neither deleted with this one nor written after.
   */
  private ownEnd(range: { start: number; end: number }): number {
    if (range.end >= this.lines.length) return range.end;
    let end = range.end;
    while (end > range.start + 1 && this.lines[end - 1]!.kind === 'other' && this.lines[end - 1]!.text.trim() !== '') end--;
    return end;
  }

  /** Every [section] block with that name, in file order: from its header to the next header. */
  private ranges(section: string): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    for (let start = 0; start < this.lines.length; start++) {
      const l = this.lines[start]!;
      if (l.kind !== 'section' || l.name !== section) continue;
      let end = start + 1;
      while (end < this.lines.length && this.lines[end]!.kind !== 'section') end++;
      out.push({ start, end });
    }
    return out;
  }
}

function truncate(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '...' : s;
}
