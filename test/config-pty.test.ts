/**
 * The real `nclone config` in a real terminal (tmux), typed at as a person does: each
 * prompt is awaited on the screen, then the answer is typed and Enter pressed. Afterwards
 * the config file is compared section by section; remotes pointed at the test RGW are
 * used with `nclone lsd` and with rclone 1.60, which must read the wizard's files too,
 * encrypted ones included.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEncrypted } from '../src/config/crypt.js';
import { s3Fs, s3Server, uniqueBucket } from './helpers/s3.js';
import { TmuxProgram } from './pty/tmux.js';
import { configSession, NCLONE_BIN, runProgram, sections, terminalEnv, type Step } from './pty/wizard.js';

let home: string;
let n = 0;
const bucket = uniqueBucket('wizard-pty');

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'nclone-pty-'));
  const { fs } = await s3Fs('');
  await fs.mkdir(bucket);
});

afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
  const { fs } = await s3Fs('');
  await fs.rmdir(bucket);
});

function configFile(text?: string): string {
  const file = path.join(home, `conf${++n}`, 'nclone.conf');
  mkdirSync(path.dirname(file), { recursive: true });
  if (text !== undefined) writeFileSync(file, text);
  return file;
}

const keep: Step[] = [
  ['y/e/d>', 'y'],
  ['Test the remote before saving it?', 'n'],
  ['e/n/d/r/c/s/q>', 'q'],
];

/** A port on 127.0.0.1 that nothing listens on: bound by the system, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function nclone(args: string[], extra: Record<string, string> = {}) {
  return runProgram('node', [NCLONE_BIN, ...args], terminalEnv(home, extra));
}

/** rclone 1.60 with the file; AWS_CA_BUNDLE (and every other AWS_ setting) left out of its environment. */
async function rclone(file: string, args: string[], extra: Record<string, string> = {}) {
  return runProgram('rclone', ['--config', file, ...args], terminalEnv(home, extra));
}

async function expectListsBucket(file: string, remote: string, pass?: string): Promise<void> {
  const ours = await nclone(['lsd', '--config', file, `${remote}:`], pass ? { NCLONE_CONFIG_PASS: pass } : {});
  expect(ours.stderr).toBe('');
  expect(ours.code).toBe(0);
  expect(ours.stdout.split('\n').map((l) => l.trim().split(/\s+/).at(-1))).toContain(bucket);
  const theirs = await rclone(file, ['lsd', `${remote}:`], pass ? { RCLONE_CONFIG_PASS: pass } : {});
  expect(theirs.code, theirs.stderr).toBe(0);
  expect(theirs.stdout.split('\n').map((l) => l.trim().split(/\s+/).at(-1))).toContain(bucket);
}

const newS3 = (name: string, menu = 'n/s/q>'): Step[] => [
  [menu, 'n'],
  ['name>', name],
  ['Storage>', 's3'],
];

