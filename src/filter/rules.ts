/**
 * Ordered include/exclude rule lists (first match wins) and the reading of
 * rule files for the --*-from flags.
 */
import { readFile } from 'node:fs/promises';
import { fsError } from '../fs/errors.js';
import type { GlobMatcher } from './glob.js';

export interface Rule {
  readonly include: boolean;
  /** The rclone glob the rule came from (for messages and de-duplication). */
  readonly glob: string;
  readonly match: GlobMatcher;
}

export class RuleList {
  private rules: Rule[] = [];
  private seen = new Set<string>();

  get length(): number {
    return this.rules.length;
  }

  /** Adds a rule unless an identical one is already present (it could never decide anything). */
  add(include: boolean, glob: string, match: GlobMatcher): void {
    const key = `${include ? '+' : '-'} ${glob}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.rules.push({ include, glob, match });
  }

  clear(): void {
    this.rules = [];
    this.seen.clear();
  }

  /** The verdict of the first matching rule; true when none matches. */
  include(subject: string): boolean {
    for (const rule of this.rules) {
      if (rule.match(subject)) return rule.include;
    }
    return true;
  }

  list(): readonly Rule[] {
    return this.rules;
  }
}

/** A parsed `+ glob` / `- glob` / `!` line. */
export type ParsedRule = { kind: 'add'; include: boolean; glob: string } | { kind: 'clear' };

/** Parses one --filter rule; undefined when it is malformed. */
export function parseRule(text: string): ParsedRule | undefined {
  if (text === '!') return { kind: 'clear' };
  if (text.startsWith('+ ')) return { kind: 'add', include: true, glob: text.slice(2) };
  if (text.startsWith('- ')) return { kind: 'add', include: false, glob: text.slice(2) };
  return undefined;
}

export interface SourceLine {
  text: string;
  /** 1-based line number in the file. */
  line: number;
}

/**
 * Reads the useful lines of a rule or file list: each line is trimmed, and
 * blank lines and lines starting with '#' or ';' are skipped.
 */
export async function readListFile(flag: string, file: string): Promise<SourceLine[]> {
  if (file === '-') {
    throw fsError('usage', `${flag} -: reading from standard input is not supported, give the path of a file instead`);
  }
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw fsError('usage', `${flag} ${JSON.stringify(file)}: cannot read the file (${reason}): check the path and permissions`, { cause: err });
  }
  const out: SourceLine[] = [];
  content.split('\n').forEach((raw, index) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#') || text.startsWith(';')) return;
    out.push({ text, line: index + 1 });
  });
  return out;
}
