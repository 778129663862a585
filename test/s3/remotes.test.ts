/**
 * Remotes without a config file (docs/remotes.md), end to end: bin/nclone against the test
 * Ceph RGW with connection strings (quoted values, a secret holding / , : ' "), s3:// URLs
 * (keys in the query, keys from AWS_* variables, an endpoint host), remotes defined only by
 * NCLONE_CONFIG_* variables, NCLONE_S3_* for every s3 remote, the option precedence stack
 * observed through the acl option, ${VAR} in config files, and anonymous access to a public
 * bucket (checked on a recording server too: no Authorization header). Needs a build.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Server } from '../helpers/s3.js';
import { expectCode, expectOk, lsLines, lslLines, putObject, removeBases, removeBuckets, sortedLines, uniqueBucket } from './helpers-cli.js';
import { makeRgwUser, recordingServer, serverKeys } from './helpers-backend.js';
import {
  FILES,
  awsKeys,
  childEnv,
  configFile,
  connString,
  dropBucketAs,
  expectPrivate,
  expectPublic,
  hostPort,
  keyedUrl,
  lines,
  localFiles,
  nclone,
  publicBucket,
  rgwSection,
  standIn,
  userClient,
  workspace,
  type Workspace,
} from './helpers-remotes.js';

let ws: Workspace;
let env: NodeJS.ProcessEnv;
const buckets: string[] = [];
const main = uniqueBucket('remotes-main');

/** A fresh bucket name, deleted after the run. */
function fresh(prefix: string): string {
  const b = uniqueBucket(prefix);
  buckets.push(b);
  return b;
}

const filePaths = FILES.map((f) => f.path).sort();
const URL_KEY_WARNING = /NOTICE: credentials in an s3:\/\/ URL show in the process list and shell history/;

beforeAll(async () => {
  ws = await workspace('remotes');
  env = childEnv(ws);
  buckets.push(main);
  expectOk(await nclone(env, 'mkdir', `${connString()}:${main}`));
});

afterAll(async () => {
  await removeBuckets(buckets);
  removeBases();
});

/** ls, lsl and lsd of a remote path holding FILES, and lsd of the remote's root listing `bucket`. */
async function expectListings(e: NodeJS.ProcessEnv, at: string, root: string, bucket: string, quiet = true): Promise<void> {
  const ls = await nclone(e, 'ls', at);
  expectOk(ls, quiet);
  expect(sortedLines(ls.stdout)).toEqual(lsLines(FILES));
  const lsl = await nclone(e, 'lsl', at);
  expectOk(lsl, quiet);
  expect(sortedLines(lsl.stdout)).toEqual(lslLines(FILES));
  const lsd = await nclone(e, 'lsd', at);
  expectOk(lsd, quiet);
  expect(lines(lsd.stdout)).toEqual([expect.stringMatching(/ -1 dir$/)]);
  const top = await nclone(e, 'lsd', root);
  expectOk(top, quiet);
  expect(lines(top.stdout)).toContainEqual(expect.stringMatching(new RegExp(` -1 ${bucket}$`)));
}

/** sync removes an object the source does not have; the prefix then holds exactly FILES. */
async function expectSync(e: NodeJS.ProcessEnv, at: string, bucket: string, prefix: string, quiet = true): Promise<void> {
  await putObject(bucket, `${prefix}/stray.txt`, 'not in the source');
  expectOk(await nclone(e, 'sync', ws.src, at), quiet);
  expect((await serverKeys(bucket, `${prefix}/`)).sort()).toEqual(filePaths.map((p) => `${prefix}/${p}`));
}

