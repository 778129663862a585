/**
 * `nclone completion bash|zsh|fish`: each script is loaded into the real shell and asked
 * for completions of partial command lines: commands, global and per-command flags,
 * --<backend>-<option> flags, subcommands, remote names read from the config file at
 * completion time (through `nclone listremotes`, found on PATH) and local files.
 * bash and fish complete for real (their completion entry points run as they would at a
 * prompt); zsh's completion widgets need an interactive shell, so there the function runs
 * with zsh's compadd/_describe/_files replaced by functions that print what they were given.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run } from './helpers/run.js';

let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-completion-'));
  mkdirSync(path.join(base, 'bin'));
  symlinkSync(NCLONE, path.join(base, 'bin', 'nclone'));
  mkdirSync(path.join(base, 'work', 'photos dir'), { recursive: true });
  writeFileSync(path.join(base, 'work', 'notes.txt'), 'x');
  writeFileSync(path.join(base, 'nclone.conf'), '[mybackup]\ntype = local\n\n[archive]\ntype = s3\nprovider = Ceph\n');
  env = cleanEnv(base, { PATH: `${path.join(base, 'bin')}:${process.env.PATH}`, NCLONE_CONFIG: path.join(base, 'nclone.conf') });
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

async function script(shell: string): Promise<string> {
  const r = await run(NCLONE, ['completion', shell], env, { timeoutMs: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Runs a shell program in base/work and returns its stdout. */
function shell(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { env, cwd: path.join(base, 'work'), encoding: 'utf8', timeout: 30_000 });
}

describe('bash', () => {
  let file: string;
  beforeAll(async () => {
    file = path.join(base, 'nclone.bash');
    writeFileSync(file, await script('bash'));
  });

  /** COMPREPLY for a command line with the cursor at its end. */
  function complete(line: string): string[] {
    const prog = `source ${JSON.stringify(file)}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"; [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_nclone
printf '%s\\n' "\${COMPREPLY[@]}"`;
    return shell('bash', ['-c', prog]).split('\n').filter(Boolean);
  }

  it('completes command names', () => {
    expect(complete('nclone sy').sort()).toEqual(['sync']);
    expect(complete('nclone ls')).toEqual(expect.arrayContaining(['ls', 'lsd', 'lsl']));
  });

  it('completes global, per-command and backend flags, skipping flag values when finding the command', () => {
    expect(complete('nclone sync --dry')).toEqual(['--dry-run']);
    expect(complete('nclone listremotes --lon')).toEqual(['--long']);
    expect(complete('nclone --transfers 8 listremotes --lon')).toEqual(['--long']);
    expect(complete('nclone copy --s3-upload-cu')).toEqual(['--s3-upload-cutoff']);
  });

  it('completes remote names from the config file as it is now, and local files', () => {
    expect(complete('nclone lsd myb')).toEqual(['mybackup:']);
    const both = complete('nclone copy ');
    expect(both).toEqual(expect.arrayContaining(['mybackup:', 'archive:', 'notes.txt', 'photos dir']));
    writeFileSync(path.join(base, 'other.conf'), '[elsewhere]\ntype = local\n');
    expect(complete(`nclone --config ${path.join(base, 'other.conf')} ls el`)).toEqual(['elsewhere:']);
  });

  it('completes subcommands and help topics', () => {
    expect(complete('nclone config cr')).toEqual(['create']);
    expect(complete('nclone help backe')).toEqual(expect.arrayContaining(['backend', 'backends']));
  });
});

describe('fish', () => {
  let file: string;
  beforeAll(async () => {
    file = path.join(base, 'nclone.fish');
    writeFileSync(file, await script('fish'));
  });

  const complete = (line: string) =>
    shell('fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -C ${JSON.stringify(line)}`])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]);

  it('completes commands, flags, subcommands, remotes and files', () => {
    expect(complete('nclone sy')).toEqual(['sync']);
    expect(complete('nclone sync --dry')).toEqual(['--dry-run']);
    expect(complete('nclone listremotes --lon')).toEqual(['--long']);
    expect(complete('nclone config cr')).toEqual(['create']);
    expect(complete('nclone lsd myb')).toEqual(['mybackup:']);
    expect(complete('nclone copy ')).toEqual(expect.arrayContaining(['mybackup:', 'archive:', 'notes.txt']));
  });
});

describe('zsh', () => {
  let file: string;
  beforeAll(async () => {
    file = path.join(base, '_nclone');
    writeFileSync(file, await script('zsh'));
  });

  /** What _nclone offers for words (the last one being completed), through printing stand-ins. */
  function complete(words: string[]): string[] {
    const prog = `compdef() { :; }
_describe() { local arr=\${(P)4}; print -l -- \${(P)4} | sed -e 's/\\\\:/\\x01/g' -e 's/:.*//' -e 's/\\x01/:/g'; }
compadd() { local a; while (( $# )); do case $1 in -a) shift; print -l -- \${(P)1};; -S) shift;; *) ;; esac; shift; done; }
_files() { print -l -- *(N); }
source ${JSON.stringify(file)}
words=(${words.map((w) => JSON.stringify(w)).join(' ')}); CURRENT=${words.length}
_nclone`;
    const cur = words[words.length - 1]!;
    return shell('zsh', ['-f', '-c', prog])
      .split('\n')
      .filter((l) => l !== '' && l.startsWith(cur));
  }

  it('offers commands, flags, subcommands, remotes and files', () => {
    expect(complete(['nclone', 'sy'])).toEqual(['sync']);
    expect(complete(['nclone', 'sync', '--dry'])).toEqual(['--dry-run']);
    expect(complete(['nclone', 'listremotes', '--lon'])).toEqual(['--long']);
    expect(complete(['nclone', 'config', 'cr'])).toEqual(['create']);
    expect(complete(['nclone', 'lsd', 'myb'])).toEqual(['mybackup:']);
    expect(complete(['nclone', 'copy', ''])).toEqual(expect.arrayContaining(['mybackup:', 'archive:', 'notes.txt']));
  });

  it('is valid zsh', () => {
    expect(() => shell('zsh', ['-n', file])).not.toThrow();
  });
});

describe('the command', () => {
  it('writes the script to output_file when given one', async () => {
    const out = path.join(base, 'written.bash');
    const r = await run(NCLONE, ['completion', 'bash', out], env, { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(await script('bash'));
  });

  it('an output_file in a missing directory is one line and exit code 2, as documented', async () => {
    const r = await run(NCLONE, ['completion', 'fish', path.join(base, 'no', 'such', 'dir', 'nclone.fish')], env, { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nclone: can't write the completion script to [^\n]+: its directory does not exist\n$/);
  });

  it('refuses an unknown shell with one line and exit code 1', async () => {
    const r = await run(NCLONE, ['completion', 'powershell'], env, { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown shell "powershell".*bash, zsh, fish/);
  });
});
