import { existsSync } from 'node:fs';
import { defaultRegistry } from '../../backends/index.js';
import { flagName, isSecret, looksSecret, redact } from '../fs/options.js';
import { enabled, logDebug } from '../lib/log.js';
import { packageVersion } from './package-version.js';

function secretNames(): { options: Set<string>; flags: Set<string> } {
  const options = new Set<string>();
  const flags = new Set<string>(['--password-command']);
  for (const def of defaultRegistry().all()) {
    for (const o of def.options) {
      if (!isSecret(o)) continue;
      options.add(o.name);
      flags.add(flagName(def.name, o.name));
      if (o.flag) flags.add(`--${o.flag.name}`);
    }
  }
  return { options, flags };
}

/** An argument shaped like an option name: what config create/update take as a key. */
const OPTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * The command line with every secret value replaced: values of secret flags, values in
 * connection strings and URL queries whose key is a secret option or looks like one, and
 * the arguments of config create/update (`key=value`, or rclone's `key value` pairs).
 * Over-redacting a harmless value is fine; printing a key is not.
 */
export function redactArgs(argv: string[]): string[] {
  const { options, flags } = secretNames();
  const secretKey = (k: string) => options.has(k.replace(/-/g, '_').toLowerCase()) || looksSecret(k);
  const secretFlag = (f: string) => flags.has(f) || (f.startsWith('--') && looksSecret(f.slice(2)));
  const out: string[] = [];
  // After `--` every argument is positional, even one that starts with a dash.
  let positionalOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    if (!positionalOnly && arg === '--') {
      positionalOnly = true;
      out.push(arg);
    } else if (!positionalOnly && arg.startsWith('--') && eq > 0 && secretFlag(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq + 1)}${redact(arg.slice(eq + 1))}`);
    } else if (!positionalOnly && arg.startsWith('--') && eq < 0 && secretFlag(arg) && i + 1 < argv.length) {
      out.push(arg, redact(argv[++i]!));
    } else if (!positionalOnly && arg.startsWith('-')) {
      // Other flags: `--backup-dir=:s3,secret_access_key=...:b` still holds a connection string.
      out.push(redactPath(arg, secretKey));
    } else if (eq > 0 && OPTION_NAME.test(arg.slice(0, eq)) && secretKey(arg.slice(0, eq))) {
      // A bare key=value: the whole rest is the value, `:` and `,` included (redactPath
      // would stop at them, as a connection string does).
      out.push(`${arg.slice(0, eq + 1)}${redact(arg.slice(eq + 1))}`);
    } else if (OPTION_NAME.test(arg) && secretKey(arg) && i + 1 < argv.length && (positionalOnly || !argv[i + 1]!.startsWith('-'))) {
      // `key value`: the next word is the value. A path that merely looks like a key name
      // (`copy keys dst`) hides the word after it in the log, which is harmless.
      out.push(arg, redact(argv[++i]!));
    } else {
      out.push(redactPath(arg, secretKey));
    }
  }
  return out;
}

/** `,key=value` in connection strings (a value quoted or up to the next , or :) and `key=value` in URL queries and user info. */
function redactPath(arg: string, secretKey: (k: string) => boolean): string {
  const hide = (whole: string, lead: string, key: string, value: string) => (secretKey(key) && value !== '' ? `${lead}${key}=${redact(value)}` : whole);
  let s = arg.replace(/([,:])([A-Za-z0-9_-]+)=('(?:[^']|'')*'?|"(?:[^"]|"")*"?|[^,:]*)/g, hide);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    s = s.replace(/([?&])([^=&#]+)=([^&#]*)/g, hide);
    // s3://KEY:SECRET@host/...: user info is credentials whatever it is called.
    s = s.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@?#]+)@/i, (_m, scheme: string) => `${scheme}${redact('x')}@`);
  }
  return s;
}

function quoted(args: string[]): string {
  return `[${args.map((a) => JSON.stringify(a)).join(' ')}]`;
}

/** What rclone logs first at -vv: the version, the arguments, the config file. */
export function logStartup(argv: string[], configFile: string): void {
  if (!enabled('DEBUG')) return;
  logDebug('nclone', `Version "v${packageVersion()}" (node ${process.version}, ${process.platform}/${process.arch})`);
  logDebug('nclone', `Starting with arguments ${quoted(['nclone', ...redactArgs(argv)])}`);
  logDebug(undefined, existsSync(configFile) ? `Using config file from "${configFile}"` : `Config file "${configFile}" not found - using defaults`);
}
