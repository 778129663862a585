/**
 * The config commands end to end: `node bin/nclone config ...` and `listremotes` on real
 * config files in a private HOME, with stdin closed — create/update/delete keeping a
 * hand-written file intact, show/redacted/dump never leaking secrets, environment-defined
 * remotes, file modes, atomic and locked writes, config encryption, and interop with
 * rclone 1.60 in both directions. Needs a build (npx tsc -p .).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { expectOneLineError, lines, type Result } from './cli/run.js';
import { Sandbox, deadPid, fileState, leftovers, mode, ncloneOpenStdin, parseSections, rclone, rcloneSetPasswordInTmux, requireTool } from './config/harness.js';

let sb: Sandbox;

beforeAll(() => {
  sb = new Sandbox();
  if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
});

afterAll(() => {
  sb?.cleanup();
});

function expectOk(r: Result): void {
  expect(r.code, `stderr:\n${r.stderr}`).toBe(0);
  expect(r.stderr).toBe('');
}

/** A refused command: one line on stderr, exit 1, the file exactly as it was (bytes and mode). */
function expectRefused(r: Result, file: string, before: ReturnType<typeof fileState>): string {
  const line = expectOneLineError(r, 1);
  const after = fileState(file);
  if (before === null) expect(after).toBeNull();
  else {
    expect(after).not.toBeNull();
    expect(after!.bytes.equals(before.bytes), `file changed:\n${after!.bytes.toString()}`).toBe(true);
    expect(after!.mode).toBe(before.mode);
  }
  expect(leftovers(path.dirname(file))).toEqual([]);
  return line;
}

const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRET';
const S3_KEY_ID = 'AKIAIOSFODNN7KEYID';

/** A config file as a person would write it: comments of both kinds, odd spacing, unknown sections and keys. */
const HAND_WRITTEN = [
  '# My nclone remotes -- edited by hand',
  '; semicolon comment',
  '',
  '[first]',
  'type = local',
  '# a comment inside first',
  'copy_links = true',
  '',
  '',
  '[s3 remote]',
  'type = s3',
  'provider = Ceph',
  '  endpoint = http://127.0.0.1:1',
  `access_key_id = ${S3_KEY_ID}`,
  `secret_access_key = ${S3_SECRET}`,
  'x_unknown_option = keep me # not a comment',
  '',
  '# tool-section belongs to another program: keep it',
  '[tool-section]',
  'type = something_else',
  'whatever=1',
  '',
  '[last]',
  'type = local',
  '',
].join('\n');

function handWritten(name: string, fileMode = 0o600): string {
  const file = sb.conf(name);
  writeFileSync(file, HAND_WRITTEN, { mode: fileMode });
  chmodSync(file, fileMode);
  return file;
}

// ------------------------------------------------------------------------------------------

