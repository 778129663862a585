/**
 * What the command line says while it works: -v on a no-op run, --stats and
 * --stats-one-line, --log-file, the -vv start lines (without secrets), and names holding
 * control characters, which must never reach stderr raw.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run } from './helpers/run.js';

let base: string;
let env: NodeJS.ProcessEnv;
let n = 0;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-output-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function fresh(name: string): string {
  return path.join(base, `${++n}-${name}`);
}

function tree(files: number, size: number): string {
  const dir = fresh('src');
  mkdirSync(dir);
  for (let i = 0; i < files; i++) writeFileSync(path.join(dir, `f${i}.bin`), Buffer.alloc(size, i));
  return dir;
}

const nclone = (...args: string[]) => run('node', [NCLONE, ...args], env);

describe('-v on a run with nothing to do', () => {
  it('says "There was nothing to transfer", as rclone does; a run that copies does not', async () => {
    const src = tree(3, 10);
    const dst = fresh('dst');
    const first = await nclone('sync', src, dst, '-v');
    expect(first.code).toBe(0);
    expect(first.stderr).not.toContain('There was nothing to transfer');
    const again = await nclone('sync', src, dst, '-v');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO  : There was nothing to transfer$/m);
  });
});

describe('"There was nothing to transfer" only on a run that succeeded', () => {
  it('a run whose only file fails does not say it', async () => {
    const src = fresh('src');
    mkdirSync(src);
    // With -L a symlink to nowhere is an error for that file: nothing is copied, and not because there was nothing to do.
    symlinkSync(path.join(base, 'nowhere'), path.join(src, 'dangling'));
    const r = await nclone('sync', '-L', src, fresh('dst'), '-v', '--retries', '3');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('ERROR : Failed to sync with 1 error');
    expect(r.stderr).not.toContain('There was nothing to transfer');
  });

  it('a retried run that fails each time does not say it either', async () => {
    // A server on 127.0.0.1 that drops every connection: the listing fails, retryably, on each attempt.
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const source = `:s3,provider=Ceph,endpoint='http://127.0.0.1:${port}',access_key_id=a,secret_access_key=b:bucket`;
      const r = await nclone('sync', source, fresh('dst'), '-v', '--retries', '3', '--low-level-retries', '1');
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('Attempt 2/3 failed');
      expect(r.stderr).not.toContain('There was nothing to transfer');
    } finally {
      server.close();
    }
  });
});

/** One stats line: sizes as formatSize writes them (`512 B`, `1.750 MiB`), percent, speed, ETA, files. */
const SIZE = String.raw`(?:\d+ B|\d+\.\d{3} [KMGTPE]iB)`;
const ONE_LINE = new RegExp(String.raw` +${SIZE} \/ ${SIZE}, \d+%, ${SIZE}\/s, ETA \S+ \(xfr#\d+\/\d+\)`);