describe('connection strings', () => {
  it("with ' quoted values: copy, ls, lsl, lsd and sync", async () => {
    const at = `${connString()}:${main}/cs`;
    expectOk(await nclone(env, 'copy', ws.src, at));
    expect((await serverKeys(main, 'cs/')).sort()).toEqual(filePaths.map((p) => `cs/${p}`));
    await expectListings(env, at, `${connString()}:`, main);
    await expectSync(env, at, main, 'cs');
  });

  it('with " quoted values: copy, ls, lsl, lsd and sync', async () => {
    const at = `${connString('', '"')}:${main}/csdq`;
    expect(at).toContain(`endpoint="${s3Server().endpoint}"`);
    expectOk(await nclone(env, 'copy', ws.src, at));
    await expectListings(env, at, `${connString('', '"')}:`, main);
    await expectSync(env, at, main, 'csdq');
  });

  it("a quoted secret holding / , : ' \" reaches secret_access_key verbatim (a second RGW user)", async () => {
    const hex = randomBytes(4).toString('hex');
    const user = { uid: `remotes-${hex}`, key: `REMOTES${hex.toUpperCase()}`, secret: `sl/ash,com:col'q"${hex}` };
    await makeRgwUser(user.uid, user.key, user.secret);
    const own = uniqueBucket('remotes-u2');
    const single = `:s3,provider=Ceph,endpoint='${s3Server().endpoint}',access_key_id=${user.key},secret_access_key='${user.secret.replace(/'/g, "''")}'`;
    const double = `:s3,provider=Ceph,endpoint="${s3Server().endpoint}",access_key_id=${user.key},secret_access_key="${user.secret.replace(/"/g, '""')}"`;
    try {
      expectOk(await nclone(env, 'copy', ws.src, `${single}:${own}/p`));
      for (const cs of [single, double]) {
        await expectListings(env, `${cs}:${own}/p`, `${cs}:`, own);
        // Only the second user's bucket: the request was signed with its keys, not the admin's.
        const top = await nclone(env, 'lsd', `${cs}:`);
        expect(lines(top.stdout)).toEqual([expect.stringMatching(new RegExp(` -1 ${own}$`))]);
      }
      // One character off and the server refuses the signature: the value is really used.
      const wrong = await nclone(env, 'lsd', `${single.slice(0, -2)}X':`);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/signature does not match/);
    } finally {
      await dropBucketAs(userClient(user.key, user.secret), own);
    }
  });

  it('an unknown option name is exit 1 with one line listing the valid options', async () => {
    for (const cmd of ['ls', 'lsl', 'lsd']) {
      const r = await nclone(env, cmd, `${connString(',bogus_opt=1')}:${main}/cs`);
      expectCode(r, 1);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toEqual([expect.stringMatching(/unknown option "bogus_opt".*valid options are /)]);
      const valid = r.stderr.slice(r.stderr.indexOf('valid options are ')).trim().replace('valid options are ', '').split(', ');
      expect(valid).toEqual(expect.arrayContaining(['provider', 'access_key_id', 'secret_access_key', 'endpoint', 'acl', 'region']));
    }
    const r = await nclone(env, 'copy', ws.src, `${connString(',bogus_opt=1')}:${main}/never`);
    expectCode(r, 1);
    expect(await serverKeys(main, 'never/')).toEqual([]);
  });

  it('the unknown-option error does not echo the secret given in the same connection string', async () => {
    // URLs are redacted in messages because they may hold keys; a connection string holds them just the same.
    const r = await nclone(env, 'ls', `${connString(',bogus_opt=1')}:${main}/cs`);
    expectCode(r, 1);
    expect(r.stdout + r.stderr).not.toContain(s3Server().secretAccessKey);
  });

  it('remote,acl=public-read:bucket/x overrides a configured remote for this run only', async () => {
    const conf = configFile(ws, 'web.conf', rgwSection('web'));
    const plain = await nclone(env, '--config', conf, 'copy', ws.src, `web:${main}/web-plain`);
    expectOk(plain);
    await expectPrivate(main, 'web-plain/top.txt');
    // The documented example: nclone copy ./site "web,acl=public-read:www-bucket/" into an existing bucket.
    const pub = await nclone(env, '--config', conf, 'copy', ws.src, `web,acl=public-read:${main}/web-public`);
    expectOk(pub);
    for (const f of FILES) await expectPublic(main, `web-public/${f.path}`, f.data.toString());
    const ls = await nclone(env, '--config', conf, 'ls', `web,acl=public-read:${main}/web-public`);
    expectOk(ls);
    expect(sortedLines(ls.stdout)).toEqual(lsLines(FILES));
  });
});

