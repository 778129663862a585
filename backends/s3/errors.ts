import { fsError, FsError } from '../../src/fs/errors.js';
import { escapeControls, quoteName } from '../../src/lib/escape.js';
import type { Verdict } from '../../src/lib/pacer.js';

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  code?: string;
  Region?: string;
  BucketName?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  $retryable?: unknown;
}

/** Where an error happened, for messages users can act on. */
export interface ErrorContext {
  remote: string;
  what: string;
  anonymous: boolean;
  region: string;
  notFound?: 'objectNotFound' | 'dirNotFound';
  /** The endpoint as the client uses it (with its scheme), for connection errors. */
  endpoint?: string;
}

const RETRYABLE = new Set([
  'SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'TimeoutError', 'RequestTimeoutException',
  // 4xx answers to a body damaged or cut on the way (a flipped byte, a dropped connection):
  // the same request with the same bytes will most likely get through.
  'BadDigest', 'XAmzContentChecksumMismatch', 'XAmzContentSHA256Mismatch', 'IncompleteBody',
  // 409: a conflicting operation on the same bucket or object was still running.
  'OperationAborted',
]);
const NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
// Node's names for a certificate that does not verify (self-signed, unknown CA, wrong host, expired).
const CERTIFICATE = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;
// 4xx statuses that retrying can fix: the server timed out waiting, or asks to slow down.
const RETRYABLE_4XX = new Set([408, 429]);

export const BUCKET_NAME_RULES =
  'S3 bucket names are 3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit (some providers allow more)';

const ECHO_MAX = 200;

/** Text a server sent back (an error code or message): printable and of a sane length. */
export function echo(text: string): string {
  const safe = escapeControls(text);
  return safe.length > ECHO_MAX ? safe.slice(0, ECHO_MAX) + '...' : safe;
}

/**
 * The server's code and message, or the HTTP status where the SDK could not read any (HEAD
 * responses have no body, and the SDK then says "Unknown: UnknownError").
 */
function describe(e: SdkError, code: string, status: number | undefined): string {
  const unknown = code === '' || code === 'Unknown' || e.message === 'UnknownError';
  if (unknown && status !== undefined) return `HTTP ${status} from the server`;
  const message = e.message && e.message !== 'UnknownError' ? echo(e.message) : '';
  return [code ? echo(code) : e.code ? echo(e.code) : '', message].filter((p) => p !== '').join(': ') || 'unknown error';
}

/** Maps an AWS SDK error onto the core's typed errors, with a message naming the remote and what to check. */
export function mapS3Error(err: unknown, c: ErrorContext): FsError {
  if (err instanceof FsError) return err;
  const e = (err ?? {}) as SdkError;
  const code = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = `${c.what} ${c.remote}`;
  const opts = (retry?: 'retryable' | 'noRetry' | 'fatal') => ({ cause: err, retry });
  if (code === 'AbortError' || (err as Error)?.name === 'AbortError') return fsError('other', `${where}: interrupted`, opts('fatal'));
  if (e.name === 'TimeoutError' && status === undefined) {
    return fsError('other', `${where}: timed out: ${/connect/i.test(e.message ?? '') && !/inactivity/.test(e.message ?? '') ? 'could not connect in time (--contimeout)' : 'the connection was silent too long (--timeout)'}`, opts('retryable'));
  }
  // (A 4xx whose body is not XML, e.g. a proxy's HTML page, is still that 4xx below.)
  if (/Deserialization error|XML parse error/i.test(e.message ?? '') && (status === undefined || status < 400 || status >= 500)) {
    // The SDK could not read the answer (invalid XML, a body cut short): a server or proxy fault.
    const first = (e.message ?? '').split('\n')[0]!.replace(/^@aws-sdk /, '').replace(/\.$/, '');
    return fsError('other', `${where}: the server's answer is not valid S3 XML (${echo(first)})${status !== undefined ? `, HTTP ${status}` : ''}`, opts('retryable'));
  }
  const tls = plainHttpAnswer(e, c.endpoint);
  if (tls) return fsError('config', `${where}: ${tls}`, opts('noRetry'));
  if (CERTIFICATE.test(e.code ?? '')) {
    return fsError('config', `${where}: the server's TLS certificate is not trusted (${echo(e.message ?? e.code ?? '')}): give its CA certificate with --ca-cert FILE, or use --no-check-certificate (insecure)`, opts('noRetry'));
  }
  if (code === 'NoSuchBucket') return fsError('dirNotFound', `${where}: bucket not found (NoSuchBucket)`, opts('noRetry'));
  if (code === 'NoSuchKey' || code === 'NotFound' || (status === 404 && code !== 'NoSuchUpload')) {
    const kind = c.notFound ?? 'objectNotFound';
    return fsError(kind, `${where}: ${kind === 'dirNotFound' ? 'directory' : 'object'} not found`, opts('noRetry'));
  }
  if (code === 'InvalidObjectState') return fsError('other', `Object in GLACIER, restore first: ${c.remote}`, opts('noRetry'));
  if (code === 'InvalidAccessKeyId') return fsError('permission', `${where}: the access key is not known to the server: check access_key_id`, opts('fatal'));
  if (code === 'SignatureDoesNotMatch') return fsError('permission', `${where}: signature does not match: check secret_access_key (and v2_auth/region for old servers)`, opts('fatal'));
  const region = e.Region ?? e.$response?.headers?.['x-amz-bucket-region'];
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    return fsError('other', `${where}: incorrect region, the bucket is not in '${echo(c.region)}' region${region ? ` (it is in '${echo(region)}')` : ''}: set region`, opts('noRetry'));
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    return fsError(
      'permission',
      c.anonymous
        ? `${where}: anonymous access: permission denied (set access_key_id and secret_access_key, or env_auth = true)`
        : `${where}: access denied: check the keys' permissions, the bucket policy and ACLs`,
      opts('noRetry'),
    );
  }
  if (code === 'BucketNotEmpty') return fsError('dirNotEmpty', `${where}: bucket not empty`, opts('noRetry'));
  if (code === 'InvalidBucketName') return fsError('other', `${where}: the server refused the bucket name (InvalidBucketName): ${BUCKET_NAME_RULES}`, opts('noRetry'));
  if (code === 'InvalidLocationConstraint' || code === 'IllegalLocationConstraintException') {
    return fsError('other', `${where}: the server refused the location constraint (${echo(code)}): set location_constraint to the region the server is in, or leave it blank`, opts('noRetry'));
  }
  // A server without the operation (a clone lacking DeleteObjects): asking again won't help.
  if (code === 'NotImplemented' || status === 501) return fsError('notSupported', `${where}: ${describe(e, code, status)}`, opts('noRetry'));
  if (status === undefined && (NETWORK.has(e.code ?? '') || e.message === 'aborted')) return fsError('other', `${where}: ${connectionBroke(e)}`, opts('retryable'));
  if (RETRYABLE.has(code) || (status !== undefined && (status >= 500 || RETRYABLE_4XX.has(status))) || NETWORK.has(e.code ?? '')) {
    return fsError('other', `${where}: ${describe(e, code, status)}`, opts('retryable'));
  }
  // Any other 4xx is the request itself being refused: the same request would be refused again.
  const refused = status !== undefined && status >= 400 && status < 500;
  return fsError('other', `${where}: ${describe(e, code, status)}`, opts(refused ? 'noRetry' : undefined));
}

