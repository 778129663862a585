/**
 * The config wizard's state machine, driven answer by answer as a person would answer it,
 * with no terminal: each step names the prompt it expects and what is typed there. The
 * actions it asks for are carried out on a real config file in a temporary directory,
 * and the sections written are compared with what rclone's S3 docs show for those answers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../backends/index.js';
import { decryptConfig, isEncrypted } from '../src/config/crypt.js';
import { answer, start, type MachineContext } from '../src/config/wizard/machine.js';
import { skipTo, wizardDriver, type Session, type Step } from './helpers/wizard.js';
import type { BackendDef } from '../src/fs/registry.js';
import { s3Fs, s3Server, uniqueBucket } from './helpers/s3.js';
import { sftpServer } from './helpers/sftp.js';
import { reveal } from '../src/lib/obscure.js';

const registry = defaultRegistry();
const ctx: MachineContext = { backends: registry.all() };
let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nclone-wizard-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function newFile(text?: string): string {
  const file = path.join(dir, `c${++n}`, 'nclone.conf');
  if (text !== undefined) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return file;
}

const drive = wizardDriver(registry, ctx);

const read = (file: string) => readFileSync(file, 'utf8');
const labels = (s: Session) => s.asked.map((q) => q.message);
const askedFor = (s: Session, prompt: string) => s.asked.find((q) => q.message === prompt)!;

/** The steps from the menu to a new S3 remote's provider prompt. */
const newS3 = (name: string, menu = 'n/s/q'): Step[] => [
  [menu, 'n'],
  ['name', name],
  ['Storage', 's3'],
];
/** Keep it, skip the connectivity check, quit. */
const keepAndQuit: Step[] = [
  ['y/e/d', 'y'],
  ['Test the remote before saving it?', 'n'],
  ['e/n/d/r/c/s/q', 'q'],
];