describe('config create', () => {
  it('writes the section from key=value pairs, prints it with secrets redacted, mode 0600', async () => {
    const file = sb.conf('create');
    const r = await sb.nc(file, ['config', 'create', 'mys3', 's3', 'provider=Ceph', `access_key_id=${S3_KEY_ID}`, `secret_access_key=${S3_SECRET}`, 'endpoint=http://127.0.0.1:9000', 'chunk-size=8M']);
    expectOk(r);
    expect(r.stdout).toBe(['[mys3]', 'type = s3', 'provider = Ceph', 'access_key_id = *** REDACTED ***', 'secret_access_key = *** REDACTED ***', 'endpoint = http://127.0.0.1:9000', 'chunk_size = 8M', '', ''].join('\n'));
    expect(readFileSync(file, 'utf8')).toBe(
      ['[mys3]', 'type = s3', 'provider = Ceph', `access_key_id = ${S3_KEY_ID}`, `secret_access_key = ${S3_SECRET}`, 'endpoint = http://127.0.0.1:9000', 'chunk_size = 8M', ''].join('\n'),
    );
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
  });

  it('takes rclone\'s "key value" pairs too, and appends after existing remotes with one blank line', async () => {
    const file = sb.conf('create-pairs');
    expectOk(await sb.nc(file, ['config', 'create', 'loc', 'local']));
    const r = await sb.nc(file, ['config', 'create', 'pairs', 's3', 'provider', 'Minio', 'region', 'eu-west-1', 'env_auth', 'true']);
    expectOk(r);
    expect(readFileSync(file, 'utf8')).toBe('[loc]\ntype = local\n\n[pairs]\ntype = s3\nprovider = Minio\nregion = eu-west-1\nenv_auth = true\n');
  });

  it('accepts a name with inner spaces and rclone\'s other name characters', async () => {
    const file = sb.conf('create-names');
    for (const name of ['my remote', 'a.b+c@d_e-f', 'ünïcode']) expectOk(await sb.nc(file, ['config', 'create', name, 'local']));
    const r = await sb.nc(file, ['listremotes']);
    expectOk(r);
    expect(r.stdout).toBe('a.b+c@d_e-f:\nmy remote:\nünïcode:\n');
  });

  it('creates the default config file (and its directory) under XDG_CONFIG_HOME when no --config is given', async () => {
    const xdg = sb.dir('xdg');
    const r = await sb.run(['config', 'create', 'd', 'local'], { XDG_CONFIG_HOME: xdg });
    expectOk(r);
    const file = path.join(xdg, 'nclone', 'nclone.conf');
    expect(readFileSync(file, 'utf8')).toBe('[d]\ntype = local\n');
    expect(mode(file)).toBe(0o600);
  });

  it('writes to NCLONE_CONFIG when no --config is given', async () => {
    const file = sb.conf('create-env');
    expectOk(await sb.run(['config', 'create', 'viaenv', 'local'], { NCLONE_CONFIG: file }));
    expect(readFileSync(file, 'utf8')).toBe('[viaenv]\ntype = local\n');
  });

  describe('refuses, with one line, exit 1 and the file byte for byte unchanged', () => {
    let file: string;
    beforeAll(() => {
      file = handWritten('create-refuse', 0o640);
    });

    it('an existing name', async () => {
      const before = fileState(file);
      const line = expectRefused(await sb.nc(file, ['config', 'create', 'first', 'local']), file, before);
      expect(line).toMatch(/"first" already exists/);
      expectRefused(await sb.nc(file, ['config', 'create', 's3 remote', 's3', 'provider=AWS']), file, before);
      // The refusal does not echo a secret given with it.
      const r = await sb.nc(file, ['config', 'create', 's3 remote', 's3', `secret_access_key=${S3_SECRET}`]);
      expectRefused(r, file, before);
      expect(r.stderr).not.toContain(S3_SECRET);
    });

    it('invalid names: a leading "-" or space, "*", a trailing space, ":" and "/"', async () => {
      const before = fileState(file);
      for (const name of ['-dash', ' lead', 'star*', 'trail ', 'co:lon', 'sl/ash', '']) {
        const line = expectRefused(await sb.nc(file, ['config', 'create', '--', name, 'local']), file, before);
        expect(line, name).toMatch(/invalid remote name|name/);
      }
    });

    it('an unknown type, listing the known ones', async () => {
      const before = fileState(file);
      const line = expectRefused(await sb.nc(file, ['config', 'create', 'new', 'nosuchbackend']), file, before);
      expect(line).toMatch(/unknown remote type "nosuchbackend"/);
      expect(line).toMatch(/local/);
      expect(line).toMatch(/s3/);
    });

    it('an unknown option, listing the valid ones', async () => {
      const before = fileState(file);
      const line = expectRefused(await sb.nc(file, ['config', 'create', 'new', 's3', 'provider=Ceph', 'no_such_option=1']), file, before);
      expect(line).toMatch(/unknown option "no_such_option"/);
      for (const valid of ['provider', 'access_key_id', 'endpoint', 'chunk_size', 'force_path_style']) expect(line).toContain(valid);
      const local = expectRefused(await sb.nc(file, ['config', 'create', 'new', 'local', 'endpoint=x']), file, before);
      expect(local).toMatch(/unknown option "endpoint"/);
      expect(local).toContain('copy_links');
    });

    it('bad values: a size, a boolean, a whole number, a duration-free string with a newline', async () => {
      const before = fileState(file);
      const cases: [string, RegExp][] = [
        ['chunk_size=abc', /chunk_size.*abc/],
        ['env_auth=maybe', /env_auth.*maybe/],
        ['max_upload_parts=lots', /max_upload_parts.*lots/],
        ['upload_cutoff=5Q', /upload_cutoff/],
        ['region=eu\n[injected]\ntype = local', /region/],
      ];
      for (const [kv, why] of cases) {
        const line = expectRefused(await sb.nc(file, ['config', 'create', 'new', 's3', kv]), file, before);
        expect(line, kv).toMatch(why);
      }
      // A "key value" list with a key and no value.
      expectRefused(await sb.nc(file, ['config', 'create', 'new', 's3', 'provider', 'Ceph', 'region']), file, before);
    });

    it('and never writes a file that did not exist', async () => {
      const none = sb.conf('create-refuse-none');
      expectRefused(await sb.nc(none, ['config', 'create', 'x', 'nosuch']), none, null);
      expectRefused(await sb.nc(none, ['config', 'create', 'x', 's3', 'chunk_size=abc']), none, null);
      expectRefused(await sb.nc(none, ['config', 'create', '--', '-x', 'local']), none, null);
    });
  });
});

// ------------------------------------------------------------------------------------------

