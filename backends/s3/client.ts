import * as http from 'node:http';
import type * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, DeserializeMiddleware, HttpRequest } from '@smithy/types';
import { fsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import { enabled, logDebug, logNotice } from '../../src/lib/log.js';
import { quoteName } from '../../src/lib/escape.js';
import { echo } from './errors.js';
import { signV2 } from './sigv2.js';
import { LeanS3 } from './lean.js';
import type { ProviderQuirks } from './providers.js';

export interface ClientSettings {
  quirks: ProviderQuirks;
  isAws: boolean;
  region: string;
  endpoint: string;
  forcePathStyle: boolean;
  v2Auth: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  envAuth: boolean;
  profile: string;
  sharedCredentialsFile: string;
  maxSockets: number;
  env: Readonly<Record<string, string | undefined>>;
  /** --timeout, --contimeout and the TLS flags. */
  globals: Pick<BackendGlobals, 'timeoutMs' | 'conTimeoutMs' | 'noCheckCertificate' | 'caCert'>;
}

export type AuthMode = 'keys' | 'env' | 'anonymous';

/**
 * The pacer's attempt, which the door writes on a command's input under this key for the
 * -vv request log (a symbol: never serialised, but kept by the SDK's copies of the input).
 */
export const ATTEMPT = Symbol('nclone attempt');
export type { Attempt } from './commands.js';
import type { Attempt } from './commands.js';

/** How many attempts the door needed for a command it sent (1 when it does not say). */
export function attemptsOf(cmd: { input: unknown }): number {
  return (cmd.input as { [ATTEMPT]?: Attempt })[ATTEMPT]?.attempt ?? 1;
}

/** rclone's order: keys from the config; else with env_auth the SDK's default chain; else anonymous. */
export async function credentialsFor(s: ClientSettings): Promise<{ mode: AuthMode; provider?: AwsCredentialIdentityProvider }> {
  if (s.accessKeyId !== '' || s.secretAccessKey !== '') {
    if (s.accessKeyId === '') throw fsError('config', 'access_key_id is not set but secret_access_key is: set both, or neither for anonymous access');
    if (s.secretAccessKey === '') throw fsError('config', 'secret_access_key is not set but access_key_id is: set both, or neither for anonymous access');
    const creds: AwsCredentialIdentity = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken || undefined };
    return { mode: 'keys', provider: async () => creds };
  }
  if (!s.envAuth) return { mode: 'anonymous' };
  // rclone also takes the older AWS_ACCESS_KEY / AWS_SECRET_KEY names.
  const { AWS_ACCESS_KEY_ID, AWS_ACCESS_KEY, AWS_SECRET_KEY } = s.env;
  if (!AWS_ACCESS_KEY_ID && AWS_ACCESS_KEY && AWS_SECRET_KEY) {
    const creds: AwsCredentialIdentity = { accessKeyId: AWS_ACCESS_KEY, secretAccessKey: AWS_SECRET_KEY, sessionToken: s.env.AWS_SESSION_TOKEN };
    return { mode: 'env', provider: async () => creds };
  }
  // The SDK's chain (files, SSO, web identity, containers, instance metadata) loads only here.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return {
    mode: 'env',
    provider: defaultProvider({ profile: s.profile || undefined, filepath: s.sharedCredentialsFile || undefined }),
  };
}

/** Requests with no Authorization header and no credential lookup at all (public buckets). */
const ANONYMOUS: Pick<S3ClientConfig, 'httpAuthSchemes' | 'httpAuthSchemeProvider'> = {
  httpAuthSchemes: [{ schemeId: 'smithy.api#noAuth', identityProvider: () => async () => ({}), signer: { sign: async (request) => request } }],
  httpAuthSchemeProvider: () => [{ schemeId: 'smithy.api#noAuth' }],
};

/**
 * Certificates are checked against the system's authorities, or those of --ca-cert (else
 * AWS_CA_BUNDLE, honoured as other AWS tools do); --no-check-certificate turns it off.
 */
