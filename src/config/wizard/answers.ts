import { parseOptionValue, type OptionDef, type OptionExample } from '../../fs/options.js';
import { obscure } from '../../lib/obscure.js';
import { ValueError } from '../../lib/units.js';

/** A checked answer: value undefined means "leave it as it is" (blank answer), '' means "unset". */
export type Parsed = { ok: true; value: string | undefined } | { ok: false; error: string };

/** The option's default as a person would type it. */
export function defaultText(opt: OptionDef): string {
  return String(opt.default);
}

/**
 * Turns what was typed at an option's prompt into the value to store: a number picks from
 * the numbered examples, an example's value is matched without regard to case, anything
 * else is taken as typed, and every value is checked against the option's type.
 */
export function parseAnswer(opt: OptionDef, examples: OptionExample[], text: string): Parsed {
  const typed = text.trim();
  if (typed === '') return { ok: true, value: undefined };
  if (/[\r\n]/.test(typed)) return { ok: false, error: `${opt.name}: a config value is one line: type it without line breaks` };
  let value = typed;
  const n = /^\d+$/.test(typed) ? Number(typed) : 0;
  if (n >= 1 && n <= examples.length) value = examples[n - 1]!.value;
  else value = examples.find((e) => e.value.toLowerCase() === typed.toLowerCase())?.value ?? typed;
  if (value === '') return { ok: true, value: '' };
  try {
    const parsed = parseOptionValue(opt, value);
    // Booleans are written the one way rclone writes them; enums in their declared spelling.
    if (opt.type === 'bool' || opt.type === 'enum') value = String(parsed);
  } catch (err) {
    return { ok: false, error: err instanceof ValueError ? err.message : String(err) };
  }
  return { ok: true, value };
}

/** Whether a value means the same as the option's default (so it need not be written). */
export function isDefault(opt: OptionDef, value: string): boolean {
  if (value === '' && opt.type !== 'string') return true;
  if (opt.type === 'string') return value === defaultText(opt);
  try {
    return parseOptionValue(opt, value) === parseOptionValue(opt, defaultText(opt));
  } catch {
    return false;
  }
}

/**
 * The values with one answer applied: only values that differ from the default are kept.
 * A password option is kept obscured from here on, as the file will have it, so a value
 * kept from the file and a new one are alike (the only impure step: a random IV).
 */
export function store(values: Record<string, string>, opt: OptionDef, value: string | undefined): Record<string, string> {
  if (value === undefined) return values;
  const next = { ...values };
  if (isDefault(opt, value)) delete next[opt.name];
  else next[opt.name] = opt.obscured ? obscure(value) : value;
  return next;
}

/** y/yes/n/no (any case); blank is the default. */
export function parseYes(text: string, dflt: boolean): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return dflt;
  if (['y', 'yes', 'true'].includes(t)) return true;
  if (['n', 'no', 'false'].includes(t)) return false;
  return undefined;
}