describe('--stats', () => {
  // About 3 s at 1 MiB/s (after a first second's burst, at least 2 s) with stats every
  // 250 ms: some 12 periodic stats (13 blocks in all, measured), where the tests need 3.
  let src: string;
  beforeAll(() => {
    src = tree(16, 256 * 1024);
  });

  it('--stats 250ms -v logs the stats block at that interval, as docs/flags.md says', async () => {
    const r = await nclone('copy', src, fresh('dst'), '--stats', '250ms', '-v', '--bwlimit', '1M');
    expect(r.code).toBe(0);
    const blocks = r.stderr.match(/ INFO  : \nTransferred: .*\n(?:[A-Z].*\n)*?Elapsed time: /g) ?? [];
    // The periodic ones, then the final summary.
    expect(blocks.length, r.stderr).toBeGreaterThanOrEqual(3);
  });

  it('--stats-one-line makes each of them one line', async () => {
    const r = await nclone('copy', src, fresh('dst'), '--stats', '250ms', '--stats-one-line', '-v', '--bwlimit', '1M');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('Elapsed time');
    const one = r.stderr.match(new RegExp(` INFO  : ${ONE_LINE.source}$`, 'gm')) ?? [];
    expect(one.length, r.stderr).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/ INFO  : +4\.000 MiB \/ 4\.000 MiB, 100%, .* \(xfr#16\/16\)$/m);
  });

  it('docs/flags.md shows a --stats-one-line line as nclone prints it', () => {
    const docs = readFileSync(new URL('../docs/flags.md', import.meta.url), 'utf8');
    const row = docs.split('\n').find((l) => l.startsWith('| `--stats-one-line`'));
    // The last `code` span of the row is the example.
    const example = [...(row ?? '').matchAll(/`([^`]*)`/g)].at(-1)?.[1];
    expect(example, row).toBeDefined();
    expect(example).toMatch(new RegExp(`^${ONE_LINE.source}$`));
  });
});

describe('--log-file', () => {
  it('is created with mode 0600 at the start, even when nothing is logged', async () => {
    const file = fresh('run.log');
    const r = await nclone('ls', tree(1, 1), '--log-file', file);
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('a missing directory, a directory, or a file as the parent: one line, exit 1 (usage)', async () => {
    const dir = fresh('logs');
    mkdirSync(dir);
    const plain = fresh('plain');
    writeFileSync(plain, '');
    const cases: [string, RegExp][] = [
      [path.join(dir, 'no', 'such', 'x.log'), /directory .*no\/such does not exist/],
      [dir, /it is a directory/],
      [path.join(plain, 'x.log'), /is not a directory/],
    ];
    for (const [file, why] of cases) {
      const r = await nclone('sync', tree(1, 1), fresh('dst'), '--log-file', file);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^nclone: can't open --log-file ${file.replace(/[/.]/g, '\\$&')}: .*\\n$`));
      expect(r.stderr).toMatch(why);
    }
  });
});

describe('--log-file and the fatal error line', () => {
  it('the `nclone: ...` line that ends a run goes to stderr and into the log file', async () => {
    const cases: [string, string[], number][] = [
      ['a missing directory', ['ls', path.join(base, 'no-such-dir')], 3],
      ['overlapping paths (usage)', ['sync', base, path.join(base, 'inside')], 1],
    ];
    for (const [what, args, code] of cases) {
      const file = fresh('fatal.log');
      const r = await nclone(...args, '--log-file', file);
      expect(r.code, `${what}: ${r.stderr}`).toBe(code);
      const line = r.stderr.split('\n').find((l) => l.startsWith('nclone: '));
      expect(line, `${what}: ${r.stderr}`).toBeDefined();
      expect(readFileSync(file, 'utf8').split('\n'), what).toContain(line);
    }
  });
});

describe('-vv starts the log as rclone does', () => {
  it('with the version, the arguments (secrets redacted) and the config file', async () => {
    const conf = fresh('nclone.conf');
    writeFileSync(conf, '[disk]\ntype = local\n');
    const src = tree(1, 1);
    const secretPath = `:s3,provider=Ceph,endpoint='http://127.0.0.1:9',access_key_id=AKID42,secret_access_key=SHH-in-path:bucket`;
    const r = await nclone('-vv', '--config', conf, '--s3-secret-access-key', 'SHH-flag', '--s3-session-token=SHH-eq', 'copy', src, secretPath, '--retries', '1', '--low-level-retries', '1');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/ DEBUG : nclone: Version "v\d+\.\d+\.\d+"/);
    expect(lines[1]).toMatch(/ DEBUG : nclone: Starting with arguments \["nclone" "-vv" "--config" /);
    expect(lines[1]).toContain('"--s3-secret-access-key" "*** REDACTED ***"');
    expect(lines[1]).toContain('"--s3-session-token=*** REDACTED ***"');
    expect(lines[1]).toContain('secret_access_key=*** REDACTED ***');
    expect(lines[1]).toContain(`endpoint='http://127.0.0.1:9'`);
    expect(lines[2]).toMatch(new RegExp(` DEBUG : Using config file from "${conf.replace(/[/.]/g, '\\$&')}"$`));
    for (const secret of ['SHH-flag', 'SHH-eq', 'SHH-in-path', 'AKID42']) expect(r.stderr).not.toContain(secret);
  });
});

