import { parseBool, parseDuration, parseSize, ValueError } from '../lib/units.js';

export type OptionType = 'string' | 'bool' | 'int' | 'size' | 'duration' | 'enum';

export interface OptionExample {
  value: string;
  help: string;
  /** Provider filter, same syntax as OptionDef.provider. */
  provider?: string;
}

/**
 * One backend option, declared once. This table drives the config file, the wizard,
 * the --<backend>-<name> flags, NCLONE_<BACKEND>_<NAME> variables, docs and redaction.
 */
export interface OptionDef {
  name: string;
  help: string;
  type: OptionType;
  default: string | number | boolean;
  examples?: OptionExample[];
  /** For 'enum': the only values accepted. */
  choices?: string[];
  advanced?: boolean;
  /** Never printed in full in logs, errors, dumps or `config show`. */
  secret?: boolean;
  /**
   * An rclone password option: stored obscured in the config file (src/lib/obscure.ts), so
   * rclone reads the same file; the backend reveals it. Implies secret.
   */
  obscured?: boolean;
  required?: boolean;
  /**
   * Providers the option applies to: "AWS,Ceph" lists them, "!AWS,GCS" excludes them,
   * undefined applies to all.
   */
  provider?: string;
  /** Also offered as this global flag (rclone's --links/-l is the local backend's "links" option). */
  flag?: { name: string; short?: string };
}

export type OptionValue = string | number | boolean;

export function appliesToProvider(filter: string | undefined, provider: string | undefined): boolean {
  if (!filter) return true;
  const negate = filter.startsWith('!');
  const names = (negate ? filter.slice(1) : filter).split(',').map((s) => s.trim());
  const hit = provider !== undefined && names.includes(provider);
  return negate ? !hit : hit;
}

/** Converts config text to the option's type; throws ValueError naming the option. */
export function parseOptionValue(def: OptionDef, text: string): OptionValue {
  try {
    switch (def.type) {
      case 'string':
        return text;
      case 'bool':
        return parseBool(text);
      case 'int': {
        if (!/^-?\d+$/.test(text.trim())) throw new ValueError(`"${text}" is not a whole number`);
        return Number(text.trim());
      }
      case 'size':
        return parseSize(text);
      case 'duration':
        return parseDuration(text);
      case 'enum': {
        const hit = def.choices?.find((c) => c.toLowerCase() === text.trim().toLowerCase());
        if (hit === undefined) throw new ValueError(`"${text}" is not one of ${def.choices?.join(', ')}`);
        return hit;
      }
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ValueError(`option ${def.name}: ${why}`);
  }
}

/** Flag and environment names derived from an option name. */
export function flagName(backend: string, option: string): string {
  return `--${backend}-${option.replace(/_/g, '-')}`;
}

export function envName(backend: string, option: string): string {
  return `NCLONE_${backend}_${option}`.toUpperCase().replace(/-/g, '_');
}

/**
 * Whether an option nclone does not know (another rclone backend's, or one not implemented)
 * is named like a secret: password, password2, token, client_secret, sse_customer_key...
 */
export function looksSecret(name: string): boolean {
  return /pass|secret|token|credential|key|sas_url|cookie/i.test(name);
}

/** Whether the option's value is kept out of logs, errors and `config show` (obscured ones too). */
export function isSecret(opt: OptionDef): boolean {
  return Boolean(opt.secret || opt.obscured);
}

export function redact(value: string): string {
  return value === '' ? '' : '*** REDACTED ***';
}