describe('config update and delete keep a hand-written file', () => {
  it('update sets a new key and changes one in place, everything else byte for byte the same', async () => {
    const file = handWritten('update-set');
    const r = await sb.nc(file, ['config', 'update', 's3 remote', 'region=eu-west-1', 'provider', 'Minio']);
    expectOk(r);
    expect(r.stdout).not.toContain(S3_SECRET);
    expect(r.stdout).toContain('secret_access_key = *** REDACTED ***');
    expect(readFileSync(file, 'utf8')).toBe(
      HAND_WRITTEN.replace('provider = Ceph', 'provider = Minio').replace('x_unknown_option = keep me # not a comment\n', 'x_unknown_option = keep me # not a comment\nregion = eu-west-1\n'),
    );
  });

  it('update with key= removes the key', async () => {
    const file = handWritten('update-remove');
    expectOk(await sb.nc(file, ['config', 'update', 's3 remote', 'access_key_id=', 'endpoint=']));
    expect(readFileSync(file, 'utf8')).toBe(HAND_WRITTEN.replace(`access_key_id = ${S3_KEY_ID}\n`, '').replace('  endpoint = http://127.0.0.1:1\n', ''));
    const show = await sb.nc(file, ['config', 'show', 's3 remote', '--show-secrets']);
    expectOk(show);
    expect(parseSections(show.stdout)['s3 remote']).toEqual({ type: 's3', provider: 'Ceph', secret_access_key: S3_SECRET, x_unknown_option: 'keep me # not a comment' });
  });

  it('update makes a hand-written 0644 file 0600 and leaves nothing beside it', async () => {
    const file = handWritten('update-mode', 0o644);
    expectOk(await sb.nc(file, ['config', 'update', 'first', 'copy_links=false']));
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(HAND_WRITTEN.replace('copy_links = true', 'copy_links = false'));
    expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
  });

  it('update refuses changing the type, unknown remotes, unknown options and bad values', async () => {
    const file = handWritten('update-refuse', 0o600);
    const before = fileState(file);
    const type = expectRefused(await sb.nc(file, ['config', 'update', 'first', 'type=s3']), file, before);
    expect(type).toMatch(/type/);
    expect(type).not.toMatch(/unknown option/);
    expectRefused(await sb.nc(file, ['config', 'update', 's3 remote', 'region=x', 'type=local']), file, before);
    expect(expectRefused(await sb.nc(file, ['config', 'update', 'nosuch', 'region=x']), file, before)).toMatch(/"nosuch" not found/);
    expect(expectRefused(await sb.nc(file, ['config', 'update', 's3 remote', 'bogus=1']), file, before)).toMatch(/unknown option "bogus"/);
    expect(expectRefused(await sb.nc(file, ['config', 'update', 's3 remote', 'chunk_size=abc']), file, before)).toMatch(/chunk_size/);
    expect(expectRefused(await sb.nc(file, ['config', 'update', 'first', 'copy_links=maybe']), file, before)).toMatch(/copy_links/);
    expectRefused(await sb.nc(file, ['config', 'update', 'first']), file, before);
    // Naming the type it already has is no change.
    expectOk(await sb.nc(file, ['config', 'update', 'first', 'type=local']));
    expect(fileState(file)!.bytes.equals(before!.bytes)).toBe(true);
  });

  it('update of a key written twice changes the one that counts (the last)', async () => {
    const file = sb.conf('update-dup');
    writeFileSync(file, '[r]\ntype = s3\nregion = one\nregion = two\n', { mode: 0o600 });
    expectOk(await sb.nc(file, ['config', 'update', 'r', 'region=three']));
    const show = await sb.nc(file, ['config', 'show', 'r']);
    expectOk(show);
    expect(parseSections(show.stdout).r).toEqual({ type: 's3', region: 'three' });
  });

  it('delete removes only that section', async () => {
    const file = handWritten('delete', 0o644);
    const r = await sb.nc(file, ['config', 'delete', 's3 remote']);
    expectOk(r);
    expect(r.stdout).toBe('');
    const start = HAND_WRITTEN.indexOf('[s3 remote]');
    const end = HAND_WRITTEN.indexOf('# tool-section belongs');
    expect(readFileSync(file, 'utf8')).toBe(HAND_WRITTEN.slice(0, start) + HAND_WRITTEN.slice(end));
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
    const lr = await sb.nc(file, ['listremotes']);
    expect(lr.stdout).toBe('first:\nlast:\ntool-section:\n');
  });

  it('delete of the last section and of a section written twice leaves no trace of it', async () => {
    const file = sb.conf('delete-dup');
    writeFileSync(file, '[a]\ntype = local\n\n[b]\ntype = local\n\n[a]\ncopy_links = true\n', { mode: 0o600 });
    expectOk(await sb.nc(file, ['config', 'delete', 'a']));
    const lr = await sb.nc(file, ['listremotes']);
    expectOk(lr);
    expect(lr.stdout).toBe('b:\n');
    expectOk(await sb.nc(file, ['config', 'delete', 'b']));
    expect((await sb.nc(file, ['listremotes'])).stdout).toBe('');
  });

  it('a file with CRLF line endings keeps them through update and delete', async () => {
    const file = sb.conf('crlf');
    const crlf = HAND_WRITTEN.replace(/\n/g, '\r\n');
    writeFileSync(file, crlf, { mode: 0o600 });
    expectOk(await sb.nc(file, ['config', 'update', 'first', 'copy_links=false', 'links=true']));
    expect(readFileSync(file, 'utf8')).toBe(crlf.replace('copy_links = true\r\n', 'copy_links = false\r\nlinks = true\r\n'));
    expectOk(await sb.nc(file, ['config', 'delete', 'last']));
    expectOk(await sb.nc(file, ['config', 'create', 'new', 'local']));
    const text = readFileSync(file, 'utf8');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(text.endsWith('[new]\r\ntype = local\r\n')).toBe(true);
  });

  it('delete of an unknown remote is one line, exit 1, file unchanged', async () => {
    const file = handWritten('delete-unknown');
    const before = fileState(file);
    expect(expectRefused(await sb.nc(file, ['config', 'delete', 'nosuch']), file, before)).toMatch(/"nosuch" not found/);
  });
});

// ------------------------------------------------------------------------------------------

