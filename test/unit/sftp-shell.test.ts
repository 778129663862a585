/**
 * The sftp backend's pure pieces: shell quoting (checked by a real /bin/sh, which must give
 * every name back byte for byte and run nothing), hash output parsing, shell detection from
 * the probe's output, known_hosts matching, and which remote names are refused.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { invalidReason, serverPath } from '../../backends/sftp/names.js';
import { parseHash, quoteForShell, shellFromProbe } from '../../backends/sftp/shell.js';
import { fingerprint, hostKeyProblem } from '../../backends/sftp/hostkeys.js';

const HOSTILE = ["it's", "'", "''", '$(touch PWNED)', '`touch PWNED`', '${HOME}', 'a\nb', 'a\\b', '\\b', '"', '-n', '; touch PWNED #', '*', '~', 'é ü', '\t\r\x1b[2J', '!!', '%PATH%', '; fish_command #'];

describe('unix shell quoting', () => {
  it('gives every name back exactly from /bin/sh, and runs nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nclone-quote-'));
    try {
      for (const name of HOSTILE) {
        const quoted = quoteForShell('unix', name)!;
        const out = execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { cwd: dir, encoding: 'utf8' });
        // A leading "-" is anchored to the directory so that no command takes it for an option.
        expect(out, JSON.stringify(name)).toBe(name.startsWith('-') ? `./${name}` : name);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every name back exactly from fish too (a login shell shell_type = unix may be set for by hand)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nclone-quote-fish-'));
    try {
      for (const name of HOSTILE) {
        const quoted = quoteForShell('unix', name)!;
        const out = execFileSync('fish', ['--no-config', '-c', `printf %s ${quoted}`], { cwd: dir, encoding: 'utf8' });
        expect(out, JSON.stringify(name)).toBe(name.startsWith('-') ? `./${name}` : name);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives no name whose backslashes fish would read as escapes in single quotes', () => {
    for (const bad of ['\\', 'a\\', "a\\'; touch PWNED; #", 'a\\\\b']) expect(quoteForShell('unix', bad), JSON.stringify(bad)).toBeUndefined();
  });

  it('hashes a file named "-" or "--version" as that file, not standard input or an option', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nclone-dash-'));
    try {
      for (const name of ['-', '--version', '-c']) {
        writeFileSync(path.join(dir, name), 'data');
        const out = execFileSync('/bin/sh', ['-c', `md5sum ${quoteForShell('unix', name)} </dev/null`], { cwd: dir, encoding: 'utf8' });
        expect(parseHash('md5', out), name).toBe('8d777f385d3dfec8815d20f7496026dc');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives cmd no name it cannot quote safely', () => {
    expect(quoteForShell('cmd', 'plain name.txt')).toBe('"plain name.txt"');
    for (const bad of ['%PATH%', 'a"b', 'a^b', 'a&b', 'a|b', 'a\nb']) expect(quoteForShell('cmd', bad)).toBeUndefined();
    expect(quoteForShell('none', 'x')).toBeUndefined();
    expect(quoteForShell('powershell', "it's")).toBe("'it''s'");
  });
});

describe('hash output and shell detection', () => {
  it('reads md5sum/sha1sum output, escaped names included, and refuses anything else', () => {
    const md5 = createHash('md5').update('x').digest('hex');
    const sha1 = createHash('sha1').update('x').digest('hex');
    expect(parseHash('md5', `${md5}  file\n`)).toBe(md5);
    expect(parseHash('md5', `\\${md5}  a\\nb\n`)).toBe(md5);
    expect(parseHash('sha1', `${sha1.toUpperCase()}\r\n`)).toBe(sha1);
    expect(parseHash('md5', `${sha1}  file`)).toBeUndefined();
    expect(parseHash('md5', 'md5sum: file: No such file or directory')).toBeUndefined();
  });

  it('tells the shells apart by the probe', () => {
    const r = (stdout: string, code = 0) => ({ code, stdout, stderr: '' });
    expect(shellFromProbe(r('%ComSpec%\n'))).toBe('unix');
    expect(shellFromProbe(r('Microsoft.PowerShell%ComSpec%\r\n'))).toBe('powershell');
    expect(shellFromProbe(r('${ShellId}C:\\Windows\\system32\\cmd.exe\r\n'))).toBe('cmd');
    expect(shellFromProbe(r('', 127))).toBe('none');
  });
});

describe('names', () => {
  it('refuses paths that could leave the root or that the server would cut', () => {
    for (const bad of ['..', 'a/..', '../x', '.', 'a/./b', '/abs', 'a//b', 'a/', 'a\u0000b', 'n'.repeat(256), '\ud800']) {
      expect(invalidReason(bad), JSON.stringify(bad)).toBeDefined();
      expect(() => serverPath('/srv', bad)).toThrow(/can't be stored as a file name on the SFTP server/);
    }
    for (const ok of ['...', '.hidden', 'a b/ c', 'é'.repeat(127), 'back\\slash', 'x\ny']) expect(invalidReason(ok), JSON.stringify(ok)).toBeUndefined();
    expect(serverPath('', 'a/b')).toBe('a/b');
    expect(serverPath('/', 'a')).toBe('/a');
    expect(serverPath('/srv/x', '')).toBe('/srv/x');
    expect(serverPath('', '')).toBe('.');
  });
});

describe('known_hosts', () => {
  const key = randomBytes(51);
  const other = randomBytes(51);
  const line = (host: string, k: Buffer, marker = '') => `${marker}${marker ? ' ' : ''}${host} ssh-ed25519 ${k.toString('base64')}`;
  const withFile = (text: string, fn: (file: string) => void) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nclone-kh-'));
    try {
      writeFileSync(path.join(dir, 'kh'), text);
      fn(path.join(dir, 'kh'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('accepts the listed key under host (port 22) or [host]:port, plain, in lists and hashed', () => {
    withFile([line('example.org', key), line('[10.0.0.1]:2222', key), line('a.test,b.test', key)].join('\n'), (f) => {
      expect(hostKeyProblem(f, 'example.org', 22, key)).toBeUndefined();
      expect(hostKeyProblem(f, '10.0.0.1', 2222, key)).toBeUndefined();
      expect(hostKeyProblem(f, 'b.test', 22, key)).toBeUndefined();
      expect(hostKeyProblem(f, 'example.org', 2222, key)).toMatch(/is not a known host/);
    });
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[127.0.0.1]:2022').digest('base64')}`;
    withFile(line(hashed, key), (f) => expect(hostKeyProblem(f, '127.0.0.1', 2022, key)).toBeUndefined());
  });

  it('names the file and the offered fingerprint when the key differs or is revoked', () => {
    withFile(line('example.org', other), (f) => {
      const why = hostKeyProblem(f, 'example.org', 22, key)!;
      expect(why).toContain(f);
      expect(why).toContain(fingerprint(key));
      expect(why).toMatch(/does not match/);
    });
    withFile([line('example.org', key), line('example.org', key, '@revoked')].join('\n'), (f) => expect(hostKeyProblem(f, 'example.org', 22, key)).toMatch(/revoked/));
    expect(fingerprint(key)).toBe('SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, ''));
  });
});