describe('s3:// URLs', () => {
  it('keys in the query: copy (the documented seed invocation), one warning about the process list', async () => {
    const r = await nclone(env, 'copy', ws.src, keyedUrl(`${main}/url-keys`));
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(URL_KEY_WARNING)]);
    expect((await serverKeys(main, 'url-keys/')).sort()).toEqual(filePaths.map((p) => `url-keys/${p}`));
    // The same URL on both sides of a copy still warns once.
    const both = await nclone(env, 'copy', keyedUrl(`${main}/url-keys`), keyedUrl(`${main}/url-keys2`));
    expect(both.code, both.stderr).toBe(0);
    expect(lines(both.stderr)).toEqual([expect.stringMatching(URL_KEY_WARNING)]);
    expect((await serverKeys(main, 'url-keys2/')).sort()).toEqual(filePaths.map((p) => `url-keys2/${p}`));
  });

  it('keys in the query: ls, lsl, lsd and sync', async () => {
    expect((await nclone(env, 'copy', ws.src, keyedUrl(`${main}/url-keys-ls`))).code).toBe(0);
    await expectListings(env, keyedUrl(`${main}/url-keys-ls`), keyedUrl(''), main, false);
    const ls = await nclone(env, 'ls', keyedUrl(`${main}/url-keys-ls`));
    expect(lines(ls.stderr)).toEqual([expect.stringMatching(URL_KEY_WARNING)]);
    await expectSync(env, keyedUrl(`${main}/url-keys-ls`), main, 'url-keys-ls', false);
  });

  it('keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY with ?endpoint=: copy, ls, lsl, lsd, sync, and no warning', async () => {
    const e = childEnv(ws, awsKeys());
    const q = `?endpoint=${s3Server().endpoint}`;
    expectOk(await nclone(e, 'copy', ws.src, `s3://${main}/url-env${q}`));
    expect((await serverKeys(main, 'url-env/')).sort()).toEqual(filePaths.map((p) => `url-env/${p}`));
    await expectListings(e, `s3://${main}/url-env${q}`, `s3://${q}`, main);
    await expectSync(e, `s3://${main}/url-env${q}`, main, 'url-env');
  });

  it('s3://127.0.0.1:PORT/BUCKET/PATH?use-ssl=false with keys from the environment', async () => {
    const e = childEnv(ws, awsKeys());
    const at = `s3://${hostPort()}/${main}/url-host?use-ssl=false`;
    expect(at).toMatch(/^s3:\/\/127\.0\.0\.1:\d+\//);
    expectOk(await nclone(e, 'copy', ws.src, at));
    expect((await serverKeys(main, 'url-host/')).sort()).toEqual(filePaths.map((p) => `url-host/${p}`));
    await expectListings(e, at, `s3://${hostPort()}/?use-ssl=false`, main);
    await expectSync(e, at, main, 'url-host');
  });

  it('an unknown query parameter is exit 1 with one line, and the secret never shows', async () => {
    const secret = s3Server().secretAccessKey;
    for (const args of [['ls', keyedUrl(`${main}/url-keys`, '&bogus-param=1')], ['copy', ws.src, keyedUrl(`${main}/url-bad`, '&bogus-param=1')]]) {
      const r = await nclone(env, ...args);
      expectCode(r, 1);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(/unknown parameter "bogus-param" in s3:\/\/ URL/)]);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    expect(await serverKeys(main, 'url-bad/')).toEqual([]);
  });
});

