/**
 * `config create` and `config update` with a value outside an enumeration's known values
 * (provider, acl, storage_class...): the value is kept, and one line on stderr names the
 * nearest known value. Through the CLI, on real config files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Sandbox, parseSections } from './config/harness.js';

let sb: Sandbox;
beforeAll(() => {
  sb = new Sandbox();
});
afterAll(() => sb?.cleanup());

function stderrLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '');
}

describe('config create with a misspelt value', () => {
  it('provider=Cephh is written as given, with one warning suggesting Ceph', async () => {
    const file = sb.conf('cephh');
    const r = await sb.nc(file, ['config', 'create', 'r', 's3', 'provider=Cephh', 'endpoint=http://127.0.0.1:9000']);
    expect(r.code).toBe(0);
    const warn = stderrLines(r.stderr);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatch(/NOTICE\s*: r: provider = "Cephh" is not a known provider value \(kept as given\): did you mean Ceph\?$/);
    expect(parseSections(readFileSync(file, 'utf8')).r).toMatchObject({ type: 's3', provider: 'Cephh' });
  });

  it('matches without regard to case, so a wrong case is suggested its right spelling', async () => {
    const r = await sb.nc(sb.conf('case'), ['config', 'create', 'r', 's3', 'provider=minio']);
    expect(r.code).toBe(0);
    expect(stderrLines(r.stderr)).toEqual([expect.stringMatching(/provider = "minio" .*did you mean Minio\?$/)]);
  });

  it('one line per misspelt enumeration (acl, and storage_class for AWS), none for free-form options', async () => {
    const r = await sb.nc(sb.conf('several'), ['config', 'create', 'r', 's3', 'provider=AWS', 'acl=public-raed', 'storage_class=GLACEIR_IR', 'region=xx-new-1', 'endpoint=anything']);
    expect(r.code).toBe(0);
    expect(stderrLines(r.stderr)).toEqual([
      expect.stringMatching(/r: acl = "public-raed" .*did you mean public-read\?$/),
      expect.stringMatching(/r: storage_class = "GLACEIR_IR" .*did you mean GLACIER_IR\?$/),
    ]);
  });

  it('a value far from every known one lists the known values instead of guessing', async () => {
    const r = await sb.nc(sb.conf('far'), ['config', 'create', 'r', 's3', 'provider=Zorglub']);
    expect(r.code).toBe(0);
    expect(stderrLines(r.stderr)).toEqual([expect.stringMatching(/provider = "Zorglub" is not a known provider value \(kept as given\): known values: AWS, Ceph, .*Other$/)]);
  });

  it('known values give no warning at all', async () => {
    const r = await sb.nc(sb.conf('ok'), ['config', 'create', 'r', 's3', 'provider=Ceph', 'acl=private', 'bucket_acl=public-read']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('config update with a misspelt value', () => {
  it('warns the same way and still updates the file', async () => {
    const file = sb.conf('update');
    expect((await sb.nc(file, ['config', 'create', 'r', 's3', 'provider=Ceph'])).stderr).toBe('');
    const r = await sb.nc(file, ['config', 'update', 'r', 'provider=Cephh', 'bucket_acl=privat']);
    expect(r.code).toBe(0);
    expect(stderrLines(r.stderr)).toEqual([
      expect.stringMatching(/r: provider = "Cephh" .*did you mean Ceph\?$/),
      expect.stringMatching(/r: bucket_acl = "privat" .*did you mean private\?$/),
    ]);
    expect(parseSections(readFileSync(file, 'utf8')).r).toMatchObject({ provider: 'Cephh', bucket_acl: 'privat' });
  });
});
