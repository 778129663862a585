import { createHmac } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { HttpRequest } from '@smithy/types';
import type { S3Door } from './door.js';
import { stringToSignV2 } from './sigv2.js';

/** Signature v4 URLs work for a week at most; rclone holds v2 ones to the same limit. */
export const MAX_LINK_SECONDS = 7 * 24 * 3600;

/**
 * A URL to GET bucket/key with: signed with v4 (the SDK's presigner), with v2 (query-string
 * authentication, for servers that only speak v2), or plain for anonymous remotes, whose
 * objects are public or not reachable at all. The URL is the one the SDK would request, so
 * endpoint, path style and the encoding of the key are the client's own.
 */
export async function objectLink(door: S3Door, bucket: string, key: string, expireSeconds: number, now = Date.now()): Promise<string> {
  const { client } = await door.sdk();
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  const signing = door.signing;
  if (door.auth !== 'anonymous' && !signing.v2) return getSignedUrl(client, command, { expiresIn: expireSeconds });
  const request = await unsignedRequest(client, command);
  // The SDK names the operation in the query; a link is plainer without it (nothing signs it).
  request.query = { ...request.query };
  delete request.query['x-id'];
  if (door.auth === 'anonymous') return urlOf(request);
  const creds = await signing.credentials!();
  const expires = String(Math.floor(now / 1000) + expireSeconds);
  // v2 query-string authentication signs the expiry time where a request signs its Date.
  const headers: Record<string, string> = { date: expires };
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
  const signature = createHmac('sha1', creds.secretAccessKey)
    .update(stringToSignV2({ ...request, method: 'GET', headers } as HttpRequest), 'utf8')
    .digest('base64');
  request.query = { ...request.query, AWSAccessKeyId: creds.accessKeyId, Expires: expires, Signature: signature };
  if (creds.sessionToken) request.query['x-amz-security-token'] = creds.sessionToken;
  return urlOf(request);
}

/** The request the client would send for command, built by its own middleware but neither signed nor sent. */
async function unsignedRequest(client: S3Client, command: GetObjectCommand): Promise<HttpRequest> {
  let captured: HttpRequest | undefined;
  const stack = client.middlewareStack.clone();
  stack.addRelativeTo(
    () => async (args: { request: unknown }) => {
      captured = args.request as HttpRequest;
      return { response: {}, output: { $metadata: {} } };
    },
    { name: 'ncloneCaptureRequest', relation: 'before', toMiddleware: 'awsAuthMiddleware', override: true },
  );
  const handler = command.resolveMiddleware(stack as never, client.config, {});
  await handler({ input: command.input });
  if (!captured) throw new Error('the S3 client built no request for the link');
  return captured;
}

function urlOf(r: HttpRequest): string {
  const query = Object.entries(r.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => (one === null || one === undefined ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(one)}`)))
    .join('&');
  const port = r.port ? `:${r.port}` : '';
  return `${r.protocol}//${r.hostname}${port}${r.path}${query ? `?${query}` : ''}`;
}
