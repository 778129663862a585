import type { BackendDef } from '../fs/registry.js';
import { appliesToProvider, type OptionDef } from '../fs/options.js';

/**
 * Whether an option's examples name every value the backend knows (provider, acl,
 * storage_class...) rather than suggest a few (regions, endpoints). Derived from the
 * table: a vocabulary has examples that hold for every provider, while suggestions are
 * each tied to a provider. Values outside a vocabulary are still accepted (a provider
 * may know more than the table), but are most likely typos.
 */
export function isEnumeration(opt: OptionDef): boolean {
  return opt.type === 'string' && (opt.examples ?? []).some((e) => e.provider === undefined && e.value !== '');
}

/**
 * One warning per value that is not among an enumeration's examples, naming the nearest
 * one. `values` are the remote's values after the edit (its provider picks the examples).
 */
export function unknownValueWarnings(def: BackendDef, pairs: [string, string][], values: Record<string, string>): string[] {
  const provider = values.provider || 'Other';
  const out: string[] = [];
  for (const [key, value] of pairs) {
    const opt = def.options.find((o) => o.name === key);
    if (!opt || value === '' || !isEnumeration(opt) || !appliesToProvider(opt.provider, provider)) continue;
    const all = opt.examples!.map((e) => e.value).filter((v) => v !== '');
    if (all.includes(value)) continue;
    const fitting = opt.examples!.filter((e) => e.value !== '' && appliesToProvider(e.provider, provider)).map((e) => e.value);
    const near = nearest(value, fitting.length ? fitting : all);
    const hint = near ? `did you mean ${near}?` : `known values: ${(fitting.length ? fitting : all).join(', ')}`;
    out.push(`${key} = ${JSON.stringify(value)} is not a known ${key} value (kept as given): ${hint}`);
  }
  return out;
}

/** The candidate closest to `typed` ignoring case, if it is close enough to be a typo of it. */
function nearest(typed: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = distance(typed.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return bestDist <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions each cost one. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
