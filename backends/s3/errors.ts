import { fsError, FsError } from '../../src/fs/errors.js';

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  code?: string;
  Region?: string;
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
}

const RETRYABLE = new Set(['SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'TimeoutError', 'RequestTimeoutException']);
const NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** Maps an AWS SDK error onto the core's typed errors, with a message naming the remote and what to check. */
export function mapS3Error(err: unknown, c: ErrorContext): FsError {
  if (err instanceof FsError) return err;
  const e = (err ?? {}) as SdkError;
  const code = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = `${c.what} ${c.remote}`;
  const opts = (retry?: 'retryable' | 'noRetry' | 'fatal') => ({ cause: err, retry });
  if (code === 'AbortError' || (err as Error)?.name === 'AbortError') return fsError('other', `${where}: interrupted`, opts('fatal'));
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
    return fsError('other', `${where}: incorrect region, the bucket is not in '${c.region}' region${region ? ` (it is in '${region}')` : ''}: set region`, opts('noRetry'));
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
  if (RETRYABLE.has(code) || (status !== undefined && status >= 500) || NETWORK.has(e.code ?? '')) {
    return fsError('other', `${where}: ${code || e.code || 'server error'}: ${e.message ?? ''}`.trim(), opts('retryable'));
  }
  return fsError('other', `${where}: ${code ? code + ': ' : ''}${e.message ?? String(err)}`, opts());
}
