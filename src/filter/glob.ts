/**
 * rclone's glob dialect, compiled through minimatch.
 *
 * rclone defines its patterns as regular expressions over the whole path:
 * `*` is any run of non-slash characters, `**` is any run of characters at all
 * (slashes included, even in the middle of a segment like `a**b`), `?` is one
 * non-slash character, `[...]` a class, `{a,b}` alternatives and `\x` a literal x.
 * A leading `/` anchors the pattern at the root; otherwise it must match a
 * whole tail of the path starting at a segment boundary.
 *
 * minimatch works segment by segment, so the rclone pattern is rewritten into
 * a small set of minimatch patterns that together accept exactly the same
 * paths (for paths without empty segments, which remotes never have):
 *  - every `**` becomes either `*` (stays inside one segment) or `*\/**\/*`
 *    (crosses at least one slash);
 *  - braces are expanded here, so escapes survive (minimatch gets nobrace);
 *  - an unanchored pattern gets a `**\/` prefix.
 *
 * Directory rules in rclone are tested against "dir/". minimatch treats a
 * trailing empty segment specially, so directory matchers append a NUL
 * marker to both the pattern and the tested string ("dir/\0"): no file name
 * can contain NUL and no glob token can swallow it, so the match is unchanged.
 */
import { Minimatch, type MinimatchOptions } from 'minimatch';

export class GlobError extends Error {}

const DIR_MARK = '\u0000';
/** Stands for a minimatch `**` segment until alternatives are assembled. */
const GLOBSTAR = '\uE000';
const MAX_ALTERNATIVES = 4096;

/** Go's Perl classes, as minimatch class bodies. */
const PERL_CLASSES: Record<string, string> = {
  d: '0-9',
  w: '0-9A-Za-z_',
  s: ' \t\n\f\r',
};

/**
 * A literal character in minimatch syntax. Glob specials become one-character
 * classes rather than backslash escapes: minimatch's fast paths for patterns
 * like `*.ext` compare the raw text after the star and would keep a backslash.
 */
function literal(c: string): string {
  return c === '*' || c === '?' || c === '[' || c === ']' || c === '\\' || c === GLOBSTAR ? `[${classLiteral(c)}]` : c;
}

/** Escapes a character for use inside a minimatch class. */
function classLiteral(c: string): string {
  return /^[A-Za-z0-9]$/.test(c) || c.codePointAt(0)! > 0x7f ? c : '\\' + c;
}

function perlClass(letter: string): string | undefined {
  const body = PERL_CLASSES[letter.toLowerCase()];
  if (body === undefined) return undefined;
  const escaped = [...body].map((c) => (c === '-' ? c : classLiteral(c))).join('');
  return letter === letter.toUpperCase() ? `[^${escaped}]` : `[${escaped}]`;
}

/** Concatenation of two sets of alternatives. */
function product(left: string[], right: string[]): string[] {
  const out = new Set<string>();
  for (const l of left) for (const r of right) out.add(l + r);
  if (out.size > MAX_ALTERNATIVES) throw new GlobError('too many {..} / ** alternatives');
  return [...out];
}

/**
 * Parses a `[...]` class starting at chars[start] === '['.
 * Returns the minimatch text and the index just past the closing ']'.
 * minimatch cannot put '/' in a class (it splits on '/' first), so '/' members
 * are dropped: a class of only '/' becomes a literal '/' ('?' when negated).
 */
