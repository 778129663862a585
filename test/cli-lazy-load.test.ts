/**
 * Start-up loads only what a command uses: `nclone version` and `nclone ls` of a local
 * directory never load the AWS SDK, the S3 backend, the config wizard, the sync engine or
 * the other commands; minimatch loads only for include/exclude/filter patterns and NaCl only
 * for an encrypted config file. Not a timing test: the child runs with a module hook that records
 * every module resolved through import (ESM) and, at exit, every module in require's cache
 * (CJS, which is how the AWS SDK loads), so a module loaded any way is seen. bin/nclone runs the
 * bundle (scripts/bundle.mjs): each of its files stands for the modules its meta.json lists.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run } from './helpers/run.js';
import { s3ConnectionString } from './helpers/s3.js';
import { COMMAND_LIST } from '../src/cli/command-list.js';
import { encryptConfig } from '../src/config/crypt.js';

const ROOT = pathToFileURL(path.resolve(__dirname, '..')).href + '/';

let base: string;
let env: NodeJS.ProcessEnv;
let preload: string;

/** Written into the temporary directory: the hook records into the file LAZY_LOAD_RECORD names. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + '\\n');
  return r;
}
`;

const PRELOAD = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
const out = process.env.LAZY_LOAD_RECORD;
register('./hooks.mjs', import.meta.url, { data: { out } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  appendFileSync(out, Object.keys(require.cache).map((f) => pathToFileURL(f).href + '\\n').join(''));
  // Node's own modules, however loaded (a package's require included), as node:NAME.
  const native = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => 'node:' + m.slice('NativeModule '.length));
  appendFileSync(out, native.map((m) => m + '\\n').join(''));
});
`;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-lazy-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
  writeFileSync(path.join(base, 'hooks.mjs'), HOOKS);
  preload = path.join(base, 'preload.mjs');
  writeFileSync(preload, PRELOAD);
  mkdirSync(path.join(base, 'data', 'sub'), { recursive: true });
  writeFileSync(path.join(base, 'data', 'a.txt'), 'hello\n');
  writeFileSync(path.join(base, 'data', 'sub', 'b.txt'), 'hi\n');
  writeFileSync(path.join(base, 'data', 'sub', 'c.md'), 'notes\n');
  writeFileSync(path.join(base, 'plain.conf'), '[here]\ntype = local\n');
  writeFileSync(path.join(base, 'encrypted.conf'), encryptConfig('[here]\ntype = local\n', 'lazy-secret'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

let runs = 0;

/** Runs nclone under the recording hook; the modules it loaded, as paths below the repository (or node:... URLs). */
async function loadedBy(...args: string[]): Promise<{ stdout: string; modules: string[]; files: string[] }> {
  return loadedWith({}, ...args);
}