describe('-vv never writes a secret given to the config commands', () => {
  // config create/update take `key=value` and rclone's `key value`; both end up in the
  // -vv "Starting with arguments" line, on stderr or in the --log-file.
  const cases: [string, string[], string][] = [
    ['update key=value', ['config', 'update', 'r', 'secret_access_key=SUPERSECRET2'], 'SUPERSECRET2'],
    ['update key=value, access key', ['config', 'update', 'r', 'access_key_id=AKIDSECRET3'], 'AKIDSECRET3'],
    ['create key value', ['config', 'create', 'r2', 's3', 'provider', 'Ceph', 'secret_access_key', 'PAIRSECRET4'], 'PAIRSECRET4'],
    ['create key-value with dashes', ['config', 'create', 'r3', 's3', 'session-token', 'DASHSECRET5'], 'DASHSECRET5'],
    // Not an option of any backend here, but named like a secret (another rclone backend's key).
    ['update looks like a secret', ['config', 'update', 'r', 'client_secret=LOOKSSECRET6'], 'LOOKSSECRET6'],
  ];
  for (const [what, args, secret] of cases) {
    it(`${what}: redacted on stderr and in the log file`, async () => {
      const conf = fresh('nclone.conf');
      writeFileSync(conf, '[r]\ntype = s3\nprovider = Ceph\n');
      const onStderr = await nclone('-vv', '--config', conf, ...args);
      expect(onStderr.stderr).toMatch(/ DEBUG : nclone: Starting with arguments /);
      expect(onStderr.stderr).toContain('*** REDACTED ***');
      expect(onStderr.stderr).not.toContain(secret);
      const log = fresh('secret.log');
      const conf2 = fresh('nclone.conf');
      writeFileSync(conf2, '[r]\ntype = s3\nprovider = Ceph\n');
      const toFile = await nclone('-vv', '--log-file', log, '--config', conf2, ...args);
      const logged = readFileSync(log, 'utf8');
      expect(logged).toMatch(/ DEBUG : nclone: Starting with arguments /);
      expect(logged).not.toContain(secret);
      expect(toFile.stderr).not.toContain(secret);
    });
  }

  it('keeps ordinary arguments as they are', async () => {
    const conf = fresh('nclone.conf');
    writeFileSync(conf, '[r]\ntype = s3\nprovider = Ceph\n');
    const r = await nclone('-vv', '--config', conf, 'config', 'update', 'r', 'region=eu-west-1', 'acl', 'private');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('"region=eu-west-1" "acl" "private"');
  });
});

describe('names with control characters never reach the terminal raw', () => {
  // Local names can hold any byte but / and NUL.
  const evil = 'evil\n2020-01-01 00:00:00 ERROR : forged\x1b[31mred\x07.txt';

  it('sync -v logs such a name escaped, on one line', async () => {
    const src = fresh('src');
    mkdirSync(src);
    writeFileSync(path.join(src, evil), 'x');
    const r = await nclone('sync', src, fresh('dst'), '-v');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).not.toMatch(/^2020-01-01/m);
    expect(r.stderr).toContain('INFO  : evil\\n2020-01-01 00:00:00 ERROR : forged\\x1b[31mred\\x07.txt: Copied (new)');
  });

  it('the final summary names the last error on one escaped line', async () => {
    const src = fresh('src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'ok.txt'), 'x');
    // With -L a symlink to nowhere is an error naming it.
    symlinkSync(path.join(base, 'nowhere'), path.join(src, 'dang\nling\x1b[31m'));
    const r = await nclone('sync', '-L', src, fresh('dst'), '-v');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).toMatch(/^Last error: .*dang\\nling\\x1b\[31m: object not found$/m);
    expect(r.stderr).not.toMatch(/^ling/m);
  });

  it('an error that ends the command early escapes the path it names', async () => {
    const r = await nclone('ls', path.join(base, 'no\x1b[31msuch\ndir'));
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no\\x1b[31msuch\\ndir');
  });
});