function parseClass(chars: string[], start: number): [string, number] {
  let i = start + 1;
  let negated = false;
  if (chars[i] === '^' || chars[i] === '!') {
    negated = true;
    i++;
  }
  let body = '';
  let members = 0;
  let slashOnly = true;
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ']') {
      if (members === 0) throw new GlobError("empty character class '[]'");
      if (slashOnly) return [negated ? '?' : '/', i + 1];
      return [`[${negated ? '^' : ''}${body}]`, i + 1];
    }
    members++;
    if (c === '/' || (c === '\\' && chars[i + 1] === '/')) {
      if (c === '\\') i++;
      continue;
    }
    slashOnly = false;
    if (c === '\\') {
      const n = chars[++i];
      if (n === undefined) break;
      const perl = PERL_CLASSES[n];
      if (perl !== undefined) body += [...perl].map((p) => (p === '-' ? p : classLiteral(p))).join('');
      else if (/^[A-Za-z0-9]$/.test(n)) throw new GlobError(`unsupported escape '\\${n}' in a character class`);
      else body += classLiteral(n);
    } else if (c === '[' && chars[i + 1] === ':') {
      // POSIX class like [:alpha:]
      const end = chars.indexOf(']', i);
      const name = chars.slice(i, end + 1).join('');
      if (end < 0 || !/^\[:[a-z]+:\]$/.test(name)) throw new GlobError(`bad character class ${JSON.stringify(name || '[:')}`);
      body += name;
      i = end;
    } else if (c === '-' && members > 1 && chars[i + 1] !== ']') {
      body += '-'; // range
    } else {
      body += classLiteral(c);
    }
  }
  throw new GlobError("'[' without a matching ']'");
}

/**
 * Turns an rclone glob body (anchor already removed) into equivalent minimatch
 * patterns (no braces, no extglobs).
 */
export function rcloneToMinimatch(body: string): string[] {
  const chars = [...body];
  // Stack of brace groups; each has completed alternatives and the current one.
  const stack: { done: string[]; cur: string[] }[] = [{ done: [], cur: [''] }];
  const top = () => stack[stack.length - 1]!;
  const append = (alts: string[]) => {
    const frame = top();
    frame.cur = product(frame.cur, alts);
  };
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    switch (c) {
      case '\\': {
        const n = chars[i + 1];
        if (n === undefined) throw new GlobError("pattern ends with a lone '\\'");
        const perl = perlClass(n);
        if (perl !== undefined) append([perl]);
        else if (/^[A-Za-z0-9]$/.test(n)) throw new GlobError(`unsupported escape '\\${n}' (only punctuation, \\d, \\s, \\w and their negations can follow '\\')`);
        else append([literal(n)]);
        i += 2;
        break;
      }
      case '*': {
        let run = 0;
        while (chars[i] === '*') {
          run++;
          i++;
        }
        if (run > 2) throw new GlobError('too many stars (use * or **)');
        append(run === 1 ? ['*'] : ['*', `*/${GLOBSTAR}/*`]);
        break;
      }
      case '?':
        append(['?']);
        i++;
        break;
      case '[': {
        const [cls, next] = parseClass(chars, i);
        append([cls]);
        i = next;
        break;
      }
      case ']':
        throw new GlobError("']' without a matching '['");
      case '{':
        if (chars[i + 1] === '{') throw new GlobError('{{regexp}} sections are not supported');
        stack.push({ done: [], cur: [''] });
        i++;
        break;
      case '}': {
        if (stack.length === 1) throw new GlobError("'}' without a matching '{'");
        const group = stack.pop()!;
        append([...group.done, ...group.cur]);
        i++;
        break;
      }
      case ',':
        if (stack.length > 1) {
          const frame = top();
          frame.done.push(...frame.cur);
          frame.cur = [''];
        } else {
          append([literal(c)]);
        }
        i++;
        break;
      default:
        append([literal(c)]);
        i++;
    }
  }
  if (stack.length > 1) throw new GlobError("'{' without a matching '}'");
  return top().cur;
}

/** A compiled rclone glob. */
export type GlobMatcher = (path: string) => boolean;

const NEVER: GlobMatcher = () => false;

/**
 * Finishes one alternative for minimatch: runs of '*' collapse to one (they all
 * stay inside a segment), the globstar placeholder becomes '**', and
 * alternatives that could only match paths with empty segments (leading '/',
 * '//') are dropped (null).
 */