function httpsAgent(s: ClientSettings, tls: typeof https): https.Agent {
  const files = s.globals.caCert.length ? s.globals.caCert.map((f) => ({ f, from: '--ca-cert' })) : s.env.AWS_CA_BUNDLE ? [{ f: s.env.AWS_CA_BUNDLE, from: 'AWS_CA_BUNDLE' }] : [];
  const ca = files.map(({ f, from }) => {
    try {
      return readFileSync(f);
    } catch (err) {
      throw fsError('config', `can't read ${from} ${f}: ${(err as Error).message}`);
    }
  });
  return new tls.Agent({ keepAlive: true, maxSockets: s.maxSockets, ca: ca.length ? ca : undefined, rejectUnauthorized: !s.globals.noCheckCertificate });
}

/**
 * Like makeClient, but with env_auth and nothing found in the environment, falls back to
 * anonymous requests (what s3:// URLs of public datasets need) and says so once.
 */
export async function makeClientWithFallback(s: ClientSettings): Promise<Made> {
  const made = await makeClient(s);
  if (made.auth !== 'env') return made;
  try {
    await made.credentials!();
    return made;
  } catch {
    made.destroy();
    logNotice(undefined, 'no AWS credentials found in the environment: using anonymous (unsigned) requests');
    return makeClient({ ...s, envAuth: false });
  }
}

export interface SdkHandle {
  client: S3Client;
  module: typeof import('@aws-sdk/client-s3');
}

export interface Made {
  auth: AuthMode;
  credentials?: AwsCredentialIdentityProvider;
  /** Requests are signed with signature v2 (never for anonymous ones). */
  v2Auth: boolean;
  /** The direct path for the hottest requests, when the remote suits it (see lean.ts). */
  lean?: LeanS3;
  /** The SDK's client, made (and the SDK loaded) on first use. */
  sdk(): Promise<SdkHandle>;
  /** Closes the connections. */
  destroy(): void;
}

export async function makeClient(s: ClientSettings): Promise<Made> {
  const { mode, provider } = await credentialsFor(s);
  const endpoint = normalizeEndpoint(s.endpoint);
  // One pool of connections for the SDK and the direct path.
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: s.maxSockets });
  // node:https (and TLS with it) costs some 5 ms to load: only for an endpoint that needs it.
  const tls = endpoint !== undefined && new URL(endpoint).protocol === 'http:' ? undefined : await import('node:https');
  const tlsAgent = tls && httpsAgent(s, tls);
  if (mode === 'anonymous' && s.v2Auth) logNotice(undefined, 'v2_auth has no effect on anonymous requests');
  let made: Promise<SdkHandle> | undefined;
  let client: S3Client | undefined;
  const sdk = () => (made ??= sdkClient(s, mode, provider, endpoint, httpAgent, tlsAgent).then((h) => ((client = h.client), h)));
  // AWS stays with the SDK: it follows AWS's region redirects and adds its checksums.
  const lean =
    endpoint === undefined || s.isAws || s.env.NCLONE_S3_SDK_ONLY === '1'
      ? undefined
      : new LeanS3({
          endpoint: new URL(endpoint),
          pathStyle: s.forcePathStyle,
          region: s.region,
          credentials: mode === 'anonymous' ? undefined : provider,
          v2Auth: s.v2Auth,
          agent: tlsAgent ?? httpAgent,
          request: tls?.request,
          timeoutMs: s.globals.timeoutMs,
          conTimeoutMs: s.globals.conTimeoutMs,
        });
  const destroy = () => {
    client?.destroy();
    httpAgent.destroy();
    tlsAgent?.destroy();
  };
  return { auth: mode, credentials: provider, v2Auth: s.v2Auth && mode !== 'anonymous', lean, sdk, destroy };
}

