import type { ListObjectsV2CommandInput, _Object } from '@aws-sdk/client-s3';
import { s3 } from './commands.js';
import { fsError } from '../../src/fs/errors.js';
import { escapeControls, quoteName } from '../../src/lib/escape.js';
import type { S3Door } from './door.js';
import { decodeListedKey } from './keys.js';

/**
 * Empty pages in a row that still say "more" before a listing is given up. S3 can send a
 * few (keys hidden by delete markers in versioned buckets); thousands mean a broken server.
 */
const MAX_EMPTY_PAGES = 1000;

/** What one listing request returned that the pager needs. */
interface Page {
  contents: _Object[];
  prefixes: string[];
  truncated: boolean;
  next: string | undefined;
}

/**
 * Pages through a listing (v1 or v2, URL-encoded where the provider allows), decoding keys.
 *
 * An answer is trusted as a listing only if it looks like one: a 200 with an HTML page (a
 * captive portal, a wrong endpoint) parses to nothing, and taking that for an empty
 * directory would make sync delete the whole destination. Likewise a page that claims more
 * pages but gives no way to ask for them, or the same position again, is an error for the
 * directory, never its end.
 */
export async function listPages(
  fs: S3Door,
  bucket: string,
  prefix: string,
  delimiter: string | undefined,
  signal: AbortSignal | undefined,
  page: (objects: _Object[], prefixes: string[]) => Promise<void>,
  /** More to ask of each listing request (the restore status of archived objects). */
  extra: Pick<ListObjectsV2CommandInput, 'OptionalObjectAttributes'> = {},
): Promise<void> {
  const encoded = fs.quirks.urlEncodeListings;
  const base = { Bucket: bucket, Prefix: prefix, Delimiter: delimiter, MaxKeys: fs.opt.listChunk, EncodingType: encoded ? ('url' as const) : undefined, ...extra };
  const where = bucket + (prefix ? '/' + prefix : '');
  const fail = (why: string, retry: 'retryable' | 'noRetry') => fsError('other', `list ${fs.name}:${quoteName(where)}: ${why}`, { retry });
  const seen = new Set<string>();
  let token: string | undefined;
  // The last key and prefix so far: each must come after them (see inOrder).
  let lastKey: string | undefined;
  let lastPrefix: string | undefined;
  let emptyPages = 0;
  /** The first entry of every page so far (one string a page). */
  const firsts = new Set<string>();
  for (;;) {
    const res = fs.opt.listVersion === 2 ? await requestV2(fs, base, where, token, signal) : await requestV1(fs, base, where, token, encoded, signal);
    if (res === undefined) {
      // A portal or proxy page may be gone on the next try; a wrong endpoint stays wrong, but
      // the retry costs one request.
      throw fail("the server's answer was not an S3 listing (a web page? check the endpoint)", 'retryable');
    }
    if (res.truncated) {
      if (res.next === undefined || res.next === '') throw fail('the listing cannot continue: the server says there is more but gives no marker to ask for it', 'noRetry');
      // A marker that comes back would list the same pages forever.
      if (seen.has(res.next)) throw fail('the listing cannot continue: the server gave a marker it already gave (it would repeat forever)', 'noRetry');
    }
    // v1 pages continue after the last key: keys that go back would be listed again or
    // skipped. v2 pages with opaque tokens, and some stores (S3 directory buckets) do not
    // sort: there only the token is checked.
    const ordered = fs.opt.listVersion === 1;
    for (const o of res.contents) {
      if (typeof o.Key !== 'string') throw fail('the listing has an entry without a key', 'retryable');
      o.Key = decodeListedKey(o.Key, encoded);
      if (ordered && lastKey !== undefined && !inOrder(lastKey, o.Key)) throw fail(`the listing is out of order ("${escapeControls(o.Key)}" came after "${escapeControls(lastKey)}"): the server does not page as S3 does`, 'noRetry');
      lastKey = o.Key;
    }
    if (res.prefixes.some((p) => typeof p !== 'string')) throw fail('the listing has a common prefix without its Prefix', 'retryable');
    // A page that starts where an earlier one started is the same page again under a new
    // token or marker: the listing would go round forever.
    const first = res.contents[0]?.Key ?? (res.prefixes[0] === undefined ? undefined : `${res.prefixes[0]}\u0000prefix`);
    if (first !== undefined) {
      if (firsts.has(first)) throw fail('the listing cannot continue: the server gave the same page again (it would repeat forever)', 'noRetry');
      firsts.add(own(first));
    }
    const prefixes: string[] = [];
    for (const p of res.prefixes.map((p) => decodeListedKey(p, encoded))) {
      // A prefix repeated at a page boundary (NextMarker was that prefix) is harmless: once is enough.
      if (p === lastPrefix) continue;
      if (ordered && lastPrefix !== undefined && !inOrder(lastPrefix, p)) throw fail(`the listing is out of order ("${escapeControls(p)}/" came after "${escapeControls(lastPrefix)}"): the server does not page as S3 does`, 'noRetry');
      lastPrefix = p;
      prefixes.push(p);
    }
    // A server that says "more" forever with empty pages would keep nclone listing forever.
    emptyPages = res.contents.length === 0 && prefixes.length === 0 && res.truncated ? emptyPages + 1 : 0;
    if (emptyPages > MAX_EMPTY_PAGES) throw fail(`the listing cannot continue: ${MAX_EMPTY_PAGES} pages in a row were empty but said there was more`, 'noRetry');
    await page(res.contents, prefixes);
    if (!res.truncated) return;
    seen.add(own(res.next!));
    token = res.next;
  }
}

