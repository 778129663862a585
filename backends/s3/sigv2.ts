import { createHmac } from 'node:crypto';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';

/**
 * Query parameters that are part of the signed resource in signature v2. Not "restore": the
 * servers still speaking v2 (Ceph RGW, as rclone's signer) leave it out, and a RestoreObject
 * signed with it fails there as SignatureDoesNotMatch.
 */
const SUB_RESOURCES = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment',
  'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

function header(request: HttpRequest, name: string): string {
  for (const [k, v] of Object.entries(request.headers)) if (k.toLowerCase() === name) return v;
  return '';
}

/** The string AWS signature v2 signs (path-style requests: the path already starts with /bucket). */
export function stringToSignV2(request: HttpRequest): string {
  const amz = Object.entries(request.headers)
    .map(([k, v]) => [k.toLowerCase(), String(v).trim()] as const)
    .filter(([k]) => k.startsWith('x-amz-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  const sub: string[] = [];
  for (const [k, v] of Object.entries(request.query ?? {})) {
    if (!SUB_RESOURCES.has(k)) continue;
    const value = Array.isArray(v) ? v[0] : v;
    sub.push(value === null || value === undefined || value === '' ? k : `${k}=${value}`);
  }
  sub.sort();
  const resource = (request.path || '/') + (sub.length ? `?${sub.join('&')}` : '');
  return `${request.method}\n${header(request, 'content-md5')}\n${header(request, 'content-type')}\n${header(request, 'date')}\n${amz}${resource}`;
}

/**
 * Signs a request with AWS signature v2 (HMAC-SHA1), for old Ceph and other clones.
 * The SDK's own date header is replaced by one RFC 1123 Date, which v2 signs.
 */
export function signV2(request: HttpRequest, creds: AwsCredentialIdentity, now = new Date()): HttpRequest {
  for (const k of Object.keys(request.headers)) {
    const l = k.toLowerCase();
    if (l === 'x-amz-date' || l === 'date' || l === 'authorization') delete request.headers[k];
  }
  request.headers['date'] = now.toUTCString();
  if (creds.sessionToken) request.headers['x-amz-security-token'] = creds.sessionToken;
  const signature = createHmac('sha1', creds.secretAccessKey).update(stringToSignV2(request), 'utf8').digest('base64');
  request.headers['authorization'] = `AWS ${creds.accessKeyId}:${signature}`;
  return request;
}