async function sdkClient(
  s: ClientSettings,
  mode: AuthMode,
  provider: AwsCredentialIdentityProvider | undefined,
  endpoint: string | undefined,
  httpAgent: http.Agent,
  tlsAgent: https.Agent | undefined,
): Promise<SdkHandle> {
  // The pinned SDK supports Node 20; its notice about future releases is not for nclone's users.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [module, { NodeHttpHandler }] = await Promise.all([import('@aws-sdk/client-s3'), import('@smithy/node-http-handler')]);
  const checksums = s.quirks.sdkChecksums && !s.v2Auth ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  const config: S3ClientConfig = {
    region: s.region,
    endpoint,
    forcePathStyle: s.forcePathStyle,
    requestHandler: new NodeHttpHandler({
      httpAgent,
      httpsAgent: tlsAgent,
      connectionTimeout: s.globals.conTimeoutMs || undefined,
      // --timeout is an idle timeout, as rclone's: a socket silent this long is dropped (the
      // request then fails as retryable), however long a big transfer takes in all.
      socketTimeout: s.globals.timeoutMs || undefined,
    }),
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    followRegionRedirects: s.isAws && endpoint === undefined,
    // Access point ARNs carry their region.
    useArnRegion: true,
    // The remote's pacer (door.ts) is the one retry layer: the SDK sends each request once.
    maxAttempts: 1,
    // Without a logger the SDK writes some warnings straight to the console (e.g. "An error was
    // encountered in a non-retryable streaming request." on every failed upload): nclone reports
    // the error itself, so these go to the debug log. The SDK also hands every failed request
    // to error() as an object dump with a stack: nclone reports the error where it is handled,
    // and logRequests already gave the request its one line, so that dump is dropped.
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (...m: unknown[]) => logDebug(undefined, `s3: ${echo(format(...m))}`),
      error: () => undefined,
    },
  };
  if (mode === 'anonymous') Object.assign(config, ANONYMOUS);
  else {
    config.credentials = provider;
    // Every request and retry passes through this signer.
    if (s.v2Auth) config.signer = { sign: async (request) => signV2(request as HttpRequest, await provider!()) as typeof request };
  }
  const client = new module.S3Client(config);
  client.middlewareStack.add(logRequests(), { step: 'deserialize', priority: 'low', name: 'ncloneRequestLog' });
  return { client, module };
}

/**
 * The endpoint with its scheme (https:// when none is written), checked: a value that is not
 * a URL would otherwise fail inside the SDK as "TypeError: Invalid URL" on the first request.
 */
export function normalizeEndpoint(raw: string): string | undefined {
  if (raw === '') return undefined;
  const endpoint = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  const shown = JSON.stringify(echo(raw));
  if (!url || url.hostname === '') {
    throw fsError('config', `endpoint ${shown} is not a valid URL: check the host name and the port (0-65535), e.g. endpoint = http://127.0.0.1:9000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fsError('config', `endpoint ${shown} must start with http:// or https://`);
  return endpoint;
}

/**
 * At -vv, one line per HTTP request and attempt: method, bucket/key, status, duration. Runs
 * inside the retry loop and below the deserializer, so it sees every attempt's raw status.
 * Never the query string (presigned signatures, tokens) nor any header but the attempt count.
 */
function logRequests<I extends object, O extends object>(): DeserializeMiddleware<I, O> {
  return (next, context) => async (args) => {
    if (!enabled('DEBUG')) return next(args);
    const input = args.input as { Bucket?: string; Key?: string; Prefix?: string };
    const request = args.request as Partial<HttpRequest>;
    const attempt = (args.input as { [ATTEMPT]?: Attempt })[ATTEMPT];
    const what = [input.Bucket, input.Key ?? input.Prefix].filter((p) => p !== undefined && p !== '').join('/');
    const label = `s3: ${request.method ?? '?'} ${quoteName(what || '/')} (${String(context.commandName ?? '').replace(/Command$/, '')})`;
    const tail = (start: number) => `in ${Date.now() - start} ms, attempt ${attempt ? `${attempt.attempt}/${attempt.of}` : 1}`;
    const start = Date.now();
    try {
      const res = await next(args);
      logDebug(undefined, `${label}: HTTP ${(res.response as { statusCode?: number }).statusCode ?? '?'} ${tail(start)}`);
      return res;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? (err as { $response?: { statusCode?: number } }).$response?.statusCode;
      const why = status !== undefined ? `HTTP ${status}` : echo(String((err as { code?: string }).code ?? (err as Error).name ?? 'error'));
      logDebug(undefined, `${label}: ${why} ${tail(start)}`);
      throw err;
    }
  };
}