describe('new remotes typed in a terminal', () => {
  it('AWS with keys: keys are masked on screen and redacted in the review', async () => {
    const file = configFile();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const { code, screen } = await configSession(file, home, [
      ...newS3('aws'),
      ['provider>', '1'],
      ['env_auth>', ''],
      ['access_key_id>', 'AKIAIOSFODNN7EXAMPLE'],
      ['secret_access_key>', secret],
      ['region>', '1'],
      ['location_constraint>', ''],
      ['acl>', ''],
      ['server_side_encryption>', ''],
      ['storage_class>', ''],
      ['Edit advanced config?', 'n'],
      ...keep,
    ]);
    expect(code).toBe(0);
    expect(sections(file)).toEqual({ aws: { type: 's3', provider: 'AWS', access_key_id: 'AKIAIOSFODNN7EXAMPLE', secret_access_key: secret, region: 'us-east-1' } });
    expect(screen).not.toContain(secret);
    expect(screen).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(screen).toContain(`secret_access_key> ${'*'.repeat(secret.length)}`);
    expect(screen).toContain('secret_access_key = *** REDACTED ***');
    expect(screen).not.toMatch(/^\? endpoint>/m);
    expect(screen).toMatch(/^ +1\) us-east-1 +US East \(N\. Virginia\)/m);
  });

  it('Ceph with the v2 signature, on the test RGW: the check (Yes by default, before saving), nclone lsd and rclone lsd all list the bucket', async () => {
    const file = configFile();
    const s = s3Server();
    const { code, screen } = await configSession(file, home, [
      ...newS3('ceph'),
      ['provider>', 'ceph'],
      ['env_auth>', ''],
      ['access_key_id>', s.accessKeyId],
      ['secret_access_key>', s.secretAccessKey],
      ['region>', '2'],
      ['endpoint>', s.endpoint],
      ['acl>', ''],
      ['server_side_encryption>', ''],
      ['Edit advanced config?', 'n'],
      ['y/e/d>', 'y'],
      ['Test the remote before saving it? (Y/n)', ''],
      ['e/n/d/r/c/s/q>', 'q'],
    ]);
    expect(code).toBe(0);
    expect(screen).toMatch(/^Test of ceph: OK: .*\nRemote "ceph" saved in /m);
    expect(sections(file)).toEqual({
      ceph: { type: 's3', provider: 'Ceph', access_key_id: s.accessKeyId, secret_access_key: s.secretAccessKey, region: 'other-v2-signature', endpoint: s.endpoint },
    });
    expect(screen).toMatch(/^Test of ceph: OK: the root lists \d+ director/m);
    // Only the generic region entries for Ceph.
    expect(screen).toMatch(/^ 1\) "" +Use this if unsure/m);
    expect(screen).toMatch(/^ 2\) other-v2-signature /m);
    expect(screen).not.toMatch(/^ +\d+\) us-east-2 /m);
    await expectListsBucket(file, 'ceph');
  });

  it('MinIO with an endpoint (the test RGW) and a typed region; nclone and rclone list it', async () => {
    const file = configFile();
    const s = s3Server();
    const { code } = await configSession(file, home, [
      ...newS3('minio'),
      ['provider>', '3'],
      ['env_auth>', 'false'],
      ['access_key_id>', s.accessKeyId],
      ['secret_access_key>', s.secretAccessKey],
      ['region>', 'us-east-1'],
      ['endpoint>', s.endpoint],
      ['acl>', ''],
      ['server_side_encryption>', ''],
      ['Edit advanced config?', 'n'],
      ...keep,
    ]);
    expect(code).toBe(0);
    expect(sections(file)).toEqual({
      minio: { type: 's3', provider: 'Minio', access_key_id: s.accessKeyId, secret_access_key: s.secretAccessKey, region: 'us-east-1', endpoint: s.endpoint },
    });
    await expectListsBucket(file, 'minio');
  });

  it('Wasabi (endpoint by number), DigitalOcean Spaces and an anonymous AWS remote in one session', async () => {
    const file = configFile();
    const { code } = await configSession(file, home, [
      ...newS3('wasabi'),
      ['provider>', 'Wasabi'],
      ['env_auth>', ''],
      ['access_key_id>', 'YOURACCESSKEY'],
      ['secret_access_key>', 'YOURSECRETACCESSKEY'],
      ['region>', ''],
      ['endpoint>', '1'],
      ['acl>', ''],
      ['Edit advanced config?', 'n'],
      ['y/e/d>', 'y'],
      ['Test the remote before saving it?', 'n'],
      ...newS3('spaces', 'e/n/d/r/c/s/q>'),
      ['provider>', '5'],
      ['env_auth>', ''],
      ['access_key_id>', 'YOUR_ACCESS_KEY'],
      ['secret_access_key>', 'YOUR_SECRET_KEY'],
      ['region>', ''],
      ['endpoint>', 'nyc3.digitaloceanspaces.com'],
      ['acl>', ''],
      ['Edit advanced config?', 'n'],
      ['y/e/d>', ''],
      ['Test the remote before saving it?', 'n'],
      ...newS3('anons3', 'e/n/d/r/c/s/q>'),
      ['provider>', 'aws'],
      ['env_auth>', ''],
      ['access_key_id>', ''],
      ['secret_access_key>', ''],
      ['region>', ''],
      ['location_constraint>', ''],
      ['acl>', ''],
      ['server_side_encryption>', ''],
      ['storage_class>', ''],
      ['Edit advanced config?', ''],
      ...keep,
    ]);
    expect(code).toBe(0);
    expect(sections(file)).toEqual({
      wasabi: { type: 's3', provider: 'Wasabi', access_key_id: 'YOURACCESSKEY', secret_access_key: 'YOURSECRETACCESSKEY', endpoint: 's3.wasabisys.com' },
      spaces: { type: 's3', provider: 'DigitalOcean', access_key_id: 'YOUR_ACCESS_KEY', secret_access_key: 'YOUR_SECRET_KEY', endpoint: 'nyc3.digitaloceanspaces.com' },
      anons3: { type: 's3', provider: 'AWS' },
    });
  });

  it('a check against a closed port fails in one line and offers edit, keep or quit; quit saves nothing', async () => {
    const file = configFile('[two]\ntype = local\n');
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const s = s3Server();
    const term = new TmuxProgram(terminalEnv(home));
    try {
      await term.start(['node', NCLONE_BIN, 'config', '--config', file], home);
      const steps: Step[] = [
        ...newS3('closed', 'e/n/d/r/c/s/q>'),
        ['provider>', 'Ceph'],
        ['env_auth>', ''],
        ['access_key_id>', s.accessKeyId],
        ['secret_access_key>', s.secretAccessKey],
        ['region>', ''],
        ['endpoint>', endpoint],
        ['acl>', ''],
        ['server_side_encryption>', ''],
        ['Edit advanced config?', 'n'],
        ['y/e/d>', 'y'],
        ['Test the remote before saving it?', 'y'],
      ];
      for (const [prompt, typed] of steps) await term.answer(prompt, typed);
      // The three choices, as the open prompt shows them.
      const open = await term.waitPrompt('e/k/q>', 60_000);
      expect(open).toMatch(new RegExp(`^Test of closed: FAILED: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}\\S*$`, 'm'));
      expect(open).toMatch(/^"closed" is not saved yet\.$/m);
      expect(open).toMatch(/e\) Edit this remote\n.*k\) Keep it anyway \(save it as it is\)\n.*q\) Quit config without saving it/);
      // Nothing written while the person decides.
      expect(readFileSync(file, 'utf8')).toBe('[two]\ntype = local\n');
      await term.answer('e/k/q>', 'q');
      expect(await term.exitCode()).toBe(0);
      expect(await term.screen()).toMatch(/^Remote "closed" was not saved\.$/m);
    } finally {
      await term.stop();
    }
    expect(readFileSync(file, 'utf8')).toBe('[two]\ntype = local\n');
  });

  it('a bad value is asked again with the reason', async () => {
    const file = configFile();
    const { code, screen } = await configSession(file, home, [
      ['n/s/q>', 'n'],
      ['name>', '-bad'],
      ['name>', 'disk'],
      ['Storage>', 'local'],
      ['Edit advanced config?', 'y'],
      ['copy_links>', 'maybe'],
      ['copy_links>', 'true'],
      ['links>', ''],
      ['skip_links>', ''],
      ...keep,
    ]);
    expect(code).toBe(0);
    expect(screen).toMatch(/^Error: invalid remote name "-bad"/m);
    expect(screen).toMatch(/^Error: option copy_links: invalid boolean "maybe"/m);
    expect(sections(file)).toEqual({ disk: { type: 'local', copy_links: 'true' } });
  });
});