function finish(alt: string): string | null {
  if (alt.startsWith('/')) return null;
  let out = '';
  let inClass = false;
  for (let i = 0; i < alt.length; i++) {
    const c = alt[i]!;
    if (c === '\\') {
      out += c + (alt[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === '[') {
        // POSIX class name, e.g. [:alpha:]
        const end = alt.indexOf(':]', i);
        out += alt.slice(i, end + 2);
        i = end + 1;
      } else {
        out += c;
        if (c === ']') inClass = false;
      }
    } else if (c === '[') {
      out += c;
      inClass = true;
      if (alt[i + 1] === '^') out += alt[++i];
    } else if (c === '*') {
      if (!out.endsWith('*')) out += c; // literal stars are written as [\\*]
    } else if (c === GLOBSTAR) {
      out += '**';
    } else if (c === '/' && out.endsWith('/')) {
      return null;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Compiles an rclone glob into a matcher. With forDirs the matcher takes a
 * directory path without trailing slash and answers whether the glob matches
 * "dir/", as rclone's directory rules do.
 */
export function compileGlob(glob: string, options: { ignoreCase?: boolean; forDirs?: boolean } = {}): GlobMatcher {
  const anchored = glob.startsWith('/');
  const body = anchored ? glob.slice(1) : glob;
  const forDirs = options.forDirs === true;
  const mmOptions: MinimatchOptions = {
    dot: true,
    noext: true,
    nonegate: true,
    nocomment: true,
    nobrace: true,
    nocase: options.ignoreCase === true,
    platform: 'linux',
    optimizationLevel: 0,
  };
  const matchers: Minimatch[] = [];
  for (const alt of rcloneToMinimatch(body)) {
    // A file path is never empty and never ends in '/'.
    if (!forDirs && (alt === '' || alt.endsWith('/'))) continue;
    let pattern = finish(anchored ? alt : `${GLOBSTAR}/${alt}`);
    if (pattern === null) continue;
    if (forDirs) pattern += DIR_MARK;
    matchers.push(new Minimatch(pattern, mmOptions));
  }
  if (matchers.length === 0) return NEVER;
  if (forDirs) {
    return (dir: string) => {
      const subject = `${dir}/${DIR_MARK}`;
      return matchers.some((m) => m.match(subject));
    };
  }
  return (path: string) => matchers.some((m) => m.match(path));
}

/**
 * The directory globs implied by a file glob: for each directory level of the
 * glob, a pattern ending in '/' that matches the directories the file could
 * be under. When the glob is too complex to split (braces holding '/' or '**',
 * nested braces, regexps) the answer is "any directory" ("/**").
 */
export function globToDirGlobs(glob: string): string[] {
  if (tooHardToSplit(glob)) return ['/**'];
  let rest = glob.replace(/\/{2,}/g, '/');
  const out: string[] = [];
  for (;;) {
    const slash = rest.lastIndexOf('/');
    const stars = rest.lastIndexOf('**');
    const cutAtStars = stars > slash;
    const cut = cutAtStars ? stars : slash;
    if (cut < 0) break;
    rest = rest.slice(0, cut);
    const dirGlob = rest + (cutAtStars ? '**/' : '/');
    if (out[out.length - 1] !== dirGlob) out.push(dirGlob);
  }
  if (out.length === 0) out.push('/**');
  return out;
}

function tooHardToSplit(glob: string): boolean {
  if (glob.includes('{{') || glob.includes('}}')) return true;
  let depth = 0;
  let group = '';
  for (const c of glob) {
    if (c === '{') {
      if (depth > 0) return true; // nested braces
      depth++;
      group = '';
    } else if (c === '}' && depth > 0) {
      depth--;
      if (group.includes('/') || group.includes('**')) return true;
    } else if (depth > 0) {
      group += c;
    }
  }
  return false;
}
