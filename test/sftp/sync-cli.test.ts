/**
 * The sftp backend through the CLI against the test run's OpenSSH sshd (test/servers/sshd.sh)
 * and Ceph RGW: local → sftp → S3 → sftp → local, each tree compared byte for byte and by
 * mtime (to the second, what SFTP v3 carries); no-op resyncs; --checksum through the server's
 * md5sum; an interrupted upload; the login and connection failures a cron job meets; and
 * rclone 1.60 on the same server (what one writes the other lists the same, an rclone.conf
 * sftp section with an obscured key passphrase works unchanged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { NCLONE, run } from '../helpers/run.js';
import { obscure } from '../../src/lib/obscure.js';
import { sftpScratch, sftpServer } from '../helpers/sftp.js';
import { expectCode, expectNoOp, expectOk, fixtureTree, makeBase, makeCli, removeBuckets, uniqueBucket, writeTree, type Cli, type FileSpec } from '../s3/helpers-cli.js';

/** name -> size, md5 and mtime in whole seconds, for every file below root. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of nfs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else {
        const st = nfs.statSync(path.join(root, r), { bigint: true });
        out[r] = `${st.size} ${nfs.readFileSync(path.join(root, r)).toString('base64').slice(0, 40)} ${st.mtimeNs / 1_000_000_000n}`;
      }
    }
  };
  walk('');
  return out;
}

describe('sftp through the CLI', () => {
  let base: string;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  let src: string;
  let files: FileSpec[];
  const bucket = uniqueBucket('sftp-sync');
  const nclone = (...args: string[]) => run(NCLONE, args, env, { timeoutMs: 60_000 });

  beforeAll(async () => {
    base = makeBase('sftp-cli');
    cli = makeCli(base, false);
    const s = sftpServer();
    // The remote `srv` (key login) beside the RGW's `rgw`, both from environment variables.
    env = { ...cli.env, NCLONE_CONFIG_SRV_TYPE: 'sftp', NCLONE_CONFIG_SRV_HOST: s.host, NCLONE_CONFIG_SRV_PORT: String(s.port), NCLONE_CONFIG_SRV_USER: s.user, NCLONE_CONFIG_SRV_KEY_FILE: s.keyFile };
    src = path.join(base, 'src');
    files = [...fixtureTree(), { path: 'big/blob.bin', data: Buffer.alloc(3 * 1024 * 1024 + 17, 7), sec: 1_600_000_000, ns: 0 }];
    await writeTree(src, files);
    nfs.mkdirSync(path.join(src, 'empty dir'));
  });

  afterAll(async () => {
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('local → sftp → S3 → sftp → local reproduces the tree exactly; every no-op resync sends nothing', async () => {
    const want = tree(src);
    const up = sftpScratch('up');
    expectOk(await nclone('sync', '--create-empty-src-dirs', src, `srv:${up}`));
    expect(tree(up)).toEqual(want);
    expect(nfs.statSync(path.join(up, 'empty dir')).isDirectory()).toBe(true);
    expectNoOp(await nclone('sync', src, `srv:${up}`, '--error-on-no-transfer', '-v'), files.length);

    expectOk(await nclone('sync', `srv:${up}`, `rgw:${bucket}`));
    expectNoOp(await nclone('sync', `srv:${up}`, `rgw:${bucket}`, '--error-on-no-transfer', '-v'), files.length);

    const down = sftpScratch('down');
    expectOk(await nclone('sync', `rgw:${bucket}`, `srv:${down}`));
    expect(tree(down)).toEqual(want);
    expectNoOp(await nclone('sync', `rgw:${bucket}`, `srv:${down}`, '--error-on-no-transfer', '-v'), files.length);

    const back = path.join(base, 'back');
    expectOk(await nclone('sync', `srv:${down}`, back));
    expect(tree(back)).toEqual(want);
    expectNoOp(await nclone('sync', `srv:${down}`, back, '--error-on-no-transfer', '-v'), files.length);
    // Nothing but the files themselves on the server: no temporary names left behind.
    expect(nfs.readdirSync(down, { recursive: true }).map(String).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('--checksum compares through the server\'s md5sum: same size and time, other bytes, is sent again', async () => {
    const dir = sftpScratch('sum');
    expectOk(await nclone('copy', src, `srv:${dir}`));
    const victim = path.join(dir, 'top.txt');
    const st = nfs.statSync(victim);
    nfs.writeFileSync(victim, 'HELLO\n');
    nfs.utimesSync(victim, st.atime, st.mtime);
    expectCode(await nclone('copy', src, `srv:${dir}`, '--error-on-no-transfer'), 9);
    expect(nfs.readFileSync(victim, 'utf8')).toBe('HELLO\n');
    const r = await nclone('copy', '--checksum', '-v', src, `srv:${dir}`);
    expectOk(r, false);
    expect(r.stderr).toMatch(/top\.txt: Copied \(replaced existing\)/);
    expect(r.stderr).toMatch(/Transferred:\s+1 \/ 1, 100%/);
    expect(nfs.readFileSync(victim, 'utf8')).toBe('hello\n');
    const sums = await nclone('md5sum', `srv:${dir}`);
    expectOk(sums);
    expect(sums.stdout).toContain('b1946ac92492d2347c6235b4d2611184  top.txt');
  });

  it('an upload killed midway leaves nothing under the real name, and the next run completes it', async () => {
    const dir = sftpScratch('killed');
    const big = path.join(base, 'slow');
    nfs.mkdirSync(big);
    nfs.writeFileSync(path.join(big, 'large.bin'), Buffer.alloc(4 * 1024 * 1024, 3));
    const target = path.join(dir, 'large.bin');
    const r = await run(NCLONE, ['copy', '--bwlimit', '512K', big, `srv:${dir}`], env, {
      signalWhen: { ready: () => nfs.readdirSync(dir).some((n) => n.endsWith('.partial')), signal: 'SIGKILL', everyMs: 50 },
      timeoutMs: 60_000,
    });
    expect(r.signalled).toBe(true);
    expect(nfs.existsSync(target)).toBe(false);
    const left = nfs.readdirSync(dir).filter((n) => n.endsWith('.partial'));
    expect(left).toHaveLength(1);
    // The killed run's temporary file is not listed as data.
    expect((await nclone('lsf', `srv:${dir}`)).stdout).toBe('');
    expectOk(await nclone('copy', big, `srv:${dir}`));
    expect(nfs.readFileSync(target).equals(nfs.readFileSync(path.join(big, 'large.bin')))).toBe(true);
    expect((await nclone('lsf', `srv:${dir}`)).stdout).toBe('large.bin\n');
    // cleanup keeps a temporary file written to within --max-age (it may be another run's
    // upload under way: default 24h), then removes what the killed run left, and nothing else.
    const young = await nclone('cleanup', `srv:${dir}`);
    expect(young.code, young.stderr).toBe(0);
    expect(nfs.readdirSync(dir).filter((n) => n.endsWith('.partial'))).toEqual(left);
    const c = await nclone('cleanup', '--max-age', '0s', `srv:${dir}`);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/Removing a leftover temporary file/);
    expect(nfs.readdirSync(dir)).toEqual(['large.bin']);
  });

  describe('failures a cron job meets: one line, exit code 1, within seconds', () => {
    const cases: [string, () => string[], RegExp][] = [
      ['a key the server does not accept', () => ['--sftp-key-file', path.join(base, 'other_key')], /login as "[^"]+" refused: .*publickey/],
      ['a host key not in known_hosts_file', () => ['--sftp-known-hosts-file', path.join(base, 'empty_known_hosts')], /host key refused: .* not a known host in .*empty_known_hosts: its host key is SHA256:/],
      ['a wrong password', () => ['--sftp-key-file', '', `--sftp-pass=${obscure('not the password')}`], /login as "[^"]+" refused: .*password/],
      ['a closed port', () => ['--sftp-port', '1'], /cannot connect to 127\.0\.0\.1:1: connection refused/],
    ];
    beforeAll(async () => {
      const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(base, 'other_key')], env);
      expect(r.code).toBe(0);
      nfs.writeFileSync(path.join(base, 'empty_known_hosts'), '');
    });
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const started = Date.now();
        const r = await nclone('lsf', `srv:${sftpServer().dir}`, ...args());
        expect(Date.now() - started).toBeLessThan(10_000);
        expectCode(r, 1);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });
    }

    it('NCLONE_SFTP_<OPTION> variables set options as the flags do', async () => {
      const refused = await run(NCLONE, ['lsf', `srv:${sftpServer().dir}`], { ...env, NCLONE_SFTP_KNOWN_HOSTS_FILE: path.join(base, 'empty_known_hosts') });
      expectCode(refused, 1);
      expect(refused.stderr).toMatch(/not a known host in .*empty_known_hosts/);
    });

    it('the known_hosts file with the server in it lets the same command through', async () => {
      expectOk(await nclone('lsf', `srv:${sftpServer().dir}`, '--sftp-known-hosts-file', sftpServer().knownHostsFile));
    });
  });

  describe('beside rclone 1.60 on the same server', () => {
    let conf: string;
    const rclone = (...args: string[]) => run('rclone', ['--config', conf, ...args], env, { timeoutMs: 60_000 });
    beforeAll(() => {
      const s = sftpServer();
      // The encrypted key with its passphrase obscured, as `rclone config` stores it.
      conf = path.join(base, 'rclone-sftp.conf');
      nfs.writeFileSync(conf, ['[srv]', 'type = sftp', `host = ${s.host}`, `port = ${s.port}`, `user = ${s.user}`, `key_file = ${s.encryptedKeyFile}`, `key_file_pass = ${obscure(s.keyPassphrase)}`, ''].join('\n'), { mode: 0o600 });
    });
    const lsl = (out: string) => out.split('\n').filter(Boolean).sort();

    it('rclone lists what nclone wrote with the same sizes and times, and finds nothing to sync', async () => {
      const dir = sftpScratch('n-wrote');
      expectOk(await nclone('sync', src, `srv:${dir}`));
      const [n, r] = [await nclone('lsl', `srv:${dir}`), await rclone('lsl', `srv:${dir}`)];
      expectOk(n);
      expect(r.code, r.stderr).toBe(0);
      expect(lsl(r.stdout)).toEqual(lsl(n.stdout));
      expect(lsl(n.stdout)).toHaveLength(files.length);
      const again = await rclone('sync', src, `srv:${dir}`, '--error-on-no-transfer');
      expect(again.code, again.stderr).toBe(9);
    });

    it('nclone lists what rclone wrote the same way, and finds nothing to sync', async () => {
      const dir = sftpScratch('r-wrote');
      const w = await rclone('sync', src, `srv:${dir}`);
      expect(w.code, w.stderr).toBe(0);
      const [n, r] = [await nclone('lsl', `srv:${dir}`), await rclone('lsl', `srv:${dir}`)];
      expectOk(n);
      expect(lsl(n.stdout)).toEqual(lsl(r.stdout));
      expectNoOp(await nclone('sync', src, `srv:${dir}`, '--error-on-no-transfer', '-v'), files.length);
    });

    it("rclone's config file, with the obscured passphrase of an encrypted key, works in nclone unchanged", async () => {
      const dir = sftpScratch('conf');
      nfs.writeFileSync(path.join(dir, 'hello.txt'), 'hi\n');
      const plain = { ...env };
      for (const k of Object.keys(plain)) if (k.startsWith('NCLONE_CONFIG_SRV_')) delete plain[k];
      const r = await run(NCLONE, ['--config', conf, 'lsf', `srv:${dir}`], plain, { timeoutMs: 30_000 });
      expectOk(r);
      expect(r.stdout).toBe('hello.txt\n');
    });
  });
});
