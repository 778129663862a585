/**
 * A listing page read in one pass. The SDK's XML reader builds every value a character at a
 * time (about 50 µs an entry: 5 s of CPU for a listing of 100,000 objects); S3 listings are
 * flat and regular, so this reads the one shape they have, with indexOf, into exactly what
 * the SDK's reader would give. Anything outside that shape (attributes on inner elements,
 * CDATA, comments, carriage returns, unknown entities, a second root) makes it give up and
 * return undefined: the caller then reads the page with the SDK's reader, which decides
 * what the page is. So this adds speed, never a way to read a page differently.
 */

type Xml = Record<string, unknown>;

/** Elements that repeat inside a listing; each becomes a list (even of one). */
const LISTS = new Set(['Contents', 'CommonPrefixes']);
const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

class GiveUp extends Error {}

export function readListing(x: string): Xml | undefined {
  try {
    return parse(x);
  } catch (err) {
    if (err instanceof GiveUp) return undefined;
    throw err;
  }
}

function parse(x: string): Xml {
  if (x.includes('\r') || x.includes('<!') || x.includes('<?', 1)) throw new GiveUp();
  let i = 0;
  if (x.startsWith('<?xml')) i = x.indexOf('?>') + 2;
  i = skipSpace(x, i);
  const rootEnd = x.indexOf('>', i);
  if (x[i] !== '<' || rootEnd < 0) throw new GiveUp();
  // The root may carry xmlns (which the SDK's reader gives as a property), nothing else.
  const open = /^<ListBucketResult(?: xmlns="([^"<&]*)")?>$/.exec(x.slice(i, rootEnd + 1));
  if (!open) throw new GiveUp();
  const rootName = 'ListBucketResult';
  const close = `</${rootName}>`;
  const root: Xml = {};
  i = rootEnd + 1;
  for (;;) {
    i = skipSpace(x, i);
    if (x.startsWith(close, i)) {
      if (skipSpace(x, i + close.length) !== x.length) throw new GiveUp();
      break;
    }
    const value = element(x, i, LISTS);
    const name = lastName;
    i = after;
    if (LISTS.has(name)) {
      const list = (root[name] ??= []) as unknown[];
      list.push(value);
    } else if (name in root) throw new GiveUp();
    else root[name] = value;
  }
  // The SDK's reader gives a lone element as itself, several as a list.
  for (const k of LISTS) {
    const v = root[k] as unknown[] | undefined;
    if (v && v.length === 1) root[k] = v[0];
  }
  if (open[1] !== undefined) {
    if ('xmlns' in root) throw new GiveUp();
    root.xmlns = open[1];
  }
  return { [rootName]: root };
}

/**
 * Where the element element() read last ends, and its name: passed back beside the value
 * rather than in a tuple, as element() runs ten times for every object of a listing.
 */
let after = 0;
let lastName = '';

/** The element names of listings, by length: a name read from a page is one of these, not a new string. */
const KNOWN = new Map<number, string[]>();
for (const n of ['Contents', 'CommonPrefixes', 'Key', 'LastModified', 'ETag', 'Size', 'StorageClass', 'Owner', 'ID', 'DisplayName', 'Type', 'Prefix', 'Name', 'Marker', 'NextMarker', 'MaxKeys', 'KeyCount', 'IsTruncated', 'Delimiter', 'EncodingType', 'ContinuationToken', 'NextContinuationToken', 'StartAfter', 'ChecksumAlgorithm', 'RestoreStatus']) {
  const same = KNOWN.get(n.length) ?? [];
  same.push(n);
  KNOWN.set(n.length, same);
}

/** The name between from and to (checked to be a plain name). */
function nameAt(x: string, from: number, to: number): string {
  const known = KNOWN.get(to - from);
  if (known) for (const n of known) if (x.startsWith(n, from)) return n;
  const name = x.slice(from, to);
  if (!plainName(name)) throw new GiveUp();
  return name;
}

/** Whether `</name>` is at j. */
function closesAt(x: string, j: number, name: string): boolean {
  return x.charCodeAt(j) === 60 && x.charCodeAt(j + 1) === 47 && x.startsWith(name, j + 2) && x.charCodeAt(j + 2 + name.length) === 62;
}

/** One element at i: its text or children; its name in lastName, the index after it in after. nested: names whose content is elements. */
function element(x: string, i: number, nested: ReadonlySet<string> | undefined): unknown {
  if (x.charCodeAt(i) !== 60 /* < */) throw new GiveUp();
  const end = x.indexOf('>', i);
  if (end < 0) throw new GiveUp();
  if (x.charCodeAt(end - 1) === 47 /* / */ && end - 1 > i) {
    lastName = nameAt(x, i + 1, end - 1);
    after = end + 1;
    return '';
  }
  const name = nameAt(x, i + 1, end);
  if (nested?.has(name) || name === 'Owner' || name === 'RestoreStatus') {
    const children: Xml = {};
    let empty = true;
    let j = end + 1;
    for (;;) {
      j = skipSpace(x, j);
      // An element with nothing in it is '' to the SDK's reader, whatever it should hold.
      if (closesAt(x, j, name)) {
        lastName = name;
        after = j + name.length + 3;
        return empty ? '' : children;
      }
      const value = element(x, j, undefined);
      if (lastName in children) throw new GiveUp();
      children[lastName] = value;
      empty = false;
      j = after;
    }
  }
  const stop = x.indexOf('<', end + 1);
  if (stop < 0 || !closesAt(x, stop, name)) throw new GiveUp();
  lastName = name;
  after = stop + name.length + 3;
  return text(x.slice(end + 1, stop));
}

function plainName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]*$/.test(name);
}

/**
 * Past the white space between elements. The SDK's reader drops such space only when it
 * holds a line break (else it keeps it as "#text"): anything else is not this reader's to read.
 */
function skipSpace(x: string, i: number): number {
  const from = i;
  let newline = false;
  for (;;) {
    const c = x.charCodeAt(i);
    if (c === 10) newline = true;
    else if (c !== 32 && c !== 9) break;
    i++;
  }
  if (i > from && !newline) throw new GiveUp();
  return i;
}

/** A text node's value as the SDK's reader gives it; references it would read oddly (astral or unknown) are left to it. */
function text(raw: string): string {
  const t = !raw.includes('&')
    ? raw
    : quotedOnly(raw)
      ? `"${raw.slice(6, -6)}"`
      : raw.replace(/&([^;&]*);?/g, (m, ref: string) => {
        if (!m.endsWith(';')) throw new GiveUp();
        if (ref in ENTITY) return ENTITY[ref]!;
        const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : -1;
        if (code < 0 || code > 0xffff || (code >= 0xd800 && code <= 0xdfff)) throw new GiveUp();
        return String.fromCharCode(code);
      });
  return t.includes('\n') && t.trim() === '' ? '' : t;
}

/** `&quot;...&quot;` with no other reference inside: every ETag of a listing. */
function quotedOnly(raw: string): boolean {
  return raw.length >= 12 && raw.startsWith('&quot;') && raw.endsWith('&quot;') && raw.indexOf('&', 6) === raw.length - 6;
}
