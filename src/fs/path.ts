import { fsError } from './errors.js';

/**
 * A command-line path, before any backend is involved:
 * - local:   /abs, rel/dir, ./a:b (a colon after a slash is part of a local name)
 * - remote:  name:path, name,key=value:path (options override the remote's)
 * - on the fly: :backend:path, :backend,key=value,...:path
 * - URLs:    scheme://... (s3://bucket/path?region=...), interpreted by the backend owning the scheme
 */
export type ParsedPath =
  | { kind: 'local'; path: string }
  | { kind: 'url'; scheme: string; rest: string }
  | { kind: 'remote'; name: string; params: Record<string, string>; path: string }
  | { kind: 'onTheFly'; backend: string; params: Record<string, string>; path: string };

const NAME_CHAR = /[\p{L}\p{N}_.+@ -]/u;

/** Remote names as rclone allows them: letters, digits, _ - . + @ and inner spaces; not starting with - or space. */
export function isValidRemoteName(name: string): boolean {
  return /^[\p{L}\p{N}_.+@][\p{L}\p{N}_.+@ -]*$/u.test(name) && !name.endsWith(' ');
}

export function parsePath(input: string): ParsedPath {
  if (input === '') throw fsError('usage', 'empty path: give a local path or remote:path');
  const url = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(input);
  if (url) return { kind: 'url', scheme: url[1]!.toLowerCase(), rest: url[2]! };
  const onTheFly = input.startsWith(':');
  let i = onTheFly ? 1 : 0;
  while (i < input.length && NAME_CHAR.test(input[i]!)) i++;
  const name = input.slice(onTheFly ? 1 : 0, i);
  const next = input[i];
  if (!onTheFly && (next === undefined || (next !== ':' && next !== ','))) return { kind: 'local', path: input };
  if (!onTheFly && name === '') return { kind: 'local', path: input };
  if (!isValidRemoteName(name)) {
    throw fsError('usage', `malformed path "${shown(input)}": "${name}" is not a valid ${onTheFly ? 'backend' : 'remote'} name`);
  }
  const { params, end } = parseParams(input, i);
  if (input[end] !== ':') {
    throw fsError('usage', `malformed path "${shown(input)}": expected ':' after the ${onTheFly ? 'backend' : 'remote'} options`);
  }
  const rest = input.slice(end + 1);
  return onTheFly ? { kind: 'onTheFly', backend: name, params, path: rest } : { kind: 'remote', name, params, path: rest };
}

/**
 * The path as an error message may quote it: the values of options whose names look secret
 * are masked. The string did not parse, so this goes by pattern, and masks to the end of an
 * unterminated quote rather than risk showing a key.
 */
function shown(input: string): string {
  return input.replace(/([A-Za-z0-9_-]*(?:secret|pass|token|key|session|credential|sse_customer)[A-Za-z0-9_-]*=)('(?:[^']|'')*'?|"(?:[^"]|"")*"?|[^,:]*)/gi, '$1XXX');
}

/** Parses ",key=value,key2='quoted, value',flag" starting at input[start]; stops at the first unquoted ':'. */
function parseParams(input: string, start: number): { params: Record<string, string>; end: number } {
  const params: Record<string, string> = {};
  let i = start;
  while (input[i] === ',') {
    i++;
    const keyStart = i;
    while (i < input.length && /[A-Za-z0-9_-]/.test(input[i]!)) i++;
    const keyText = input.slice(keyStart, i);
    const key = keyText.replace(/-/g, '_');
    if (key === '') throw fsError('usage', `malformed path "${shown(input)}": empty option name in the connection string`);
    if (input[i] !== '=') {
      params[key] = 'true';
      continue;
    }
    i++;
    const quote = input[i];
    if (quote === '"' || quote === "'") {
      // A doubled quote stands for one quote, as in rclone's connection strings.
      let value = '';
      i++;
      for (;;) {
        if (i >= input.length) throw fsError('usage', `malformed path "${shown(input)}": unterminated ${quote} quote in option ${key}`);
        if (input[i] === quote) {
          if (input[i + 1] === quote) {
            value += quote;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += input[i++];
      }
      params[key] = value;
    } else {
      const valueStart = i;
      while (i < input.length && input[i] !== ',' && input[i] !== ':') i++;
      // "endpoint=http://host:port:path" would silently become endpoint "http" and fail
      // later as a DNS error; a value cut just before "://" can only be an unquoted URL.
      if (input.startsWith('://', i)) {
        const url = guessUrl(input, valueStart);
        throw fsError(
          'usage',
          `malformed path "${shown(input)}": the value of ${keyText} contains ':' so it must be quoted, as in ${keyText}='${url.replace(/'/g, "''")}'`,
        );
      }
      params[key] = input.slice(valueStart, i);
    }
  }
  return { params, end: i };
}

/** The URL an unquoted value starting at input[start] most likely meant: scheme://host[:port][/path]. */
function guessUrl(input: string, start: number): string {
  const m = /^[^,:]*:\/\/(?:\[[^\]]*\]|[^,:/]*)(?::\d+(?=$|[,:/]))?(?:\/[^,:]*)?/.exec(input.slice(start));
  return m ? m[0] : input.slice(start);
}

/** Whether s holds a lone UTF-16 surrogate: such a name has no UTF-8 form, so no backend can store it as given. */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/** The parent of a '/' separated path ('' for top level). */
export function parentOf(remote: string): string {
  const i = remote.lastIndexOf('/');
  return i < 0 ? '' : remote.slice(0, i);
}