const PREPARED = (s = s3Server()) =>
  `# written by hand\n[one]\ntype = s3\nprovider = Ceph\n# the test user\naccess_key_id = ${s.accessKeyId}\nsecret_access_key = ${s.secretAccessKey}\nendpoint = ${s.endpoint}\n\n[two]\ntype = local\n`;

describe('existing remotes in a terminal', () => {
  it('edits a value: current values are the defaults, secrets kept, comments stay', async () => {
    const file = configFile(PREPARED());
    const { code, screen } = await configSession(file, home, [
      ['e/n/d/r/c/s/q>', 'e'],
      ['remote>', 'one'],
      ['provider>', ''],
      ['env_auth>', ''],
      ['Change access_key_id?', ''],
      ['Change secret_access_key?', 'n'],
      ['region>', ''],
      ['endpoint>', ''],
      ['acl>', '2'],
      ['server_side_encryption>', ''],
      ['Edit advanced config?', 'y'],
      ['session_token>', ''],
      ['bucket_acl>', ''],
      ['upload_cutoff>', ''],
      ['chunk_size>', '16M'],
      ['max_upload_parts>', ''],
      ['upload_concurrency>', ''],
      ['copy_cutoff>', ''],
      ['disable_checksum>', ''],
      ['force_path_style>', ''],
      ['v2_auth>', ''],
      ['list_chunk>', ''],
      ['list_version>', ''],
      ['no_check_bucket>', ''],
      ['no_head>', ''],
      ['no_meta_cache>', ''],
      ['leave_parts_on_error>', ''],
      ...keep,
    ]);
    expect(code).toBe(0);
    expect(screen).toMatch(/^✔ provider> Ceph$/m);
    const s = s3Server();
    expect(sections(file)).toEqual({
      one: { type: 's3', provider: 'Ceph', access_key_id: s.accessKeyId, secret_access_key: s.secretAccessKey, endpoint: s.endpoint, acl: 'public-read', chunk_size: '16M' },
      two: { type: 'local' },
    });
    expect(readFileSync(file, 'utf8')).toContain('# written by hand\n[one]\ntype = s3\nprovider = Ceph\n# the test user\n');
    await expectListsBucket(file, 'one');
  });

  it('renames and deletes (with confirmation)', async () => {
    const file = configFile(PREPARED());
    const { code } = await configSession(file, home, [
      ['e/n/d/r/c/s/q>', 'r'],
      ['remote>', '1'],
      ['name>', 'two'],
      ['name>', 'rgw'],
      ['e/n/d/r/c/s/q>', 'd'],
      ['remote>', 'two'],
      ['Delete remote "two"?', 'n'],
      ['e/n/d/r/c/s/q>', 'd'],
      ['remote>', 'two'],
      ['Delete remote "two"?', 'y'],
      ['e/n/d/r/c/s/q>', 'q'],
    ]);
    expect(code).toBe(0);
    const s = s3Server();
    expect(sections(file)).toEqual({ rgw: { type: 's3', provider: 'Ceph', access_key_id: s.accessKeyId, secret_access_key: s.secretAccessKey, endpoint: s.endpoint } });
    await expectListsBucket(file, 'rgw');
  });

  it('sets a config password (rclone reads the encrypted file), then removes it', async () => {
    const original = PREPARED();
    const file = configFile(original);
    const pass = 'correct horse battery';
    const set = await configSession(file, home, [
      ['e/n/d/r/c/s/q>', 's'],
      ['a/q>', 'a'],
      ['New configuration password>', pass],
      ['Confirm the configuration password>', pass],
      ['e/n/d/r/c/s/q>', 'q'],
    ]);
    expect(set.code).toBe(0);
    expect(set.screen).not.toContain(pass);
    const text = readFileSync(file, 'utf8');
    expect(isEncrypted(text)).toBe(true);
    expect(text).not.toContain(s3Server().secretAccessKey);
    await expectListsBucket(file, 'one', pass);

    // The next session asks for the password first, then removes it.
    const removed = await configSession(file, home, [
      ['Enter the configuration password', pass],
      ['e/n/d/r/c/s/q>', 's'],
      ['c/u/q>', 'u'],
      ['e/n/d/r/c/s/q>', 'q'],
    ]);
    expect(removed.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
    await expectListsBucket(file, 'one');
  });
});