describe('remotes from environment variables', () => {
  const mys3 = () => {
    const s = s3Server();
    return {
      NCLONE_CONFIG_MYS3_TYPE: 's3',
      NCLONE_CONFIG_MYS3_PROVIDER: 'Ceph',
      NCLONE_CONFIG_MYS3_ENDPOINT: s.endpoint,
      NCLONE_CONFIG_MYS3_ACCESS_KEY_ID: s.accessKeyId,
      NCLONE_CONFIG_MYS3_SECRET_ACCESS_KEY: s.secretAccessKey,
    };
  };

  it('NCLONE_CONFIG_MYS3_* alone defines mys3: for copy, ls, lsl, lsd and sync', async () => {
    const e = childEnv(ws, mys3());
    expectOk(await nclone(e, 'copy', ws.src, `mys3:${main}/env`));
    expect((await serverKeys(main, 'env/')).sort()).toEqual(filePaths.map((p) => `env/${p}`));
    await expectListings(e, `mys3:${main}/env`, 'mys3:', main);
    await expectSync(e, `mys3:${main}/env`, main, 'env');
  });

  it('listremotes --long and config show include it, secrets redacted', async () => {
    const e = childEnv(ws, mys3());
    const lr = await nclone(e, 'listremotes', '--long');
    expectOk(lr);
    expect(lines(lr.stdout)).toEqual([expect.stringMatching(/^mys3:\s+s3$/)]);
    const show = await nclone(e, 'config', 'show');
    expectOk(show);
    const shown = lines(show.stdout);
    expect(shown[0]).toBe('[mys3]');
    expect(shown).toEqual(expect.arrayContaining(['type = s3', 'provider = Ceph', `endpoint = ${s3Server().endpoint}`]));
    expect(shown).toContainEqual(expect.stringMatching(/^secret_access_key = \S/));
    expect(show.stdout).not.toContain(s3Server().secretAccessKey);
  });

  it('NCLONE_S3_ACL=public-read applies to every s3 remote: env-defined, connection string and URL', async () => {
    const e = childEnv(ws, { ...mys3(), ...awsKeys(), NCLONE_S3_ACL: 'public-read' });
    const targets = [
      ['env', (b: string) => `mys3:${b}/x`],
      ['cs', (b: string) => `${connString()}:${b}/x`],
      ['url', (b: string) => `s3://${b}/x?endpoint=${s3Server().endpoint}`],
    ] as const;
    for (const [label, at] of targets) {
      const b = fresh(`remotes-s3acl-${label}`);
      expectOk(await nclone(e, 'copy', ws.src, at(b)));
      for (const f of FILES) await expectPublic(b, `x/${f.path}`, f.data.toString());
    }
    // Without it, the same upload is private.
    const b = fresh('remotes-s3acl-none');
    expectOk(await nclone(childEnv(ws, mys3()), 'copy', ws.src, `mys3:${b}/x`));
    await expectPrivate(b, 'x/top.txt');
  });
});