describe('config show, redacted, dump', () => {
  let file: string;
  const ENV_SECRET = 'EnvSecretValue+Zz9';
  beforeAll(() => {
    file = handWritten('show');
    // Secrets nclone does not know as options must not show either: an rclone crypt remote's
    // password, and an s3 option nclone does not implement.
    writeFileSync(file, HAND_WRITTEN + '\n[vault]\ntype = crypt\nremote = first:x\npassword = CryptPassw0rdObscured\npassword2 = CryptSaltObscured\n\n[sse]\ntype = s3\nsse_customer_key = SseCustomerKey123\n', { mode: 0o600 });
  });
  const secretsInFile = [S3_SECRET, S3_KEY_ID, 'CryptPassw0rdObscured', 'CryptSaltObscured', 'SseCustomerKey123'];

  function expectNoSecrets(r: Result, extra: string[] = []): void {
    for (const s of [...secretsInFile, ...extra]) {
      expect(r.stdout, s).not.toContain(s);
      expect(r.stderr, s).not.toContain(s);
    }
  }

  it('show prints every remote with secrets redacted', async () => {
    const r = await sb.nc(file, ['config', 'show']);
    expectOk(r);
    expectNoSecrets(r);
    const s = parseSections(r.stdout);
    expect(Object.keys(s)).toEqual(['first', 's3 remote', 'tool-section', 'last', 'vault', 'sse']);
    expect(s['s3 remote']).toEqual({
      type: 's3',
      provider: 'Ceph',
      endpoint: 'http://127.0.0.1:1',
      access_key_id: '*** REDACTED ***',
      secret_access_key: '*** REDACTED ***',
      x_unknown_option: 'keep me # not a comment',
    });
    expect(s.first).toEqual({ type: 'local', copy_links: 'true' });
    expect(s['tool-section']).toEqual({ type: 'something_else', whatever: '1' });
    expect(s.vault!.remote).toBe('first:x');
  });

  it('show NAME prints one remote; redacted is the same', async () => {
    const show = await sb.nc(file, ['config', 'show', 's3 remote']);
    expectOk(show);
    expectNoSecrets(show);
    expect(Object.keys(parseSections(show.stdout))).toEqual(['s3 remote']);
    const red = await sb.nc(file, ['config', 'redacted', 's3 remote']);
    expectOk(red);
    // Not in debug logging either.
    const debug = await sb.nc(file, ['-vv', 'config', 'show']);
    expect(debug.code).toBe(0);
    expectNoSecrets(debug);
    expect(red.stdout).toBe(show.stdout);
    const all = await sb.nc(file, ['config', 'redacted']);
    expectOk(all);
    expectNoSecrets(all);
    expect(all.stdout).toBe((await sb.nc(file, ['config', 'show'])).stdout);
  });

  it('show --show-secrets prints them in full', async () => {
    const r = await sb.nc(file, ['config', 'show', '--show-secrets', 's3 remote']);
    expectOk(r);
    expect(parseSections(r.stdout)['s3 remote']!.secret_access_key).toBe(S3_SECRET);
    expect(parseSections(r.stdout)['s3 remote']!.access_key_id).toBe(S3_KEY_ID);
  });

  it('dump is JSON keyed by remote, redacted unless --show-secrets', async () => {
    const r = await sb.nc(file, ['config', 'dump']);
    expectOk(r);
    expectNoSecrets(r);
    const d = JSON.parse(r.stdout) as Record<string, Record<string, string>>;
    expect(Object.keys(d)).toEqual(['first', 's3 remote', 'tool-section', 'last', 'vault', 'sse']);
    expect(d['s3 remote']!.secret_access_key).toBe('*** REDACTED ***');
    expect(d['s3 remote']!.endpoint).toBe('http://127.0.0.1:1');
    const full = await sb.nc(file, ['config', 'dump', '--show-secrets']);
    expectOk(full);
    const f = JSON.parse(full.stdout) as Record<string, Record<string, string>>;
    expect(f['s3 remote']!.secret_access_key).toBe(S3_SECRET);
    expect(f.vault!.password).toBe('CryptPassw0rdObscured');
  });

  it('remotes from NCLONE_CONFIG_<NAME>_* are shown, override file values, and their secrets are redacted', async () => {
    const env = {
      NCLONE_CONFIG_ENVONLY_TYPE: 's3',
      NCLONE_CONFIG_ENVONLY_PROVIDER: 'Minio',
      NCLONE_CONFIG_ENVONLY_SECRET_ACCESS_KEY: ENV_SECRET,
      NCLONE_CONFIG_FIRST_COPY_LINKS: 'false',
      NCLONE_CONFIG_S3_REMOTE_REGION: 'from-env',
      NCLONE_CONFIG_S3_REMOTE_SECRET_ACCESS_KEY: ENV_SECRET,
    };
    for (const args of [['config', 'show'], ['config', 'redacted'], ['config', 'dump']]) {
      const r = await sb.nc(file, args, env);
      expectOk(r);
      expectNoSecrets(r, [ENV_SECRET]);
    }
    const r = await sb.nc(file, ['config', 'show', '--show-secrets'], env);
    expectOk(r);
    const s = parseSections(r.stdout);
    expect(s.envonly).toEqual({ type: 's3', provider: 'Minio', secret_access_key: ENV_SECRET });
    expect(s.first).toEqual({ type: 'local', copy_links: 'false' });
    expect(s['s3 remote']!.region).toBe('from-env');
    expect(s['s3 remote']!.secret_access_key).toBe(ENV_SECRET);
    const one = await sb.nc(file, ['config', 'show', 'envonly'], env);
    expectOk(one);
    expect(parseSections(one.stdout)).toEqual({ envonly: { type: 's3', provider: 'Minio', secret_access_key: '*** REDACTED ***' } });
    const dump = JSON.parse((await sb.nc(file, ['config', 'dump'], env)).stdout) as Record<string, Record<string, string>>;
    expect(dump.envonly).toEqual({ type: 's3', provider: 'Minio', secret_access_key: '*** REDACTED ***' });
    expect(dump.first!.copy_links).toBe('false');
  });

  it('show of a remote that does not exist is one line, exit 1', async () => {
    expect(expectOneLineError(await sb.nc(file, ['config', 'show', 'nosuch']), 1)).toMatch(/"nosuch" not found/);
    expectOneLineError(await sb.nc(sb.conf('show-nofile'), ['config', 'show', 'nosuch']), 1);
  });

  it('show of a missing config file prints nothing; a malformed one is one line naming the line', async () => {
    const none = await sb.nc(sb.conf('show-missing'), ['config', 'show']);
    expectOk(none);
    expect(none.stdout).toBe('');
    const bad = sb.conf('show-bad');
    writeFileSync(bad, '[ok]\ntype = local\nthis line is garbage\n');
    expect(expectOneLineError(await sb.nc(bad, ['config', 'show']), 1)).toMatch(/line 3/);
  });
});

// ------------------------------------------------------------------------------------------

