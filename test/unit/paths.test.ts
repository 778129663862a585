import { describe, expect, it } from 'vitest';
import { parsePath } from '../../src/fs/path.js';
import { FsError } from '../../src/fs/errors.js';

describe('parsePath', () => {
  it.each([
    ['/abs/dir', { kind: 'local', path: '/abs/dir' }],
    ['rel/dir', { kind: 'local', path: 'rel/dir' }],
    ['./a:b', { kind: 'local', path: './a:b' }],
    ['dir/x:y', { kind: 'local', path: 'dir/x:y' }],
    ['plain', { kind: 'local', path: 'plain' }],
    ['remote:', { kind: 'remote', name: 'remote', params: {}, path: '' }],
    ['my remote:bucket/dir', { kind: 'remote', name: 'my remote', params: {}, path: 'bucket/dir' }],
    ['r.1_x-y@z+:p', { kind: 'remote', name: 'r.1_x-y@z+', params: {}, path: 'p' }],
    ['remote,acl=public-read:bucket/path', { kind: 'remote', name: 'remote', params: { acl: 'public-read' }, path: 'bucket/path' }],
    [':local:/tmp/x', { kind: 'onTheFly', backend: 'local', params: {}, path: '/tmp/x' }],
    [':s3,env_auth:bucket', { kind: 'onTheFly', backend: 's3', params: { env_auth: 'true' }, path: 'bucket' }],
    [
      ":s3,provider=Minio,endpoint='http://127.0.0.1:7480',access_key_id=K,secret_access_key=S:bucket/path",
      { kind: 'onTheFly', backend: 's3', params: { provider: 'Minio', endpoint: 'http://127.0.0.1:7480', access_key_id: 'K', secret_access_key: 'S' }, path: 'bucket/path' },
    ],
    [`:s3,secret_access_key="a/b:c,d""e":b`, { kind: 'onTheFly', backend: 's3', params: { secret_access_key: 'a/b:c,d"e' }, path: 'b' }],
    [":s3,x='it''s':b", { kind: 'onTheFly', backend: 's3', params: { x: "it's" }, path: 'b' }],
    [':s3,access-key-id=K:b', { kind: 'onTheFly', backend: 's3', params: { access_key_id: 'K' }, path: 'b' }],
    ['s3://bucket/path?region=eu-west-1', { kind: 'url', scheme: 's3', rest: 'bucket/path?region=eu-west-1' }],
    ['FILE:///tmp', { kind: 'url', scheme: 'file', rest: '/tmp' }],
  ])('%s', (input, want) => {
    expect(parsePath(input)).toEqual(want);
  });

  it.each([
    ['', /empty path/],
    [":s3,endpoint='http://x:b", /unterminated ' quote in option endpoint/],
    [':s3,=v:b', /empty option name/],
    [':-bad:x', /"-bad" is not a valid backend name/],
    [":s3,a='b'c:x", /expected ':' after the backend options/],
    [':s3,provider=Ceph,endpoint=http://127.0.0.1:9000:bucket', /the value of endpoint contains ':' so it must be quoted, as in endpoint='http:\/\/127\.0\.0\.1:9000'$/],
    ['rgw,endpoint=https://s3.example.com/base,region=x:bucket', /as in endpoint='https:\/\/s3\.example\.com\/base'$/],
    [':s3,endpoint=http://[::1]:7480:b', /as in endpoint='http:\/\/\[::1\]:7480'$/],
    [':s3,s3-endpoint=http://127.0.0.1:9000', /the value of s3-endpoint contains ':'.* s3-endpoint='http:\/\/127\.0\.0\.1:9000'$/],
  ])('rejects %j clearly', (input, message) => {
    let err: unknown;
    try {
      parsePath(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FsError);
    expect((err as FsError).kind).toBe('usage');
    expect((err as Error).message).toMatch(message);
  });

  it('the quoted form it suggests for an unquoted URL parses to the URL', () => {
    const input = ':s3,provider=Ceph,endpoint=http://127.0.0.1:9000:bucket/dir';
    let message = '';
    try {
      parsePath(input);
    } catch (e) {
      message = (e as Error).message;
    }
    const quoted = /as in (endpoint='[^']*')$/.exec(message)?.[1];
    expect(quoted).toBe("endpoint='http://127.0.0.1:9000'");
    expect(parsePath(`:s3,provider=Ceph,${quoted}:bucket/dir`)).toEqual({
      kind: 'onTheFly',
      backend: 's3',
      params: { provider: 'Ceph', endpoint: 'http://127.0.0.1:9000' },
      path: 'bucket/dir',
    });
  });
});

describe('malformed connection strings in error messages', () => {
  it('never quote the value of a secret-looking option, even when the string does not parse', () => {
    for (const input of [
      ':s3,secret_access_key=TOPSECRET1,bad key=1:bucket',
      ":s3,secret_access_key='TOP,SECRET1:bucket",
      'remote,session_token="TOPSECRET1",:x',
      ':s3,sse_customer_key=TOPSECRET1,=v:b',
    ]) {
      let message = '';
      try {
        parsePath(input);
      } catch (err) {
        expect(err).toBeInstanceOf(FsError);
        message = (err as Error).message;
      }
      expect(message, input).toMatch(/^malformed path /);
      expect(message, input).not.toContain('TOPSECRET1');
      expect(message, input).not.toContain('SECRET1');
    }
  });
});