describe('option precedence, observed through acl (public-read: 200 to an unsigned GET, private: 403)', () => {
  const conf = () =>
    configFile(ws, 'acl.conf', [rgwSection('cfgpriv', 'acl = private'), rgwSection('cfgpub', 'acl = public-read'), rgwSection('cfgnone')].join('\n'));
  const cases: { name: string; at: (b: string) => string; args?: string[]; env?: Record<string, string>; public: boolean }[] = [
    { name: 'connection string beats --s3-acl', at: (b) => `cfgpriv,acl=public-read:${b}/x`, args: ['--s3-acl', 'private'], public: true },
    { name: 'URL parameter beats --s3-acl', at: (b) => `s3://${b}/x?endpoint=${s3Server().endpoint}&acl=private`, args: ['--s3-acl', 'public-read'], public: false },
    { name: '--s3-acl beats NCLONE_CONFIG_X_ACL', at: (b) => `cfgpriv:${b}/x`, args: ['--s3-acl', 'public-read'], env: { NCLONE_CONFIG_CFGPRIV_ACL: 'private' }, public: true },
    { name: '--s3-acl beats NCLONE_CONFIG_X_ACL (private)', at: (b) => `cfgpub:${b}/x`, args: ['--s3-acl', 'private'], env: { NCLONE_CONFIG_CFGPUB_ACL: 'public-read' }, public: false },
    { name: 'NCLONE_CONFIG_X_ACL beats NCLONE_S3_ACL', at: (b) => `cfgpriv:${b}/x`, env: { NCLONE_CONFIG_CFGPRIV_ACL: 'public-read', NCLONE_S3_ACL: 'private' }, public: true },
    { name: 'NCLONE_CONFIG_X_ACL beats NCLONE_S3_ACL (private)', at: (b) => `cfgpub:${b}/x`, env: { NCLONE_CONFIG_CFGPUB_ACL: 'private', NCLONE_S3_ACL: 'public-read' }, public: false },
    { name: 'NCLONE_S3_ACL beats the config file', at: (b) => `cfgpriv:${b}/x`, env: { NCLONE_S3_ACL: 'public-read' }, public: true },
    { name: 'NCLONE_S3_ACL beats the config file (private)', at: (b) => `cfgpub:${b}/x`, env: { NCLONE_S3_ACL: 'private' }, public: false },
    { name: 'the config file beats the default', at: (b) => `cfgpub:${b}/x`, public: true },
    { name: 'the default is private', at: (b) => `cfgnone:${b}/x`, public: false },
  ];
  it.each(cases)('$name', async (c) => {
    // A new bucket per case: it is made with the effective acl, which is then checked on an object.
    const b = fresh('remotes-prec');
    const e = childEnv(ws, { ...awsKeys(), ...c.env });
    const r = await nclone(e, '--config', conf(), 'copy', ...(c.args ?? []), path.join(ws.src, 'top.txt'), c.at(b));
    expectOk(r);
    if (c.public) await expectPublic(b, 'x/top.txt', 'top\n');
    else await expectPrivate(b, 'x/top.txt');
  });
});

describe('${VAR} in config file values', () => {
  it('secret_access_key = ${MY_SECRET} works when set, and is exit 1 naming MY_SECRET when not', async () => {
    const conf = configFile(ws, 'vars.conf', rgwSection('vault').replace(/^secret_access_key = .*$/m, 'secret_access_key = ${MY_SECRET}'));
    // The file named by NCLONE_CONFIG (cleanEnv dropped the parent's).
    const withVar = childEnv(ws, { NCLONE_CONFIG: conf, MY_SECRET: s3Server().secretAccessKey });
    expectOk(await nclone(withVar, 'copy', ws.src, `vault:${main}/vars`));
    await expectListings(withVar, `vault:${main}/vars`, 'vault:', main);
    for (const args of [['ls', `vault:${main}/vars`], ['copy', ws.src, `vault:${main}/vars-unset`]]) {
      const r = await nclone(childEnv(ws, { NCLONE_CONFIG: conf }), ...args);
      expectCode(r, 1);
      expect(lines(r.stderr)).toEqual([expect.stringContaining('MY_SECRET')]);
    }
    expect(await serverKeys(main, 'vars-unset/')).toEqual([]);
  });
});

