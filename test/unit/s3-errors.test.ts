/**
 * Which S3 errors the retry layers try again: errors shaped as the AWS SDK throws them
 * (name and Code set to the server's code, $metadata.httpStatusCode, $fault).
 */
import { describe, expect, it } from 'vitest';
import { mapS3Error } from '../../backends/s3/errors.js';

function sdkError(code: string, status: number, message = 'server message'): Error {
  return Object.assign(new Error(message), {
    name: code,
    Code: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req', attempts: 1, totalRetryDelay: 0 },
  });
}

const context = { remote: 'rgw:bucket/key', what: 'put', anonymous: false, region: 'us-east-1' };

describe('mapS3Error: retrying', () => {
  // What a byte corrupted on the way, or a connection dropped mid-body, draws from the
  // server: the same request with the same bytes will very likely succeed.
  const retryable: [string, number][] = [
    ['BadDigest', 400],
    ['XAmzContentChecksumMismatch', 400],
    ['XAmzContentSHA256Mismatch', 400],
    ['IncompleteBody', 400],
    ['OperationAborted', 409],
    ['RequestTimeout', 400],
    ['SlowDown', 503],
    ['InternalError', 500],
    ['TooManyRequests', 429],
  ];
  for (const [code, status] of retryable) {
    it(`${code} (${status}) is retryable`, () => {
      const mapped = mapS3Error(sdkError(code, status), context);
      expect(mapped.retry).toBe('retryable');
      expect(mapped.message).toContain(code);
    });
  }

  // The request itself is refused: sending it again draws the same answer.
  const refused: [string, number][] = [
    ['InvalidArgument', 400],
    ['EntityTooLarge', 400],
    ['InvalidDigest', 400],
    ['MethodNotAllowed', 405],
    ['InvalidBucketName', 400],
    ['AccessDenied', 403],
  ];
  for (const [code, status] of refused) {
    it(`${code} (${status}) is not retried`, () => {
      expect(mapS3Error(sdkError(code, status), context).retry).toBe('noRetry');
    });
  }
});
