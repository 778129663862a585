import type { BackendDef, Registry } from '../fs/registry.js';
import { fsError } from '../fs/errors.js';
import { isSecret, looksSecret, parseOptionValue, redact } from '../fs/options.js';
import { isValidRemoteName } from '../fs/path.js';
import { ValueError } from '../lib/units.js';
import type { ConfigDocument } from './document.js';
import { loadConfig, saveConfig, withConfigLock, type LoadedConfig, type PasswordSource } from './store.js';

/** Checks a new remote's name as rclone does, with the reason when it is refused. */
export function checkRemoteName(name: string): void {
  if (!isValidRemoteName(name)) {
    throw fsError('usage', `invalid remote name "${name}": use letters, digits, "_", "-", ".", "+", "@" and inner spaces, not starting with "-" or a space`);
  }
}

/** "key=value" and rclone's older "key value" pairs, in order. */
export function parseKeyValues(args: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    if (eq > 0) out.push([a.slice(0, eq), a.slice(eq + 1)]);
    else if (i + 1 < args.length) out.push([a, args[++i]!]);
    else throw fsError('usage', `option "${a}" has no value: write ${a}=VALUE`);
  }
  return out.map(([k, v]) => [k.trim().replace(/-/g, '_'), v]);
}

/** Validates keys and values against the backend's option table; a bad one is a usage error naming it. */
export function checkOptions(def: BackendDef, pairs: [string, string][]): void {
  for (const [key, value] of pairs) {
    const opt = def.options.find((o) => o.name === key);
    if (!opt) throw fsError('usage', `unknown option "${key}" for a ${def.name} remote: valid options are ${def.options.map((o) => o.name).join(', ')}`);
    // A line break would end the value's line in the file and start another (a new [section]).
    if (/[\r\n]/.test(value)) throw fsError('usage', `option ${key}: the value has a line break: config values are one line`);
    if (value === '' && opt.type !== 'string') continue;
    try {
      parseOptionValue(opt, value);
    } catch (err) {
      throw fsError('usage', err instanceof ValueError ? err.message : String(err));
    }
  }
}

export function backendOf(registry: Registry, type: string): BackendDef {
  const def = registry.get(type);
  if (!def) throw fsError('usage', `unknown remote type "${type}": use one of ${registry.all().map((d) => d.name).join(', ')}`);
  return def;
}

/** A section's values with every secret option replaced, for display. */
export function redactValues(registry: Registry, values: Record<string, string>): Record<string, string> {
  const def = values.type ? registry.get(values.type) : undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k === 'type') {
      out[k] = v;
      continue;
    }
    const opt = def?.options.find((o) => o.name === k);
    out[k] = (opt ? isSecret(opt) : looksSecret(k)) ? redact(v) : v;
  }
  return out;
}

export function sectionText(name: string, values: Record<string, string>): string {
  return [`[${name}]`, ...Object.entries(values).map(([k, v]) => `${k} = ${v}`), ''].join('\n');
}

/**
 * Read-modify-write of the config file under its lock; an encrypted file stays encrypted
 * with the same password unless the edit says otherwise.
 */
export async function editConfig<T>(
  file: string,
  passwords: PasswordSource,
  edit: (loaded: LoadedConfig) => Promise<T> | T,
): Promise<T> {
  return withConfigLock(file, async () => {
    const loaded = await loadConfig(file, passwords);
    const result = await edit(loaded);
    await saveConfig(file, loaded.doc, loaded.password);
    return result;
  });
}

export function requireRemote(doc: ConfigDocument, name: string, file: string): Record<string, string> {
  const values = doc.get(name);
  if (values === undefined) throw fsError('config', `remote "${name}" not found in config file ${file}`);
  return values;
}
