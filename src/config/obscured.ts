/**
 * Password options (OptionDef.obscured) given to `config create` / `config update`: stored
 * obscured, as rclone 1.60 stores them, so either program reads the file.
 */
import type { BackendDef } from '../fs/registry.js';
import { fsError } from '../fs/errors.js';
import { obscure } from '../lib/obscure.js';

/**
 * auto: obscure a value unless it already reads as obscured (rclone's default);
 * force: obscure every value (--obscure); none: store the values as given (--no-obscure).
 */
export type ObscureMode = 'auto' | 'force' | 'none';

/**
 * commander reads --no-obscure as obscure = false, and the later of the two flags wins
 * (rclone refuses both together; the parse does not tell nclone they were both given).
 */
export function obscureModeOf(flags: Record<string, unknown>): ObscureMode {
  if (flags.obscure === true) return 'force';
  if (flags.obscure === false) return 'none';
  return 'auto';
}

/**
 * Whether rclone would take the value as already obscured: it decodes as unpadded
 * base64url (Go's decoder refuses a length of 4n+1) to at least the 16-byte IV. A long
 * password made only of those characters passes too; --obscure is for that case.
 */
export function looksObscured(value: string): boolean {
  return /^[A-Za-z0-9_-]*$/.test(value) && value.length % 4 !== 1 && value.length >= 22;
}

export const OBSCURE_FLAGS = [
  { spec: '--obscure', help: 'Obscure every password option given, even one that looks obscured already' },
  { spec: '--no-obscure', help: 'Store password options as given: they are obscured already (e.g. by "nclone obscure")' },
];

/** The pairs with every password option's value obscured as `mode` says; an empty value stays empty (unset). */
export function obscurePairs(def: BackendDef, pairs: [string, string][], mode: ObscureMode): [string, string][] {
  return pairs.map(([key, value]) => {
    const opt = def.options.find((o) => o.name === key);
    if (!opt?.obscured || value === '') return [key, value];
    if (mode === 'none') {
      // The backend reveals it when it connects: better refused now than a remote that fails later.
      if (!looksObscured(value)) throw fsError('usage', `option ${key}: the value is not obscured, so --no-obscure can't store it: drop --no-obscure, or obscure it with "nclone obscure"`);
      return [key, value];
    }
    if (mode === 'auto' && looksObscured(value)) return [key, value];
    return [key, obscure(value)];
  });
}