describe('listremotes', () => {
  let file: string;
  beforeAll(() => {
    file = handWritten('listremotes');
  });

  it('prints "name:" per remote, sorted', async () => {
    const r = await sb.nc(file, ['listremotes']);
    expectOk(r);
    expect(r.stdout).toBe('first:\nlast:\ns3 remote:\ntool-section:\n');
  });

  it('--long adds the type in a column', async () => {
    const r = await sb.nc(file, ['listremotes', '--long']);
    expectOk(r);
    expect(r.stdout).toBe(['first:        local', 'last:         local', 's3 remote:    s3', 'tool-section: something_else', ''].join('\n'));
  });

  it('includes remotes defined by NCLONE_CONFIG_<NAME>_TYPE, and an env type overrides the file', async () => {
    const env = { NCLONE_CONFIG_ENVREMOTE_TYPE: 's3', NCLONE_CONFIG_LAST_TYPE: 's3', NCLONE_CONFIG_NOTYPE_REGION: 'x' };
    const r = await sb.nc(file, ['listremotes'], env);
    expectOk(r);
    expect(r.stdout).toBe('envremote:\nfirst:\nlast:\ns3 remote:\ntool-section:\n');
    const long = await sb.nc(file, ['listremotes', '--long'], env);
    expectOk(long);
    expect(long.stdout).toBe(['envremote:    s3', 'first:        local', 'last:         s3', 's3 remote:    s3', 'tool-section: something_else', ''].join('\n'));
  });

  it('with no config file lists only environment remotes', async () => {
    const none = sb.conf('listremotes-none');
    const empty = await sb.nc(none, ['listremotes']);
    expectOk(empty);
    expect(empty.stdout).toBe('');
    const env = await sb.nc(none, ['listremotes', '--long'], { NCLONE_CONFIG_ONLY_TYPE: 'local' });
    expectOk(env);
    expect(env.stdout).toBe('only: local\n');
    expect(existsSync(none)).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------

describe('config file, touch, providers', () => {
  it('config file prints the path, saying whether it exists', async () => {
    const file = sb.conf('file');
    const missing = await sb.nc(file, ['config', 'file']);
    expectOk(missing);
    expect(missing.stdout).toBe(`Configuration file doesn't exist, but nclone will use this path:\n${file}\n`);
    writeFileSync(file, '');
    const present = await sb.nc(file, ['config', 'file']);
    expectOk(present);
    expect(present.stdout).toBe(`Configuration file is stored at:\n${file}\n`);
    const viaEnv = await sb.run(['config', 'file'], { NCLONE_CONFIG: file });
    expect(viaEnv.stdout).toBe(`Configuration file is stored at:\n${file}\n`);
    const xdg = sb.dir('file-xdg');
    const dflt = await sb.run(['config', 'file'], { XDG_CONFIG_HOME: xdg });
    expectOk(dflt);
    expect(dflt.stdout).toBe(`Configuration file doesn't exist, but nclone will use this path:\n${path.join(xdg, 'nclone', 'nclone.conf')}\n`);
  });

  it('config touch creates an empty 0600 file, and its directory', async () => {
    const file = path.join(sb.dir('touch'), 'deeper', 'nclone.conf');
    const r = await sb.nc(file, ['config', 'touch']);
    expectOk(r);
    expect(r.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(mode(file)).toBe(0o600);
  });

  it('config touch leaves an existing file untouched: bytes, mode and time', async () => {
    const file = handWritten('touch-existing', 0o644);
    const before = fileState(file)!;
    await new Promise((r) => setTimeout(r, 20));
    expectOk(await sb.nc(file, ['config', 'touch']));
    const after = fileState(file)!;
    expect(after.bytes.equals(before.bytes)).toBe(true);
    expect(after.mode).toBe(0o644);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('config providers is JSON with the s3 option table', async () => {
    const r = await sb.run(['config', 'providers']);
    expectOk(r);
    type Opt = { name: string; type: string; secret?: boolean; examples?: { value: string }[] };
    const all = JSON.parse(r.stdout) as { name: string; options: Opt[] }[];
    expect(all.map((b) => b.name).sort()).toEqual(['local', 's3', 'sftp']);
    const s3 = all.find((b) => b.name === 's3')!;
    const provider = s3.options.find((o) => o.name === 'provider')!;
    expect(provider.examples!.map((e) => e.value)).toEqual(expect.arrayContaining(['AWS', 'Ceph', 'Minio']));
    expect(s3.options.find((o) => o.name === 'secret_access_key')!.secret).toBe(true);
    expect(s3.options.find((o) => o.name === 'chunk_size')!.type).toBe('size');
    expect(all.find((b) => b.name === 'local')!.options.map((o) => o.name)).toContain('copy_links');
  });
});

// ------------------------------------------------------------------------------------------

describe('atomic, locked writes', () => {
  it('12 concurrent config create processes on one file: all 12 remotes, a valid file, nothing left over', async () => {
    const file = sb.conf('concurrent');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sb.nc(file, ['config', 'create', `r${i}`, 'local', i % 2 ? 'copy_links=true' : 'links=false'])));
    for (const r of results) expectOk(r);
    const lr = await sb.nc(file, ['listremotes', '--long']);
    expectOk(lr);
    expect(lines(lr.stdout).map((l) => l.split(':')[0]).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`).sort());
    const s = parseSections(readFileSync(file, 'utf8'));
    expect(Object.keys(s)).toHaveLength(12);
    for (let i = 0; i < 12; i++) expect(s[`r${i}`]).toEqual(i % 2 ? { type: 'local', copy_links: 'true' } : { type: 'local', links: 'false' });
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
  });

  it('concurrent updates of different keys of one remote all land', async () => {
    const file = sb.conf('concurrent-update');
    expectOk(await sb.nc(file, ['config', 'create', 'r', 's3']));
    const keys = ['region', 'endpoint', 'acl', 'storage_class', 'profile', 'location_constraint', 'bucket_acl', 'sse_kms_key_id'];
    // Known values for the ACLs, which would otherwise draw a "did you mean" warning.
    const value = (k: string) => ({ acl: 'public-read', bucket_acl: 'authenticated-read' })[k] ?? `v-${k}`;
    const results = await Promise.all(keys.map((k) => sb.nc(file, ['config', 'update', 'r', `${k}=${value(k)}`])));
    for (const r of results) expectOk(r);
    expect(parseSections(readFileSync(file, 'utf8')).r).toEqual({ type: 's3', ...Object.fromEntries(keys.map((k) => [k, value(k)])) });
    expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
  });

  it('a stale lock holding a dead PID is taken over', async () => {
    const file = handWritten('stale-lock');
    writeFileSync(`${file}.lock`, String(deadPid()));
    const started = Date.now();
    const r = await sb.nc(file, ['config', 'create', 'after', 'local']);
    expectOk(r);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(readFileSync(file, 'utf8')).toBe(HAND_WRITTEN + '\n[after]\ntype = local\n');
    expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
  });

  it('a stale lock met by 12 processes at once is taken over by one at a time: nothing lost (6 rounds)', async () => {
    // Without care, a late process removes the lock another has just taken in the stale one's
    // place and two edits run together, losing one: a race, so several rounds.
    for (let round = 0; round < 6; round++) {
      const file = sb.conf(`stale-concurrent-${round}`);
      writeFileSync(file, '', { mode: 0o600 });
      writeFileSync(`${file}.lock`, String(deadPid()));
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sb.nc(file, ['config', 'create', `s${i}`, 'local'])));
      for (const r of results) expectOk(r);
      expect(Object.keys(parseSections(readFileSync(file, 'utf8'))).sort(), `round ${round}`).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`).sort());
      expect(readdirSync(path.dirname(file))).toEqual(['nclone.conf']);
    }
  });

  it('a lock held by a live process makes an edit give up with one line, the file unchanged', async () => {
    const file = handWritten('live-lock');
    // This test runner is alive: its PID in the lock file means "someone is editing".
    writeFileSync(`${file}.lock`, String(process.pid));
    const before = fileState(file);
    const r = await sb.nc(file, ['config', 'create', 'blocked', 'local']);
    const line = expectOneLineError(r, 1);
    expect(line).toMatch(/locked/);
    expect(fileState(file)!.bytes.equals(before!.bytes)).toBe(true);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(String(process.pid));
  }, 30_000);
});

// ------------------------------------------------------------------------------------------

describe('interactive config without a terminal', () => {
  it('`nclone config` with stdin closed exits 1 with one line pointing to config create', async () => {
    const file = sb.conf('wizard');
    const started = Date.now();
    const r = await sb.nc(file, ['config'], {}, 15_000);
    const line = expectOneLineError(r, 1);
    expect(line).toContain('config create');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(file)).toBe(false);
  });

  it('`nclone config` with stdin an open pipe does not wait for it', async () => {
    const r = await ncloneOpenStdin(['--config', sb.conf('wizard-pipe'), 'config'], sb.env(), 15_000);
    expect(r.signal).toBeNull();
    expect(expectOneLineError(r, 1)).toContain('config create');
  });
});

// ------------------------------------------------------------------------------------------

describe('config encryption', () => {
  const PASS = 'correct horse ⚡ battery';
  let file: string;

  beforeAll(async () => {
    file = handWritten('encrypt');
  });

  function expectEncrypted(f: string): void {
    const text = readFileSync(f, 'utf8');
    expect(text.startsWith('# Encrypted rclone configuration File\n')).toBe(true);
    expect(text).toContain('RCLONE_ENCRYPT_V0:');
    for (const s of [S3_SECRET, S3_KEY_ID, '[first]', 'type =']) expect(text).not.toContain(s);
    expect(mode(f)).toBe(0o600);
    expect(leftovers(path.dirname(f))).toEqual([]);
  }

  it('set with NCLONE_CONFIG_NEW_PASS encrypts the file the way rclone does', async () => {
    const r = await sb.nc(file, ['config', 'encryption', 'set'], { NCLONE_CONFIG_NEW_PASS: PASS });
    expectOk(r);
    expectEncrypted(file);
  });

  it('check: exit 0 with the right password, 1 and one line saying "wrong password" otherwise', async () => {
    const ok = await sb.nc(file, ['config', 'encryption', 'check'], { NCLONE_CONFIG_PASS: PASS });
    expectOk(ok);
    const bad = await sb.nc(file, ['config', 'encryption', 'check'], { NCLONE_CONFIG_PASS: 'not it' });
    expect(expectOneLineError(bad, 1)).toMatch(/wrong password/);
    const plain = handWritten('encrypt-plain-check');
    expect(expectOneLineError(await sb.nc(plain, ['config', 'encryption', 'check'], { NCLONE_CONFIG_PASS: PASS }), 1)).toMatch(/not encrypted/);
  });

  it('with the password, everything reads it as before', async () => {
    const env = { NCLONE_CONFIG_PASS: PASS };
    const lr = await sb.nc(file, ['listremotes'], env);
    expectOk(lr);
    expect(lr.stdout).toBe('first:\nlast:\ns3 remote:\ntool-section:\n');
    const show = await sb.nc(file, ['config', 'show', '--show-secrets', 's3 remote'], env);
    expectOk(show);
    expect(parseSections(show.stdout)['s3 remote']!.secret_access_key).toBe(S3_SECRET);
    const red = await sb.nc(file, ['config', 'show'], env);
    expectOk(red);
    expect(red.stdout).not.toContain(S3_SECRET);
    expect(red.stderr).not.toContain(PASS);
  });

  it('without a password, commands needing the config fail at once with one line (no prompt, no hang)', async () => {
    const before = fileState(file);
    const cmds = [
      ['listremotes'],
      ['config', 'show'],
      ['config', 'dump'],
      ['config', 'encryption', 'check'],
      ['config', 'create', 'x', 'local'],
      ['config', 'update', 'first', 'copy_links=false'],
      ['config', 'delete', 'first'],
      ['config', 'encryption', 'remove'],
      ['ls', 'first:/'],
    ];
    for (const args of cmds) {
      const line = expectRefused(await sb.nc(file, args, {}, 15_000), file, before);
      expect(line, args.join(' ')).toMatch(/encrypted/);
      expect(line).toMatch(/NCLONE_CONFIG_PASS/);
    }
    // Not even with stdin an open pipe.
    const r = await ncloneOpenStdin(['--config', file, 'listremotes'], sb.env(), 15_000);
    expect(r.signal).toBeNull();
    expect(expectOneLineError(r, 1)).toMatch(/encrypted/);
    // A wrong password never writes.
    const wrong = expectRefused(await sb.nc(file, ['config', 'create', 'x', 'local'], { NCLONE_CONFIG_PASS: 'nope' }), file, before);
    expect(wrong).toMatch(/wrong password/);
  });

  it('--password-command gives the password', async () => {
    const r = await sb.nc(file, ['--password-command', `printf '%s\\n' '${PASS}'`, 'listremotes']);
    expectOk(r);
    expect(r.stdout).toBe('first:\nlast:\ns3 remote:\ntool-section:\n');
    const wrong = await sb.nc(file, ['--password-command', 'echo wrong', 'listremotes']);
    expect(expectOneLineError(wrong, 1)).toMatch(/wrong password/);
    const failing = await sb.nc(file, ['--password-command', 'exit 3', 'listremotes']);
    expect(expectOneLineError(failing, 1)).toMatch(/password-command/);
  });

  it('create, update and delete keep the file encrypted with the same password', async () => {
    const env = { NCLONE_CONFIG_PASS: PASS };
    expectOk(await sb.nc(file, ['config', 'create', 'added', 'local'], env));
    expectEncrypted(file);
    expectOk(await sb.nc(file, ['--password-command', `printf '%s' '${PASS}'`, 'config', 'update', 's3 remote', 'region=enc-region'], {}));
    expectEncrypted(file);
    expectOk(await sb.nc(file, ['config', 'delete', 'last'], env));
    expectEncrypted(file);
    const show = await sb.nc(file, ['config', 'show', '--show-secrets'], env);
    expectOk(show);
    const s = parseSections(show.stdout);
    expect(Object.keys(s)).toEqual(['first', 's3 remote', 'tool-section', 'added']);
    expect(s['s3 remote']!.region).toBe('enc-region');
  });

  it('set again with a new password re-encrypts; the old one stops working', async () => {
    const f = handWritten('encrypt-change');
    expectOk(await sb.nc(f, ['config', 'encryption', 'set'], { NCLONE_CONFIG_NEW_PASS: 'first-pass' }));
    expectOk(await sb.nc(f, ['config', 'encryption', 'set'], { NCLONE_CONFIG_PASS: 'first-pass', NCLONE_CONFIG_NEW_PASS: 'second-pass' }));
    expectEncrypted(f);
    expectOk(await sb.nc(f, ['config', 'encryption', 'check'], { NCLONE_CONFIG_PASS: 'second-pass' }));
    expect(expectOneLineError(await sb.nc(f, ['config', 'encryption', 'check'], { NCLONE_CONFIG_PASS: 'first-pass' }), 1)).toMatch(/wrong password/);
    // No new password and no terminal: refused, file unchanged.
    const before = fileState(f);
    expectRefused(await sb.nc(f, ['config', 'encryption', 'set'], { NCLONE_CONFIG_PASS: 'second-pass' }), f, before);
  });

  it('set on a config file that does not exist yet writes an encrypted empty config', async () => {
    const f = sb.conf('encrypt-new');
    expectOk(await sb.nc(f, ['config', 'encryption', 'set'], { NCLONE_CONFIG_NEW_PASS: PASS }));
    expectEncrypted(f);
    expectOk(await sb.nc(f, ['config', 'create', 'one', 'local'], { NCLONE_CONFIG_PASS: PASS }));
    expectEncrypted(f);
    const lr = await sb.nc(f, ['listremotes', '--long'], { NCLONE_CONFIG_PASS: PASS });
    expectOk(lr);
    expect(lr.stdout).toBe('one: local\n');
  });

  it('remove decrypts back to the plain text, byte for byte', async () => {
    const f = handWritten('encrypt-remove');
    expectOk(await sb.nc(f, ['config', 'encryption', 'set'], { NCLONE_CONFIG_NEW_PASS: PASS }));
    expectEncrypted(f);
    const wrong = fileState(f);
    expectRefused(await sb.nc(f, ['config', 'encryption', 'remove'], { NCLONE_CONFIG_PASS: 'wrong' }), f, wrong);
    expectOk(await sb.nc(f, ['config', 'encryption', 'remove'], { NCLONE_CONFIG_PASS: PASS }));
    expect(readFileSync(f, 'utf8')).toBe(HAND_WRITTEN);
    expect(mode(f)).toBe(0o600);
    expect(expectOneLineError(await sb.nc(f, ['config', 'encryption', 'remove']), 1)).toMatch(/not encrypted/);
    const lr = await sb.nc(f, ['listremotes']);
    expectOk(lr);
    expect(lr.stdout).toBe('first:\nlast:\ns3 remote:\ntool-section:\n');
  });
});

// ------------------------------------------------------------------------------------------

describe('interop with rclone 1.60', () => {
  beforeAll(() => {
    requireTool('rclone', 'the interop tests compare with rclone 1.60 (test/setup.sh installs it)');
  });

  it('rclone reads a file nclone encrypted (config show, listremotes), also after an nclone update', async () => {
    const file = sb.conf('rclone-reads-encrypted');
    const pass = 'pä ss#1 ﬁ';
    expectOk(await sb.nc(file, ['config', 'create', 'ns3', 's3', 'provider=Ceph', `access_key_id=${S3_KEY_ID}`, `secret_access_key=${S3_SECRET}`, 'endpoint=http://127.0.0.1:1']));
    expectOk(await sb.nc(file, ['config', 'create', 'nloc', 'local']));
    expectOk(await sb.nc(file, ['config', 'encryption', 'set'], { NCLONE_CONFIG_NEW_PASS: pass }));
    expect(readFileSync(file, 'utf8')).toContain('RCLONE_ENCRYPT_V0:');

    const show = await rclone(sb, ['--config', file, 'config', 'show'], { RCLONE_CONFIG_PASS: pass });
    expect(show.code, show.stderr).toBe(0);
    expect(parseSections(show.stdout)).toEqual({
      ns3: { type: 's3', provider: 'Ceph', access_key_id: S3_KEY_ID, secret_access_key: S3_SECRET, endpoint: 'http://127.0.0.1:1' },
      nloc: { type: 'local' },
    });
    const lr = await rclone(sb, ['--config', file, 'listremotes'], { RCLONE_CONFIG_PASS: pass });
    expect(lr.code, lr.stderr).toBe(0);
    expect(lr.stdout).toBe('nloc:\nns3:\n');
    // Both tools normalise the password (NFKC): "ﬁ" and "fi" are the same password.
    const nfkc = await rclone(sb, ['--config', file, 'listremotes'], { RCLONE_CONFIG_PASS: 'pä ss#1 fi' });
    expect(nfkc.code, nfkc.stderr).toBe(0);
    const wrong = await rclone(sb, ['--config', file, 'listremotes'], { RCLONE_CONFIG_PASS: 'nope' });
    expect(wrong.code).not.toBe(0);

    expectOk(await sb.nc(file, ['config', 'update', 'ns3', 'region=after-update'], { NCLONE_CONFIG_PASS: pass }));
    expect(readFileSync(file, 'utf8')).toContain('RCLONE_ENCRYPT_V0:');
    const again = await rclone(sb, ['--config', file, 'config', 'show', 'ns3'], { RCLONE_CONFIG_PASS: pass });
    expect(again.code, again.stderr).toBe(0);
    expect(parseSections(again.stdout).ns3!.region).toBe('after-update');
  });

  it('rclone reads a plain file nclone wrote, comments and all', async () => {
    const file = handWritten('rclone-reads-plain');
    expectOk(await sb.nc(file, ['config', 'update', 'first', 'links=true']));
    const r = await rclone(sb, ['--config', file, 'config', 'show', 'first']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseSections(r.stdout).first).toEqual({ type: 'local', copy_links: 'true', links: 'true' });
    const lr = await rclone(sb, ['--config', file, 'listremotes']);
    expect(lr.stdout).toBe('first:\nlast:\ns3 remote:\ntool-section:\n');
  });

  it('nclone reads a file rclone encrypted through its "Set configuration password" menu (driven in tmux)', async () => {
    const file = sb.conf('nclone-reads-rclone-encrypted');
    const pass = 'rclone pass 9';
    const create = await rclone(sb, ['--config', file, 'config', 'create', 'rs3', 's3', 'provider', 'Minio', 'access_key_id', S3_KEY_ID, 'secret_access_key', S3_SECRET, 'endpoint', 'http://127.0.0.1:2']);
    expect(create.code, create.stderr).toBe(0);
    const local = await rclone(sb, ['--config', file, 'config', 'create', 'rloc', 'local']);
    expect(local.code, local.stderr).toBe(0);
    await rcloneSetPasswordInTmux(sb, file, pass);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('RCLONE_ENCRYPT_V0:');
    expect(text).not.toContain(S3_SECRET);

    const env = { NCLONE_CONFIG_PASS: pass };
    expectOk(await sb.nc(file, ['config', 'encryption', 'check'], env));
    const show = await sb.nc(file, ['config', 'show', '--show-secrets'], env);
    expectOk(show);
    expect(parseSections(show.stdout)).toEqual({
      rs3: { type: 's3', provider: 'Minio', access_key_id: S3_KEY_ID, secret_access_key: S3_SECRET, endpoint: 'http://127.0.0.1:2' },
      rloc: { type: 'local' },
    });
    const lr = await sb.nc(file, ['listremotes', '--long'], env);
    expectOk(lr);
    expect(lr.stdout).toBe('rloc: local\nrs3:  s3\n');
    expect(expectOneLineError(await sb.nc(file, ['listremotes'], { NCLONE_CONFIG_PASS: 'nope' }), 1)).toMatch(/wrong password/);
    expect(expectOneLineError(await sb.nc(file, ['listremotes']), 1)).toMatch(/encrypted/);

    // nclone edits it and it stays readable by rclone with the same password.
    expectOk(await sb.nc(file, ['config', 'update', 'rs3', 'region=r9'], env));
    const back = await rclone(sb, ['--config', file, 'config', 'show', 'rs3'], { RCLONE_CONFIG_PASS: pass });
    expect(back.code, back.stderr).toBe(0);
    expect(parseSections(back.stdout).rs3!.region).toBe('r9');
  }, 60_000);

  it('nclone reads a plain file written by rclone config create', async () => {
    const file = sb.conf('nclone-reads-rclone-plain');
    const a = await rclone(sb, ['--config', file, 'config', 'create', 'plain3', 's3', 'provider', 'Ceph', 'access_key_id', S3_KEY_ID, 'secret_access_key', S3_SECRET, 'endpoint', 'http://127.0.0.1:3', 'chunk_size', '16Mi']);
    expect(a.code, a.stderr).toBe(0);
    const b = await rclone(sb, ['--config', file, 'config', 'create', 'ploc', 'local', 'copy_links', 'true']);
    expect(b.code, b.stderr).toBe(0);
    const show = await sb.nc(file, ['config', 'show', '--show-secrets']);
    expectOk(show);
    expect(parseSections(show.stdout)).toEqual({
      plain3: { type: 's3', provider: 'Ceph', access_key_id: S3_KEY_ID, secret_access_key: S3_SECRET, endpoint: 'http://127.0.0.1:3', chunk_size: '16Mi' },
      ploc: { type: 'local', copy_links: 'true' },
    });
    const red = await sb.nc(file, ['config', 'show']);
    expectOk(red);
    expect(red.stdout).not.toContain(S3_SECRET);
    expect(red.stdout).not.toContain(S3_KEY_ID);
    const lr = await sb.nc(file, ['listremotes', '--long']);
    expect(lr.stdout).toBe('plain3: s3\nploc:   local\n');
    // An nclone update of rclone's file: still valid for rclone.
    expectOk(await sb.nc(file, ['config', 'update', 'plain3', 'region=x1']));
    const back = await rclone(sb, ['--config', file, 'config', 'show', 'plain3']);
    expect(back.code, back.stderr).toBe(0);
    expect(parseSections(back.stdout).plain3!.region).toBe('x1');
  });
});
