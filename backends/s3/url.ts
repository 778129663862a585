import type { UrlRemote } from '../../src/fs/registry.js';
import { fsError } from '../../src/fs/errors.js';
import { S3_OPTIONS } from './options.js';
import { isSecret } from '../../src/fs/options.js';
import { detectProvider } from './providers.js';

/** Query names users already write (AWS CLI, Litestream, Duplicati, s5cmd, ...) and the option each sets. */
const ALIASES: Record<string, string> = {
  'access-key': 'access_key_id',
  'access-key-id': 'access_key_id',
  'aws-access-key-id': 'access_key_id',
  'secret-key': 'secret_access_key',
  'secret-access-key': 'secret_access_key',
  'aws-secret-access-key': 'secret_access_key',
  'session-token': 'session_token',
  'aws-session-token': 'session_token',
  'force-path-style': 'force_path_style',
  'storage-class': 'storage_class',
  's3-location-constraint': 'location_constraint',
  'location-constraint': 'location_constraint',
};

const SECRET_OPTIONS = new Set(S3_OPTIONS.filter(isSecret).map((o) => o.name));

function optionName(query: string): string | undefined {
  const alias = ALIASES[query.toLowerCase()];
  if (alias) return alias;
  const name = query.toLowerCase().replace(/-/g, '_');
  return S3_OPTIONS.some((o) => o.name === name) ? name : undefined;
}

function isEndpointHost(host: string): boolean {
  return /:\d+$/.test(host) || /^\[.*\]$/.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host === 'localhost' || detectProvider(host) !== undefined;
}

/**
 * s3://BUCKET/PATH?query, s3://BUCKET.s3.REGION.amazonaws.com/PATH, s3://ENDPOINT-HOST/BUCKET/PATH
 * and s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/PATH. Without keys in the URL,
 * credentials come from the environment, and requests are anonymous if there are none.
 */
export function parseS3Url(rest: string): UrlRemote {
  const q = rest.indexOf('?');
  const location = q < 0 ? rest : rest.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  const params: Record<string, string> = {};
  const warnings: string[] = [];
  let useSsl = true;
  for (const [k, v] of query) {
    if (k === 'use-ssl' || k === 'use_ssl') {
      useSsl = !/^(false|0|no|off)$/i.test(v);
      continue;
    }
    const name = optionName(k);
    if (!name) {
      throw fsError('usage', `unknown parameter "${k}" in s3:// URL: use region, endpoint, access-key-id, secret-access-key, session-token, force-path-style, provider, acl, storage-class, use-ssl, s3-location-constraint or an s3 option name`);
    }
    params[name] = v;
  }
  if ([...SECRET_OPTIONS].some((s) => params[s] !== undefined)) {
    warnings.push('credentials in an s3:// URL show in the process list and shell history: prefer AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a config file');
  }

  let bucket: string;
  let path: string;
  const arn = /^(arn:[^:/]+:s3:([^:/]*):[^:/]*:accesspoint[/:][^/]+)(?:\/(.*))?$/.exec(location);
  if (arn) {
    bucket = arn[1]!;
    path = arn[3] ?? '';
    if (arn[2]) params.region ??= arn[2];
    params.provider ??= 'AWS';
  } else {
    const slash = location.indexOf('/');
    const host = slash < 0 ? location : location.slice(0, slash);
    const after = slash < 0 ? '' : location.slice(slash + 1);
    const aws = /^(.+)\.s3[.-](?:([a-z0-9-]+)\.)?amazonaws\.com$/.exec(host);
    if (aws && !/:\d+$/.test(host)) {
      bucket = aws[1]!;
      path = after;
      params.region ??= aws[2] === undefined || aws[2] === 'dualstack' ? 'us-east-1' : aws[2];
      params.provider ??= 'AWS';
    } else if (isEndpointHost(host)) {
      params.endpoint ??= `${useSsl ? 'https' : 'http'}://${host}`;
      const s = after.indexOf('/');
      bucket = s < 0 ? after : after.slice(0, s);
      path = s < 0 ? '' : after.slice(s + 1);
    } else {
      bucket = host;
      path = after;
    }
  }
  if (params.endpoint !== undefined && !/^[a-z]+:\/\//i.test(params.endpoint)) params.endpoint = `${useSsl ? 'https' : 'http'}://${params.endpoint}`;
  if (params.access_key_id === undefined && params.secret_access_key === undefined) params.env_auth ??= 'true';
  const decoded = decodeURIComponent(path);
  return { root: decoded === '' ? bucket : `${bucket}/${decoded}`, params, warnings };
}