/**
 * A copy of a string read from a listing page. Strings cut from a page's text can share its
 * memory (V8 keeps the whole page alive for a substring of it): what is kept for the whole
 * listing must not hold on to every page (100,000 objects: some 30 MB of page text).
 */
function own(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

/**
 * S3 lists keys in ascending UTF-8 byte order, and pages continue after the last key: a
 * listing that goes back would repeat or skip keys when paged. Some servers order by UTF-16
 * code units instead (they differ only for characters above U+E000): either order is taken.
 */
function inOrder(prev: string, next: string): boolean {
  return prev < next || Buffer.compare(Buffer.from(prev), Buffer.from(next)) < 0;
}

type Base = ListObjectsV2CommandInput;

/** undefined when the answer is not a listing: every ListBucketResult names its bucket. */
async function requestV2(fs: S3Door, base: Base, where: string, token: string | undefined, signal: AbortSignal | undefined): Promise<Page | undefined> {
  const res = await fs.send<any>(s3('ListObjectsV2', { ...base, ContinuationToken: token }), where, 'list', { signal, notFound: 'dirNotFound' });
  if (res.Name === undefined) return undefined;
  return {
    contents: res.Contents ?? [],
    prefixes: (res.CommonPrefixes ?? []).map((p: { Prefix?: string }) => p.Prefix!),
    truncated: res.IsTruncated === true,
    next: res.NextContinuationToken,
  };
}

async function requestV1(fs: S3Door, base: Base, where: string, token: string | undefined, encoded: boolean, signal: AbortSignal | undefined): Promise<Page | undefined> {
  const res = await fs.send<any>(s3('ListObjects', { ...base, Marker: token }), where, 'list', { signal, notFound: 'dirNotFound' });
  if (res.Name === undefined) return undefined;
  const contents: _Object[] = res.Contents ?? [];
  const prefixes: string[] = (res.CommonPrefixes ?? []).map((p: { Prefix?: string }) => p.Prefix!);
  // v1 gives NextMarker only with a delimiter; otherwise the last key is the marker. NextMarker
  // is the last key or prefix returned, so URL-encoded listings use that, decoded: Ceph RGW
  // encodes keys and prefixes but sends NextMarker as is.
  const decoded = [contents.at(-1)?.Key, prefixes.at(-1)].filter((k): k is string => !!k).map((k) => decodeListedKey(k, encoded));
  const last = decoded.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).at(-1);
  return { contents, prefixes, truncated: res.IsTruncated === true, next: encoded ? last : res.NextMarker || last };
}
