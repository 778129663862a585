import { describe, expect, it } from 'vitest';
import { parseS3Url } from '../../backends/s3/url.js';
import { detectProvider } from '../../backends/s3/providers.js';

describe('s3:// URLs', () => {
  it('takes bucket and path, and uses the environment (or anonymous) without keys', () => {
    expect(parseS3Url('bucket/a/b%20c')).toEqual({ root: 'bucket/a/b c', params: { env_auth: 'true' }, warnings: [] });
    expect(parseS3Url('bucket')).toEqual({ root: 'bucket', params: { env_auth: 'true' }, warnings: [] });
  });

  it('maps the query names other tools use onto options, and warns about keys', () => {
    const u = parseS3Url(
      'b/p?region=us-east-2&endpoint=http://127.0.0.1:9000&access-key=K&secret-access-key=S&session-token=T&force-path-style=true&provider=Minio&acl=private&storage-class=STANDARD_IA&s3-location-constraint=EU&list_chunk=5&no-check-bucket=true',
    );
    expect(u.root).toBe('b/p');
    expect(u.params).toEqual({
      region: 'us-east-2',
      endpoint: 'http://127.0.0.1:9000',
      access_key_id: 'K',
      secret_access_key: 'S',
      session_token: 'T',
      force_path_style: 'true',
      provider: 'Minio',
      acl: 'private',
      storage_class: 'STANDARD_IA',
      location_constraint: 'EU',
      list_chunk: '5',
      no_check_bucket: 'true',
    });
    expect(u.warnings.join()).toMatch(/process list and shell history/);
    expect(parseS3Url('b?aws-access-key-id=K&aws-secret-access-key=S').params).toEqual({ access_key_id: 'K', secret_access_key: 'S' });
    expect(parseS3Url('b?access-key-id=K&secret-access-key=S').params).toEqual({ access_key_id: 'K', secret_access_key: 'S' });
  });

  it('reads the bucket and region from a virtual-hosted AWS host', () => {
    expect(parseS3Url('my.bucket.s3.eu-central-1.amazonaws.com/x/y')).toEqual({ root: 'my.bucket/x/y', params: { region: 'eu-central-1', provider: 'AWS', env_auth: 'true' }, warnings: [] });
    expect(parseS3Url('bkt.s3.amazonaws.com').params.region).toBe('us-east-1');
    expect(parseS3Url('bkt.s3.eu-west-1.amazonaws.com?region=us-west-2').params.region).toBe('us-west-2');
  });

  it('takes an endpoint host before the bucket where that is unambiguous', () => {
    expect(parseS3Url('127.0.0.1:7480/bucket/dir?use-ssl=false')).toEqual({ root: 'bucket/dir', params: { endpoint: 'http://127.0.0.1:7480', env_auth: 'true' }, warnings: [] });
    expect(parseS3Url('nyc3.digitaloceanspaces.com/space/p').params.endpoint).toBe('https://nyc3.digitaloceanspaces.com');
    expect(parseS3Url('s3.wasabisys.com/b').root).toBe('b');
    // A dotted name that is not a known endpoint is a bucket.
    expect(parseS3Url('backups.example.com/p').root).toBe('backups.example.com/p');
    expect(parseS3Url('b?endpoint=minio.local:9000&use_ssl=false').params.endpoint).toBe('http://minio.local:9000');
  });

  it('accepts access point ARNs, with the region from the ARN unless given', () => {
    expect(parseS3Url('arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap/backups/x')).toEqual({
      root: 'arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap/backups/x',
      params: { region: 'us-east-2', provider: 'AWS', env_auth: 'true' },
      warnings: [],
    });
    expect(parseS3Url('arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap?region=eu-west-1').params.region).toBe('eu-west-1');
  });

  it('rejects unknown parameters, naming them', () => {
    expect(() => parseS3Url('b?colour=red')).toThrow(/unknown parameter "colour"/);
  });
});

describe('provider detection from the endpoint host', () => {
  it.each([
    ['s3.eu-west-2.amazonaws.com', { provider: 'AWS', region: 'eu-west-2' }],
    ['https://s3.amazonaws.com', { provider: 'AWS', region: undefined }],
    ['fra1.digitaloceanspaces.com', { provider: 'DigitalOcean', region: 'fra1' }],
    ['s3.eu-central-1.wasabisys.com', { provider: 'Wasabi', region: 'eu-central-1' }],
    ['s3.us-west-004.backblazeb2.com', { provider: 'B2', region: 'us-west-004' }],
    ['us-east-1.linodeobjects.com', { provider: 'Linode', region: 'us-east-1' }],
    ['s3.fr-par.scw.cloud', { provider: 'Scaleway', region: 'fr-par' }],
    ['https://abc123.r2.cloudflarestorage.com', { provider: 'Cloudflare', region: 'auto' }],
    ['storage.googleapis.com', { provider: 'GCS', region: undefined }],
  ])('%s', (host, want) => {
    expect(detectProvider(host)).toEqual(want);
  });

  it('knows nothing of other hosts', () => {
    expect(detectProvider('http://127.0.0.1:7480')).toBeUndefined();
    expect(detectProvider('minio.internal')).toBeUndefined();
  });
});
