import { describe, expect, it } from 'vitest';
import { redactArgs } from '../../src/cli/startup.js';

const R = '*** REDACTED ***';

describe('redactArgs (the -vv "Starting with arguments" line)', () => {
  it('hides bare key=value arguments of secret options, the whole value', () => {
    expect(redactArgs(['config', 'update', 'r', 'secret_access_key=ab:cd,ef', 'region=x'])).toEqual(['config', 'update', 'r', `secret_access_key=${R}`, 'region=x']);
    expect(redactArgs(['config', 'update', 'r', 'session-token=T'])).toEqual(['config', 'update', 'r', `session-token=${R}`]);
  });

  it('hides the word after a bare secret key name (rclone\'s key value pairs)', () => {
    expect(redactArgs(['config', 'create', 'r', 's3', 'provider', 'Ceph', 'access_key_id', 'AK', 'acl', 'private'])).toEqual([
      'config', 'create', 'r', 's3', 'provider', 'Ceph', 'access_key_id', R, 'acl', 'private',
    ]);
    // After --, a value starting with a dash is still a value.
    expect(redactArgs(['config', 'create', 'r', 's3', '--', 'secret_access_key', '-SK'])).toEqual(['config', 'create', 'r', 's3', '--', 'secret_access_key', R]);
  });

  it('still hides secrets in flags and in connection strings given to flags', () => {
    expect(redactArgs(['--s3-secret-access-key', 'S', 'copy', 'a', 'b'])).toEqual(['--s3-secret-access-key', R, 'copy', 'a', 'b']);
    expect(redactArgs(['--backup-dir=:s3,secret_access_key=S:b', 'sync', 'a', 'b'])).toEqual([`--backup-dir=:s3,secret_access_key=${R}:b`, 'sync', 'a', 'b']);
  });
});