describe('new S3 remotes, as in the rclone S3 docs', () => {
  it('AWS with keys, region picked by number from the AWS list', async () => {
    const file = newFile();
    const s = await drive(file, [
      ...newS3('remote'),
      ['provider', '1'],
      ['env_auth', '1'],
      ['access_key_id', 'AKIAIOSFODNN7EXAMPLE'],
      ['secret_access_key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      ['region', '1'],
      ['location_constraint', ''],
      ['acl', ''],
      ['server_side_encryption', ''],
      ['storage_class', ''],
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe(
      '[remote]\ntype = s3\nprovider = AWS\naccess_key_id = AKIAIOSFODNN7EXAMPLE\nsecret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = us-east-1\n',
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // No endpoint for AWS; the region list is AWS's own; keys are typed unseen and never shown back.
    expect(labels(s)).not.toContain('endpoint');
    expect(askedFor(s, 'region').choices!.map((c) => c.value).slice(0, 2)).toEqual(['us-east-1', 'us-east-2']);
    expect(askedFor(s, 'region').choices!.map((c) => c.value)).not.toContain('other-v2-signature');
    expect(askedFor(s, 'access_key_id').kind).toBe('password');
    expect(askedFor(s, 'secret_access_key').kind).toBe('password');
    expect(askedFor(s, 'secret_access_key').default).toBeUndefined();
    const shown = [...s.asked.flatMap((q) => q.help), ...s.printed].join('\n');
    expect(shown).not.toContain('wJalrXUtnFEMI');
    expect(shown).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(askedFor(s, 'y/e/d').help).toContain('secret_access_key = *** REDACTED ***');
    expect(askedFor(s, 'y/e/d').help).toContain('region = us-east-1');
    // Each option shows its one-line help and its default.
    expect(askedFor(s, 'env_auth').help[0]).toMatch(/^Option env_auth: Get AWS credentials from the runtime/);
    expect(askedFor(s, 'env_auth').default).toBe('false');
    expect(s.printed.join('\n')).toContain(`Remote "remote" saved in ${file}.`);
  });

  it('Ceph with region other-v2-signature: only the generic region entries are offered', async () => {
    const file = newFile();
    const s = await drive(file, [
      ...newS3('ceph'),
      ['provider', 'ceph'],
      ['env_auth', ''],
      ['access_key_id', 'CEPHKEY'],
      ['secret_access_key', 'CEPHSECRET'],
      ['region', '2'],
      ['endpoint', 'https://ceph.endpoint.example.com'],
      ['acl', ''],
      ['server_side_encryption', ''],
      ['Edit advanced config?', ''],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe(
      '[ceph]\ntype = s3\nprovider = Ceph\naccess_key_id = CEPHKEY\nsecret_access_key = CEPHSECRET\nregion = other-v2-signature\nendpoint = https://ceph.endpoint.example.com\n',
    );
    expect(askedFor(s, 'region').choices!.map((c) => c.value)).toEqual(['', 'other-v2-signature']);
    expect(labels(s)).not.toContain('location_constraint');
    expect(labels(s)).not.toContain('storage_class');
  });

  it('Ceph with v2_auth = true set among the advanced options', async () => {
    const file = newFile();
    const s = await drive(file, [
      ...newS3('ceph'),
      ['provider', '2'],
      ['env_auth', 'false'],
      ['access_key_id', 'CEPHKEY'],
      ['secret_access_key', 'CEPHSECRET'],
      ['region', ''],
      ['endpoint', 'http://127.0.0.1:7480'],
      ['acl', ''],
      ['server_side_encryption', ''],
      ['Edit advanced config?', 'y'],
      skipTo('v2_auth'),
      ['v2_auth', 'true'],
      skipTo('y/e/d'),
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe('[ceph]\ntype = s3\nprovider = Ceph\naccess_key_id = CEPHKEY\nsecret_access_key = CEPHSECRET\nendpoint = http://127.0.0.1:7480\nv2_auth = true\n');
    // Answers make some advanced options pointless: no KMS key without aws:kms, no profile without env_auth.
    expect(labels(s)).toContain('chunk_size');
    expect(labels(s)).toContain('session_token');
    for (const skipped of ['sse_kms_key_id', 'profile', 'shared_credentials_file']) expect(labels(s)).not.toContain(skipped);
  });

  it('MinIO with the endpoint http://127.0.0.1:9000 and a typed region', async () => {
    const file = newFile();
    await drive(file, [
      ...newS3('minio'),
      ['provider', 'Minio'],
      ['env_auth', ''],
      ['access_key_id', 'USWUXHGYZQYFYFFIBNWM'],
      ['secret_access_key', '9KTqmkXUR6DebHp8bZMbBLD76Jz5gF2rRTsanTMO'],
      ['region', 'us-east-1'],
      ['endpoint', 'http://127.0.0.1:9000'],
      ['acl', ''],
      ['server_side_encryption', ''],
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe(
      '[minio]\ntype = s3\nprovider = Minio\naccess_key_id = USWUXHGYZQYFYFFIBNWM\nsecret_access_key = 9KTqmkXUR6DebHp8bZMbBLD76Jz5gF2rRTsanTMO\nregion = us-east-1\nendpoint = http://127.0.0.1:9000\n',
    );
  });

  it('Wasabi with the endpoint chosen by number', async () => {
    const file = newFile();
    const s = await drive(file, [
      ...newS3('wasabi'),
      ['provider', '4'],
      ['env_auth', ''],
      ['access_key_id', 'YOURACCESSKEY'],
      ['secret_access_key', 'YOURSECRETACCESSKEY'],
      ['region', ''],
      ['endpoint', '1'],
      ['acl', ''],
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe('[wasabi]\ntype = s3\nprovider = Wasabi\naccess_key_id = YOURACCESSKEY\nsecret_access_key = YOURSECRETACCESSKEY\nendpoint = s3.wasabisys.com\n');
    const endpoints = askedFor(s, 'endpoint').choices!.map((c) => c.value);
    expect(endpoints.every((e) => e.endsWith('wasabisys.com'))).toBe(true);
    expect(labels(s)).not.toContain('server_side_encryption');
  });

  it('DigitalOcean Spaces', async () => {
    const file = newFile();
    const s = await drive(file, [
      ...newS3('spaces'),
      ['provider', 'DigitalOcean'],
      ['env_auth', ''],
      ['access_key_id', 'YOUR_ACCESS_KEY'],
      ['secret_access_key', 'YOUR_SECRET_KEY'],
      ['region', ''],
      ['endpoint', 'nyc3.digitaloceanspaces.com'],
      ['acl', ''],
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe('[spaces]\ntype = s3\nprovider = DigitalOcean\naccess_key_id = YOUR_ACCESS_KEY\nsecret_access_key = YOUR_SECRET_KEY\nendpoint = nyc3.digitaloceanspaces.com\n');
    expect(askedFor(s, 'endpoint').choices![0]!.value).toBe('nyc3.digitaloceanspaces.com');
  });

  it('anonymous access: env_auth false and blank keys write only the provider', async () => {
    const file = newFile();
    await drive(file, [
      ...newS3('anons3'),
      ['provider', 'AWS'],
      ['env_auth', 'false'],
      ['access_key_id', ''],
      ['secret_access_key', ''],
      ['region', ''],
      ['location_constraint', ''],
      ['acl', ''],
      ['server_side_encryption', ''],
      ['storage_class', ''],
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe('[anons3]\ntype = s3\nprovider = AWS\n');
  });

  it('env_auth true: the keys are not asked', async () => {
    const file = newFile();
    const s = await drive(file, [...newS3('envs3'), ['provider', 'AWS'], ['env_auth', '2'], ['region', '6'], skipTo('Edit advanced config?'), ['Edit advanced config?', 'n'], ...keepAndQuit]);
    expect(read(file)).toBe('[envs3]\ntype = s3\nprovider = AWS\nenv_auth = true\nregion = eu-west-1\n');
    expect(labels(s)).not.toContain('access_key_id');
    expect(labels(s)).not.toContain('secret_access_key');
  });

  it('a local remote: only advanced options, values checked as booleans', async () => {
    const file = newFile();
    const s = await drive(file, [
      ['n/s/q', 'n'],
      ['name', 'disk'],
      ['Storage', '1'],
      ['Edit advanced config?', 'y'],
      ['copy_links', 'yes'],
      ['links', 'perhaps'],
      ['links', ''],
      ['skip_links', ''],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe('[disk]\ntype = local\ncopy_links = true\n');
    expect(s.asked.find((q) => q.message === 'links' && q.error)?.error).toMatch(/invalid boolean "perhaps"/);
  });
});

describe('bad answers are asked again with the reason', () => {
  it('names, types, booleans and sizes', async () => {
    const file = newFile('[taken]\ntype = local\n');
    const s = await drive(file, [
      ['e/n/d/r/c/s/q', 'x'],
      ['e/n/d/r/c/s/q', 'n'],
      ['name', '-bad'],
      ['name', 'taken'],
      ['name', ''],
      ['name', 'good name'],
      ['Storage', 'ftp'],
      ['Storage', '9'],
      ['Storage', 'S3'],
      ['provider', 'Ceph'],
      ['env_auth', 'maybe'],
      ['env_auth', 'n'],
      ['access_key_id', 'K'],
      ['secret_access_key', 'S'],
      ['region', ''],
      ['endpoint', 'http://127.0.0.1:7480'],
      ['acl', ''],
      ['server_side_encryption', ''],
      ['Edit advanced config?', 'sure'],
      ['Edit advanced config?', 'y'],
      skipTo('chunk_size'),
      ['chunk_size', 'abc'],
      ['chunk_size', '64M'],
      ['max_upload_parts', 'lots'],
      ['max_upload_parts', ''],
      skipTo('list_chunk'),
      ['list_chunk', '1000'],
      skipTo('y/e/d'),
      ['y/e/d', 'x'],
      ...keepAndQuit,
    ]);
    const errors = s.asked.filter((q) => q.error).map((q) => `${q.message}: ${q.error}`);
    expect(errors).toEqual([
      'e/n/d/r/c/s/q: type one of e, n, d, r, c, s, q',
      expect.stringMatching(/^name: invalid remote name "-bad"/),
      'name: remote "taken" already exists: choose another name',
      'name: the name is empty: type one',
      'Storage: unknown storage type "ftp": type a number or one of local, s3, sftp',
      'Storage: unknown storage type "9": type a number or one of local, s3, sftp',
      expect.stringMatching(/^env_auth: option env_auth: invalid boolean "maybe"/),
      'Edit advanced config?: answer y or n, not "sure"',
      expect.stringMatching(/^chunk_size: option chunk_size: invalid size "abc"/),
      expect.stringMatching(/^max_upload_parts: option max_upload_parts: "lots" is not a whole number/),
      'y/e/d: type y, e or d',
    ]);
    // list_chunk = 1000 is the default, so it is not written; 64M is.
    expect(read(file)).toBe('[taken]\ntype = local\n\n[good name]\ntype = s3\nprovider = Ceph\naccess_key_id = K\nsecret_access_key = S\nendpoint = http://127.0.0.1:7480\nchunk_size = 64M\n');
  });
});

const TWO = '# my remotes\n[one]\ntype = s3\nprovider = Minio\n# keys from the admin\naccess_key_id = OLDKEY\nsecret_access_key = OLDSECRET\nendpoint = http://127.0.0.1:9000\n\n[two]\ntype = local\n';

describe('managing existing remotes', () => {
  it('edit: current values are the defaults; a secret is kept unless changed; comments stay', async () => {
    const file = newFile(TWO);
    const s = await drive(file, [
      ['e/n/d/r/c/s/q', 'e'],
      ['remote', 'one'],
      ['provider', ''],
      ['env_auth', ''],
      ['Change access_key_id?', 'n'],
      ['Change secret_access_key?', 'y'],
      ['secret_access_key', 'NEWSECRET'],
      ['region', 'us-east-1'],
      ['endpoint', ''],
      ['acl', '2'],
      ['server_side_encryption', ''],
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe(
      '# my remotes\n[one]\ntype = s3\nprovider = Minio\n# keys from the admin\naccess_key_id = OLDKEY\nsecret_access_key = NEWSECRET\nendpoint = http://127.0.0.1:9000\nregion = us-east-1\nacl = public-read\n\n[two]\ntype = local\n',
    );
    expect(askedFor(s, 'provider').default).toBe('Minio');
    expect(askedFor(s, 'endpoint').default).toBe('http://127.0.0.1:9000');
    expect(askedFor(s, 'Change access_key_id?').help.join('\n')).not.toContain('OLDKEY');
    expect(s.printed.join('\n')).toContain('- secret_access_key: *** REDACTED ***');
    expect(s.printed.join('\n')).not.toContain('OLDSECRET');
  });

  it('edit: setting a value back to its default removes it; e) at the review goes round again', async () => {
    const file = newFile('[one]\ntype = s3\nprovider = AWS\nenv_auth = true\nregion = eu-west-1\n');
    await drive(file, [
      ['e/n/d/r/c/s/q', 'e'],
      ['remote', '1'],
      ['provider', ''],
      ['env_auth', 'false'],
      ['access_key_id', ''],
      ['secret_access_key', ''],
      skipTo('Edit advanced config?'),
      ['Edit advanced config?', 'n'],
      ['y/e/d', 'e'],
      ['provider', ''],
      ['env_auth', ''],
      ['access_key_id', 'AKID'],
      ['secret_access_key', 'SECRET'],
      ['region', '1'],
      skipTo('Edit advanced config?'),
      ['Edit advanced config?', 'n'],
      ...keepAndQuit,
    ]);
    expect(read(file)).toBe('[one]\ntype = s3\nprovider = AWS\nregion = us-east-1\naccess_key_id = AKID\nsecret_access_key = SECRET\n');
  });

  it('rename keeps every value; a taken name is refused', async () => {
    const file = newFile(TWO);
    const s = await drive(file, [
      ['e/n/d/r/c/s/q', 'r'],
      ['remote', '1'],
      ['name', 'two'],
      ['name', 'renamed'],
      ['e/n/d/r/c/s/q', 'q'],
    ]);
    expect(s.asked.find((q) => q.error)?.error).toBe('remote "two" already exists: choose another name');
    // Renamed where it stands, comments and all.
    expect(read(file)).toBe(TWO.replace('[one]', '[renamed]'));
    expect(askedFor(s, 'e/n/d/r/c/s/q').help.join('\n')).toMatch(/one +s3\ntwo +local/);
    expect(s.asked.at(-1)!.help.join('\n')).toMatch(/renamed +s3\ntwo +local/);
  });

  it('copy keeps every value and the original', async () => {
    const file = newFile(TWO);
    await drive(file, [
      ['e/n/d/r/c/s/q', 'c'],
      ['remote', 'one'],
      ['name', 'one-copy'],
      ['e/n/d/r/c/s/q', 'q'],
    ]);
    expect(read(file)).toBe(TWO + '\n[one-copy]\ntype = s3\nprovider = Minio\naccess_key_id = OLDKEY\nsecret_access_key = OLDSECRET\nendpoint = http://127.0.0.1:9000\n');
  });

  it('delete asks for confirmation; the last delete leaves the "no remotes" menu', async () => {
    const file = newFile(TWO);
    await drive(file, [
      ['e/n/d/r/c/s/q', 'd'],
      ['remote', 'nope'],
      ['remote', 'one'],
      ['Delete remote "one"?', 'n'],
      ['e/n/d/r/c/s/q', 'd'],
      ['remote', 'two'],
      ['Delete remote "two"?', 'y'],
      ['e/n/d/r/c/s/q', 'q'],
    ]);
    expect(read(file)).toBe('# my remotes\n[one]\ntype = s3\nprovider = Minio\n# keys from the admin\naccess_key_id = OLDKEY\nsecret_access_key = OLDSECRET\nendpoint = http://127.0.0.1:9000\n\n');
    await drive(file, [
      ['e/n/d/r/c/s/q', 'd'],
      ['remote', '1'],
      ['Delete remote "one"?', 'yes'],
      ['n/s/q', 'q'],
    ]);
    expect(read(file)).toBe('# my remotes\n');
  });

  it('d) at the review of a new remote writes nothing', async () => {
    const file = newFile(TWO);
    const s = await drive(file, [['e/n/d/r/c/s/q', 'n'], ['name', 'scratch'], ['Storage', 'local'], ['Edit advanced config?', 'n'], ['y/e/d', 'd'], ['e/n/d/r/c/s/q', 'q']]);
    expect(read(file)).toBe(TWO);
    expect(s.printed).toContain('Remote "scratch" was not saved.');
  });
});

describe('configuration password', () => {
  it('set (asked twice), edit while encrypted, change, then remove', async () => {
    const file = newFile(TWO);
    const s = await drive(file, [
      ['e/n/d/r/c/s/q', 's'],
      ['a/q', 'a'],
      ['New configuration password', 'first pass'],
      ['Confirm the configuration password', 'first typo'],
      ['New configuration password', 'first pass'],
      ['Confirm the configuration password', 'first pass'],
      ['e/n/d/r/c/s/q', 'q'],
    ]);
    expect(s.asked.find((q) => q.error)?.error).toBe('the two passwords did not match: type the new password again');
    expect(isEncrypted(read(file))).toBe(true);
    expect(read(file)).not.toContain('OLDSECRET');
    expect(decryptConfig(read(file), 'first pass', file)).toBe(TWO);

    // A later session opens it with the password; its edits keep the file encrypted.
    await drive(file, [['e/n/d/r/c/s/q', 'c'], ['remote', 'two'], ['name', 'three'], ['e/n/d/r/c/s/q', 'q']], { password: 'first pass' });
    expect(isEncrypted(read(file))).toBe(true);
    expect(decryptConfig(read(file), 'first pass', file)).toBe(TWO + '\n[three]\ntype = local\n');

    await drive(
      file,
      [
        ['e/n/d/r/c/s/q', 's'],
        ['c/u/q', 'c'],
        ['New configuration password', 'second pass'],
        ['Confirm the configuration password', 'second pass'],
        ['e/n/d/r/c/s/q', 'd'],
        ['remote', 'three'],
        ['Delete remote "three"?', 'y'],
        ['e/n/d/r/c/s/q', 's'],
        ['c/u/q', 'u'],
        ['e/n/d/r/c/s/q', 'q'],
      ],
      { password: 'first pass' },
    );
    expect(isEncrypted(read(file))).toBe(false);
    expect(read(file)).toBe(TWO + '\n');
  });

  it('an empty password is refused', async () => {
    const file = newFile();
    const s = await drive(file, [['n/s/q', 's'], ['a/q', 'a'], ['New configuration password', '  '], ['New configuration password', 'pw'], ['Confirm the configuration password', 'pw'], ['n/s/q', 'q']]);
    expect(s.asked.find((q) => q.error)?.error).toBe('the password is empty: type one');
    expect(decryptConfig(read(file), 'pw', file)).toBe('');
  });
});

describe('connectivity check', () => {
  const bucket = uniqueBucket('wizard-check');
  beforeAll(async () => {
    const { fs } = await s3Fs('');
    await fs.mkdir(bucket);
  });
  afterAll(async () => {
    const { fs } = await s3Fs('');
    await fs.rmdir(bucket);
  });

  const rgwRemote = (name: string, endpoint: string, key: string, menu = 'n/s/q'): Step[] => [
    ...newS3(name, menu),
    ['provider', 'Ceph'],
    ['env_auth', ''],
    ['access_key_id', key],
    ['secret_access_key', s3Server().secretAccessKey],
    ['region', ''],
    ['endpoint', endpoint],
    ['acl', ''],
    ['server_side_encryption', ''],
    ['Edit advanced config?', 'n'],
    ['y/e/d', 'y'],
  ];
  const failedLine = (s: Session, name: string) => s.printed.find((l) => l.startsWith(`Test of ${name}:`))!;

  it('is offered with Yes as the default, and a good remote is listed, then saved', async () => {
    const file = newFile();
    const s = await drive(file, [...rgwRemote('rgw', s3Server().endpoint, s3Server().accessKeyId), ['Test the remote before saving it?', ''], ['e/n/d/r/c/s/q', 'q']]);
    expect(askedFor(s, 'Test the remote before saving it?').default).toBe('y');
    const ok = s.printed.findIndex((l) => /^Test of rgw: OK: the root lists \d+ director(y|ies) \(buckets\)/.test(l));
    const saved = s.printed.indexOf(`Remote "rgw" saved in ${file}.`);
    expect(ok).toBeGreaterThanOrEqual(0);
    expect(saved).toBeGreaterThan(ok);
    expect(read(file)).toContain('[rgw]\ntype = s3\nprovider = Ceph\n');
  });

  it('a failed check saves nothing, gives the reason in one line and offers edit, keep or quit', async () => {
    const file = newFile('[other]\ntype = local\n');
    const quit = await drive(file, [...rgwRemote('badkey', s3Server().endpoint, 'NOSUCHKEY', 'e/n/d/r/c/s/q'), ['Test the remote before saving it?', 'y'], ['e/k/q', 'q']]);
    expect(failedLine(quit, 'badkey')).toMatch(/^Test of badkey: FAILED: \S/);
    expect(failedLine(quit, 'badkey')).not.toContain('\n');
    expect(askedFor(quit, 'e/k/q').choices!.map((c) => `${c.key}) ${c.label}`)).toEqual([
      'e) Edit this remote',
      'k) Keep it anyway (save it as it is)',
      'q) Quit config without saving it',
    ]);
    expect(quit.printed.at(-1)).toBe('Remote "badkey" was not saved.');
    expect(read(file)).toBe('[other]\ntype = local\n');

    const kept = await drive(file, [...rgwRemote('badkey', s3Server().endpoint, 'NOSUCHKEY', 'e/n/d/r/c/s/q'), ['Test the remote before saving it?', ''], ['e/k/q', 'k'], ['e/n/d/r/c/s/q', 'q']]);
    expect(failedLine(kept, 'badkey')).toMatch(/^Test of badkey: FAILED: /);
    expect(read(file)).toContain('[badkey]\ntype = s3\nprovider = Ceph\naccess_key_id = NOSUCHKEY\n');
  });

  it('editing: q) after a failed check leaves the remote as it was', async () => {
    const before = '[one]\ntype = s3\nprovider = Ceph\nendpoint = http://127.0.0.1:1\n';
    const file = newFile(before);
    const s = await drive(file, [
      ['e/n/d/r/c/s/q', 'e'],
      ['remote', 'one'],
      skipTo('acl'),
      ['acl', 'public-read'],
      skipTo('Edit advanced config?'),
      ['Edit advanced config?', 'n'],
      ['y/e/d', 'y'],
      ['Test the remote before saving it?', 'y'],
      ['e/k/q', 'q'],
    ]);
    expect(failedLine(s, 'one')).toMatch(/^Test of one: FAILED: \S/);
    expect(s.printed.at(-1)).toBe('The changes to remote "one" were not saved.');
    expect(read(file)).toBe(before);
  });

  it('e) after a failed check goes through the options again, with the answers given as defaults', async () => {
    const file = newFile();
    const s = await drive(file, [
      ...rgwRemote('fixme', 'http://127.0.0.1:1', s3Server().accessKeyId),
      ['Test the remote before saving it?', 'y'],
      ['e/k/q', ''],
      ['provider', ''],
      ['env_auth', ''],
      ['Change access_key_id?', 'n'],
      ['Change secret_access_key?', 'n'],
      ['region', ''],
      ['endpoint', s3Server().endpoint],
      skipTo('Edit advanced config?'),
      ['Edit advanced config?', 'n'],
      ['y/e/d', 'y'],
      ['Test the remote before saving it?', 'y'],
      ['e/n/d/r/c/s/q', 'q'],
    ]);
    expect(failedLine(s, 'fixme')).toMatch(/^Test of fixme: FAILED: .*(ECONNREFUSED|refused)/);
    expect(s.asked.filter((q) => q.message === 'endpoint').map((q) => q.default)).toEqual(['', 'http://127.0.0.1:1']);
    expect(s.printed.filter((l) => l.startsWith('Test of fixme: OK'))).toHaveLength(1);
    expect(read(file)).toContain(`endpoint = ${s3Server().endpoint}\n`);
  });
});

describe('the machine itself', () => {
  const fake: BackendDef = {
    name: 'fake',
    description: 'A made-up backend',
    options: [
      { name: 'label', help: 'A label.', type: 'string', default: '', required: true },
      { name: 'mode', help: 'How to work.', type: 'enum', default: 'safe', choices: ['fast', 'safe'] },
      { name: 'timeout', help: 'How long to wait.', type: 'duration', default: '1m' },
      { name: 'token', help: 'A token.', type: 'string', default: '', secret: true, advanced: true },
    ],
    load: async () => {
      throw new Error('not loadable');
    },
  };

  it('works from any option table: required values, enums and durations are checked', async () => {
    const file = newFile();
    const s = await drive(
      file,
      [
        ['n/s/q', 'n'],
        ['name', 'f'],
        ['Storage', 'fake'],
        ['label', ''],
        ['label', 'mine'],
        ['mode', 'turbo'],
        ['mode', 'FAST'],
        ['timeout', 'soon'],
        ['timeout', '90s'],
        ['Edit advanced config?', 'y'],
        ['token', 'two\nlines'],
        ['token', 'hidden'],
        ['y/e/d', ''],
        ['Test the remote before saving it?', ''],
        ['e/k/q', 'k'],
        ['e/n/d/r/c/s/q', 'q'],
      ],
      { machine: { backends: [fake] } },
    );
    expect(s.printed.filter((l) => /^Test of f: FAILED: \S/.test(l))).toHaveLength(1);
    expect(s.asked.filter((q) => q.error).map((q) => q.error)).toEqual([
      'label is required: give a value',
      'option mode: "turbo" is not one of fast, safe',
      expect.stringMatching(/^option timeout: invalid duration "soon"/),
      'token: a config value is one line: type it without line breaks',
    ]);
    expect(askedFor(s, 'mode').choices!.map((c) => c.value)).toEqual(['fast', 'safe']);
    expect(askedFor(s, 'token').kind).toBe('password');
    expect(read(file)).toBe('[f]\ntype = fake\nlabel = mine\nmode = fast\ntimeout = 90s\ntoken = hidden\n');
  });

  it('is pure: the same state answered two ways gives two independent results', () => {
    let turn = start(ctx, { remotes: [], encrypted: false });
    for (const typed of ['n', 'r', 's3', 'AWS', '', 'K', 'S']) turn = answer(ctx, turn.state, typed);
    expect(turn.ask!.message).toBe('region');
    const frozen = JSON.stringify(turn.state);
    const one = answer(ctx, turn.state, '1');
    const two = answer(ctx, turn.state, '2');
    expect(JSON.stringify(turn.state)).toBe(frozen);
    expect(one.state.draft!.values.region).toBe('us-east-1');
    expect(two.state.draft!.values.region).toBe('us-east-2');
    expect(one.ask!.message).toBe('location_constraint');
    expect(one.action).toBeUndefined();
  });
});

describe('a new sftp remote', () => {
  it('asks host, user, port, password, key file, passphrase and known_hosts; the check lists the home directory; the passphrase is stored obscured', async () => {
    const s = sftpServer();
    const file = newFile();
    const session = await drive(file, [
      ['n/s/q', 'n'],
      ['name', 'srv'],
      ['Storage', 'sftp'],
      ['host', s.host],
      ['user', s.user],
      ['port', String(s.port)],
      ['pass', ''],
      ['key_file', s.encryptedKeyFile],
      ['key_file_pass', s.keyPassphrase],
      ['known_hosts_file', s.knownHostsFile],
      ['key_use_agent', ''],
      ['Edit advanced config?', 'n'],
      ['y/e/d', 'y'],
      ['Test the remote before saving it?', 'y'],
      ['e/n/d/r/c/s/q', 'q'],
    ]);
    expect(askedFor(session, 'pass').kind).toBe('password');
    expect(askedFor(session, 'key_file_pass').kind).toBe('password');
    expect(session.printed.find((l) => l.startsWith('Test of srv:'))).toMatch(/^Test of srv: OK: /);
    const text = read(file);
    const passLine = /^key_file_pass = (\S+)$/m.exec(text);
    expect(passLine, text).not.toBeNull();
    expect(passLine![1]).not.toBe(s.keyPassphrase);
    expect(reveal(passLine![1]!)).toBe(s.keyPassphrase);
    expect(text).toContain(`[srv]\ntype = sftp\nhost = ${s.host}\n`);
    expect(text).toContain(`known_hosts_file = ${s.knownHostsFile}\n`);
    expect([...session.asked.flatMap((q) => q.help), ...session.printed].join('\n')).not.toContain(s.keyPassphrase);
  });
});