async function loadedWith(extraEnv: Record<string, string>, ...args: string[]): Promise<{ stdout: string; modules: string[]; files: string[] }> {
  const record = path.join(base, `modules-${++runs}.txt`);
  writeFileSync(record, '');
  const r = await run('node', ['--import', pathToFileURL(preload).href, NCLONE, ...args], { ...env, ...extraEnv, LAZY_LOAD_RECORD: record }, { timeoutMs: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const loaded = [...new Set(readFileSync(record, 'utf8').split('\n').filter(Boolean))].map((u) => (u.startsWith(ROOT) ? u.slice(ROOT.length) : u));
  // bin/nclone runs the bundle (scripts/bundle.mjs): a file of it stands for the compiled
  // modules and packages it holds, which its meta.json lists.
  const modules = loaded.flatMap((m) => (m.startsWith('dist/bundle/') ? [m, ...(BUNDLE[m.slice('dist/bundle/'.length)] ?? [])] : [m]));
  return { stdout: r.stdout, modules: [...new Set(modules)], files: loaded };
}

/** The bundle's files, each with the compiled modules and packages it holds. */
const BUNDLE = JSON.parse(readFileSync(path.resolve(__dirname, '../dist/bundle/meta.json'), 'utf8')) as Record<string, string[]>;

/** What a start-up must not load unless the command needs it. */
const HEAVY = [/node_modules\/@aws-sdk\//, /node_modules\/@smithy\//, /node_modules\/inquirer\//, /node_modules\/@inquirer\//, /^dist\/src\/sync\//, /^dist\/src\/march\//, /^dist\/src\/config\/wizard\//];
/** The glob compiler and minimatch: only for runs given include/exclude/filter patterns. */
const GLOB = [/node_modules\/minimatch\//, /^dist\/src\/filter\/glob\.js$/];
/** The config cipher and NaCl: only for encrypted config files. */
const CIPHER = [/node_modules\/tweetnacl\//, /^dist\/src\/config\/crypt\.js$/];
/** Node's modules a start-up has no use for unless the command needs them: each costs some ms to load. */
const NODE_UNNEEDED = [/^node:child_process$/, /^node:https$/, /^node:tls$/, /^node:perf_hooks$/];
/** The S3 backend beyond its description (name, options, URL form), which every run needs for flags and paths. */
const S3_IMPLEMENTATION = /^dist\/backends\/s3\/(?!(index|options|providers|url)\.js$)/;

function matching(modules: string[], patterns: RegExp[]): string[] {
  return modules.filter((m) => patterns.some((p) => p.test(m)));
}

describe('start-up loads only what the command uses', () => {
  it('runs the bundle, made from the compiled tree', async () => {
    const { files } = await loadedBy('version');
    expect(files).toContain('dist/bundle/main.js');
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/'))).toEqual([]);
    // What the entry imports statically loads at every start, all of it from one file
    // (scripts/bundle.mjs), not from a chunk per combination of its users.
    const holding = (m: string) => Object.keys(BUNDLE).filter((f) => BUNDLE[f]!.includes(m));
    const core = ['dist/src/cli/main.js', 'dist/src/cli/runner.js', 'dist/src/fs/errors.js', 'dist/src/lib/log.js', 'dist/backends/index.js', 'node_modules/commander/index.js'];
    const chunk = holding(core[0]!);
    expect(chunk).toHaveLength(1);
    for (const m of core) expect(holding(m), m).toEqual(chunk);
    expect(files).toContain(`dist/bundle/${chunk[0]}`);
    expect(files.filter((f) => f.startsWith('dist/bundle/')).length).toBeLessThanOrEqual(6);
  });

  it('runs the compiled tree instead of a bundle older than it (tsc alone since the last build)', async () => {
    // A copy of the package, so that the mtimes changed here are no other test's.
    const copy = path.join(base, 'package');
    mkdirSync(copy);
    for (const part of ['bin', 'dist', 'package.json']) cpSync(path.resolve(__dirname, '..', part), path.join(copy, part), { recursive: true });
    symlinkSync(path.resolve(__dirname, '../node_modules'), path.join(copy, 'node_modules'));
    const hourAgo = Date.now() / 1000 - 3600;
    utimesSync(path.join(copy, 'dist/bundle/main.js'), hourAgo, hourAgo);
    const record = path.join(base, 'modules-stale.txt');
    writeFileSync(record, '');
    const r = await run('node', ['--import', pathToFileURL(preload).href, path.join(copy, 'bin/nclone'), 'version'], { ...env, LAZY_LOAD_RECORD: record }, { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nclone v\d/);
    const copyRoot = pathToFileURL(copy).href + '/';
    const files = readFileSync(record, 'utf8').split('\n').filter((u) => u.startsWith(copyRoot)).map((u) => u.slice(copyRoot.length));
    expect(files).toContain('dist/src/cli/main.js');
    expect(files.filter((f) => f.startsWith('dist/bundle/'))).toEqual([]);
  });

  it('nclone version: no backend, no config file code, no other command', async () => {
    const { stdout, modules } = await loadedBy('version');
    expect(stdout).toMatch(/^nclone v\d/);
    // The command's module and commander, both in the bundle now: seen through its meta.json.
    expect(modules).toContain('dist/src/commands/version.js');
    expect(modules).toContain('node_modules/commander/index.js');
    expect(matching(modules, [...HEAVY, S3_IMPLEMENTATION, /^dist\/backends\/local\/(?!index\.js$)/, /^dist\/src\/commands\/(?!version\.js$)/])).toEqual([]);
    expect(matching(modules, [/^dist\/src\/config\/store\.js$/, /node_modules\/tweetnacl\//, /node_modules\/p-limit\//, ...GLOB])).toEqual([]);
    // Loaded by nclone's code, not at Node's own start: the list holds what a run loads.
    expect(modules).toContain('node:fs/promises');
    expect(matching(modules, NODE_UNNEEDED)).toEqual([]);
  });

  it('nclone ls of a local directory: the local backend and ls only', async () => {
    const { stdout, modules } = await loadedBy('ls', path.join(base, 'data'));
    expect(stdout.split('\n').sort()).toEqual(['', '        3 sub/b.txt', '        6 a.txt', '        6 sub/c.md']);
    expect(modules).toContain('dist/backends/local/fs.js');
    expect(modules).toContain('dist/src/commands/ls.js');
    expect(matching(modules, [...HEAVY, S3_IMPLEMENTATION, /^dist\/src\/commands\/(?!(ls|list-common)\.js$)/, ...GLOB, ...CIPHER])).toEqual([]);
  });

  it('ls of a remote from a plain config file reads it without the cipher, and a filter without patterns loads no glob code', async () => {
    const { stdout, modules } = await loadedBy('--config', path.join(base, 'plain.conf'), '--max-size', '5B', 'ls', `here:${path.join(base, 'data')}`);
    expect(stdout).toBe('        3 sub/b.txt\n');
    expect(modules).toContain('dist/src/config/store.js');
    expect(matching(modules, [...CIPHER, ...GLOB])).toEqual([]);
  });

  it('ls --include loads the glob compiler, and filters with it', async () => {
    const { stdout, modules } = await loadedBy('ls', '--include', '*.md', path.join(base, 'data'));
    expect(stdout).toBe('        6 sub/c.md\n');
    expect(modules).toContain('dist/src/filter/glob.js');
    expect(modules).toContain('node_modules/minimatch/dist/esm/index.js');
  });

  it('an encrypted config file loads the cipher and opens', async () => {
    const { stdout, modules } = await loadedWith({ NCLONE_CONFIG_PASS: 'lazy-secret' }, '--config', path.join(base, 'encrypted.conf'), 'ls', `here:${path.join(base, 'data')}`);
    expect(stdout.split('\n').sort()).toEqual(['', '        3 sub/b.txt', '        6 a.txt', '        6 sub/c.md']);
    expect(modules).toContain('dist/src/config/crypt.js');
    expect(modules).toContain('node_modules/tweetnacl/nacl-fast.js');
    expect(matching(modules, GLOB)).toEqual([]);
  });

  it('an S3 path loads the S3 backend (the recorder sees what a command loads late)', async () => {
    const { modules } = await loadedBy('lsd', s3ConnectionString());
    expect(modules).toContain('dist/backends/s3/fs.js');
    expect(modules).toContain('dist/src/commands/lsd.js');
    expect(matching(modules, [/node_modules\/inquirer\//, /^dist\/src\/sync\//, /^dist\/src\/commands\/(?!lsd\.js$)/])).toEqual([]);
    // An http:// endpoint: no TLS; and nothing spawns a process.
    expect(s3ConnectionString()).toMatch(/endpoint=.?http:\/\//);
    expect(modules).toContain('node:http');
    expect(matching(modules, NODE_UNNEEDED)).toEqual([]);
  });

  it('each entry of the command list loads the command of its name (the CLI picks the module by name)', async () => {
    for (const entry of COMMAND_LIST) expect((await entry.load()).name).toBe(entry.name);
  });

  it('nclone help loads every command, to list them', async () => {
    const { modules } = await loadedBy('help');
    for (const name of ['copy', 'sync', 'ls', 'lsl', 'lsd', 'mkdir', 'cleanup', 'config/index', 'listremotes', 'version']) {
      expect(modules).toContain(`dist/src/commands/${name}.js`);
    }
  });
});