/** What a network failure means, in words. Node says "aborted" for an answer cut short of its Content-Length. */
export function connectionBroke(e: { code?: string; message?: string }): string {
  if (e.message === 'aborted') return 'the connection broke off before the answer was complete (short of its Content-Length)';
  if (e.code === 'ECONNREFUSED') return `could not connect (is the endpoint right and the server up?): ${echo(e.message ?? e.code)}`;
  return `the connection failed (${echo(e.code ?? '')}: ${echo(e.message ?? '')})`;
}

/**
 * An https:// endpoint whose server speaks plain HTTP fails in OpenSSL with "wrong version
 * number" (the first bytes of an HTTP answer read as a TLS record): say what it means.
 */
function plainHttpAnswer(e: SdkError, endpoint: string | undefined): string | undefined {
  if (e.code !== 'EPROTO' || !/wrong version number|packet length too long|http request/i.test(e.message ?? '')) return undefined;
  const shown = endpoint ? echo(endpoint) : 'the endpoint';
  const plain = endpoint?.replace(/^https:\/\//i, 'http://');
  return `the server at ${shown} answered plain HTTP to an HTTPS request: write http:// in the endpoint${plain && plain !== endpoint ? ` (endpoint = ${echo(plain)})` : ''}, or use-ssl=false in an s3:// URL`;
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException', 'RequestLimitExceeded']);

/**
 * What the pacer should do about a failed S3 request: retry it when mapS3Error calls it
 * retryable, slow the whole remote down when the server says it is overloaded (503,
 * SlowDown, 429), and wait as long as a Retry-After header asks.
 */
export function classifyS3(err: unknown): Verdict {
  const mapped = mapS3Error(err, { remote: '', what: '', anonymous: false, region: '' });
  if (mapped.retry !== 'retryable') return { retry: false };
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const throttled = THROTTLING.has(e.Code ?? e.name ?? '') || status === 429 || status === 503;
  return { retry: true, throttled, afterMs: retryAfterMs(e.$response?.headers?.['retry-after']) };
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An answer of 200 that holds no result: the operation did not happen (retried). */
export function noResult(remoteName: string, remote: string, what: string): FsError {
  return fsError('other', `${what} ${remoteName}:${quoteName(remote)}: the server answered 200 but sent no result (an error after the answer began?)`, { retry: 'retryable' });
}

/**
 * Whether a CompleteMultipartUpload answer holds a result. S3 may answer 200 and only then
 * fail, with an <Error> body; Ceph completes a copy with an empty ETag but the rest of it.
 */
export function completed(res: { ETag?: string; Key?: string; Location?: string }): boolean {
  return res.ETag !== undefined || res.Key !== undefined || res.Location !== undefined;
}