describe('anonymous access to a public bucket', () => {
  const pub = uniqueBucket('remotes-public');
  const objects = { 'prefix/a.txt': 'public a\n', 'prefix/sub/b.txt': 'public b, deeper\n', 'elsewhere/c.txt': 'c\n' };
  const ep = () => s3Server().endpoint;
  const ANON_NOTICE = /NOTICE: no AWS credentials found in the environment: using anonymous \(unsigned\) requests/;

  beforeAll(async () => {
    buckets.push(pub);
    await publicBucket(pub, objects);
  });

  it('ls with a connection string and lsl with a URL list it, with no credentials anywhere', async () => {
    const ls = await nclone(env, 'ls', `:s3,provider=Other,endpoint='${ep()}':${pub}/prefix`);
    expectOk(ls);
    expect(sortedLines(ls.stdout)).toEqual(['        9 a.txt', '       17 sub/b.txt']);
    const lsl = await nclone(env, 'lsl', `s3://${pub}/prefix?endpoint=${ep()}`);
    expect(lsl.code, lsl.stderr).toBe(0);
    expect(sortedLines(lsl.stdout)).toEqual([expect.stringMatching(/^ {8}9 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} a\.txt$/), expect.stringMatching(/^ {7}17 .* sub\/b\.txt$/)]);
    // env_auth (implied by a URL without keys) found nothing, and says it went anonymous.
    expect(lines(lsl.stderr)).toEqual([expect.stringMatching(ANON_NOTICE)]);
  });

  it('copy downloads with the right content, from a connection string and from a URL', async () => {
    for (const from of [`:s3,provider=Other,endpoint='${ep()}':${pub}/prefix`, `s3://${pub}/prefix?endpoint=${ep()}`]) {
      const dst = path.join(ws.base, `download-${randomBytes(3).toString('hex')}`);
      const r = await nclone(env, 'copy', from, dst);
      expect(r.code, r.stderr).toBe(0);
      expect(localFiles(dst)).toEqual({ 'a.txt': objects['prefix/a.txt'], 'sub/b.txt': objects['prefix/sub/b.txt'] });
    }
  });

  it('lsd of the root is refused: listing buckets needs credentials', async () => {
    for (const root of [`:s3,provider=Other,endpoint='${ep()}':`, `s3://${hostPort()}/?use-ssl=false`]) {
      const r = await nclone(env, 'lsd', root);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr).filter((l) => !ANON_NOTICE.test(l))).toEqual([expect.stringMatching(/listing buckets needs credentials/)]);
    }
  });

  it('copy into the bucket fails with "anonymous access: permission denied" and writes nothing', async () => {
    const before = (await serverKeys(pub)).sort();
    for (const to of [`:s3,provider=Other,endpoint='${ep()}':${pub}/upload`, `s3://${pub}/upload?endpoint=${ep()}`]) {
      const r = await nclone(env, 'copy', ws.src, to);
      expect(r.code).not.toBe(0);
      expect(lines(r.stderr)).toContainEqual(expect.stringContaining('anonymous access: permission denied'));
    }
    expect((await serverKeys(pub)).sort()).toEqual(before);
  });

  it('anonymous requests carry no Authorization header (recording server); keyed ones do', async () => {
    const rec = await recordingServer(standIn);
    try {
      const cs = `:s3,provider=Other,endpoint='${rec.endpoint}':somebucket/prefix`;
      const url = `s3://somebucket/prefix?endpoint=${rec.endpoint}`;
      const ls = await nclone(env, 'ls', cs);
      expectOk(ls);
      expect(ls.stdout).toBe('        6 a.txt\n');
      const lsl = await nclone(env, 'lsl', url);
      expect(lsl.code, lsl.stderr).toBe(0);
      expect(lsl.stdout).toMatch(/^ {8}6 2023-11-14 22:13:20\.\d{9} a\.txt\n$/);
      const dst = path.join(ws.base, 'rec-download');
      expect((await nclone(env, 'copy', cs, dst)).code).toBe(0);
      expect(localFiles(dst)).toEqual({ 'a.txt': 'hello\n' });
      expect(rec.requests.filter((q) => q.method === 'GET' && q.url.startsWith('/somebucket/prefix/a.txt'))).not.toEqual([]);
      expect(rec.requests.filter((q) => q.headers.authorization !== undefined)).toEqual([]);
      // The same URL with keys in the environment is signed: the check above can see a header.
      const n = rec.requests.length;
      expect((await nclone(childEnv(ws, awsKeys()), 'ls', url)).code).toBe(0);
      const signed = rec.requests.slice(n);
      expect(signed.length).toBeGreaterThan(0);
      for (const q of signed) expect(q.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${s3Server().accessKeyId}/`));
    } finally {
      await rec.close();
    }
  });
});
