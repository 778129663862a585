/**
 * -i/--interactive for move (to the test RGW), delete, purge and rmdirs, answered in a real
 * terminal (tmux): one question per action, the answer obeyed, q ending the run with exit 7.
 */
import { execFile } from 'node:child_process';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, childEnv } from '../cli/run.js';
import { TmuxProgram } from '../pty/tmux.js';
import { s3Server, uniqueBucket } from '../helpers/s3.js';
import { dropBucket, serverKeys } from '../s3/helpers-backend.js';

const execFileP = promisify(execFile);

let base: string;
let home: string;
let counter = 0;
let term: TmuxProgram | undefined;
const buckets: string[] = [];

beforeAll(() => {
  base = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-treeops-i-'));
  home = path.join(base, 'home');
  nfs.mkdirSync(home);
  if (!nfs.existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
});

afterEach(async () => {
  await term?.stop();
  term = undefined;
});

afterAll(async () => {
  for (const b of buckets) await dropBucket(b);
  nfs.rmSync(base, { recursive: true, force: true });
});

const termEnv = () => childEnv(home, { TERM: 'xterm-256color' });

/** The terminal's environment with the remote `rgw` on the test RGW. */
function rgwEnv(): NodeJS.ProcessEnv {
  const s = s3Server();
  return childEnv(home, {
    TERM: 'xterm-256color',
    NCLONE_CONFIG_RGW_TYPE: 's3',
    NCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
    NCLONE_CONFIG_RGW_ENDPOINT: s.endpoint,
    NCLONE_CONFIG_RGW_ACCESS_KEY_ID: s.accessKeyId,
    NCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: s.secretAccessKey,
  });
}

function tree(label: string, files: Record<string, string>): string {
  const dir = path.join(base, `${String(++counter).padStart(3, '0')}-${label}`);
  nfs.mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    const p = path.join(dir, name);
    if (name.endsWith('/')) nfs.mkdirSync(p, { recursive: true });
    else {
      nfs.mkdirSync(path.dirname(p), { recursive: true });
      nfs.writeFileSync(p, data);
    }
  }
  return dir;
}

function files(dir: string): string[] {
  if (!nfs.existsSync(dir)) return [];
  return (nfs.readdirSync(dir, { recursive: true, withFileTypes: true }) as nfs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

const PROMPT = 'y/n/s/!/q>';
const QUESTION = /^nclone: (\w[\w ]*) "(.*)"\?$/;

/** Starts nclone with args in a terminal of its own. */
async function start(args: string[], env = termEnv()): Promise<TmuxProgram> {
  term = new TmuxProgram(env);
  await term.start([process.execPath, BIN, ...args], base);
  return term;
}

/** Waits for question number n (1-based) to be open; returns its action and subject. */
async function nextQuestion(t: TmuxProgram, n: number): Promise<{ action: string; subject: string }> {
  const screen = await t.waitUntil(`question ${n}`, (s) => {
    const ls = s.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
    return ls.filter((l) => QUESTION.test(l)).length === n && ls.at(-1) === PROMPT;
  });
  const asked = screen.split('\n').map((l) => l.trimEnd()).filter((l) => QUESTION.test(l)).at(-1)!;
  const m = QUESTION.exec(asked)!;
  return { action: m[1]!, subject: m[2]! };
}

async function type(t: TmuxProgram, text: string): Promise<void> {
  if (text !== '') await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', '-l', '--', text], { env: termEnv() });
  await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', 'Enter'], { env: termEnv() });
}

/** Answers each question as answer(subject) says, until the program exits; returns what was asked and the exit code. */
async function answerAll(t: TmuxProgram, count: number, answer: (subject: string) => string): Promise<{ asked: string[]; code: number }> {
  const asked: string[] = [];
  for (let n = 1; n <= count; n++) {
    const q = await nextQuestion(t, n);
    asked.push(`${q.action} ${q.subject}`);
    await type(t, answer(q.subject));
  }
  return { asked: asked.sort(), code: await t.exitCode(30_000) };
}

describe('-i in a terminal', () => {
  it('delete asks for each file and deletes only those answered y', async () => {
    const dir = tree('delete', { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c' });
    const t = await start(['delete', '-i', dir]);
    const { asked, code } = await answerAll(t, 3, (s) => (s === 'b.txt' ? 'n' : 'y'));
    expect(code).toBe(0);
    expect(asked).toEqual(['delete a.txt', 'delete b.txt', 'delete sub/c.txt']);
    expect(await t.screen()).toMatch(/NOTICE: b\.txt: Skipped delete as --interactive is set/);
    expect(files(dir)).toEqual(['b.txt']);
  });

  it('move to S3 asks once per file ("move"), not again for its copy or for the delete of its source', async () => {
    const src = tree('move-src', { 'a.txt': 'a', 'b.txt': 'b' });
    const bucket = uniqueBucket('nclone-tree-i');
    buckets.push(bucket);
    const t = await start(['move', '-i', src, `rgw:${bucket}`], rgwEnv());
    const { asked, code } = await answerAll(t, 2, (s) => (s === 'a.txt' ? 'y' : 'n'));
    expect(code).toBe(0);
    expect(asked).toEqual(['move a.txt', 'move b.txt']);
    expect(await t.screen()).toMatch(/NOTICE: b\.txt: Skipped move as --interactive is set/);
    expect(files(src)).toEqual(['b.txt']);
    expect(await serverKeys(bucket)).toEqual(['a.txt']);
  });

  it('purge asks once for the directory; q stops with exit 7 and removes nothing', async () => {
    const dir = tree('purge', { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const t = await start(['purge', '-i', dir]);
    expect(await nextQuestion(t, 1)).toEqual({ action: 'purge directory', subject: dir });
    await type(t, 'q');
    expect(await t.exitCode(30_000)).toBe(7);
    expect(await t.screen()).toContain('Quitting nclone now');
    expect(files(dir)).toEqual(['a.txt', 'sub/b.txt']);
  });

  it('rmdirs asks for each empty directory; one declined keeps its parent too', async () => {
    const dir = tree('rmdirs', { 'x/keep/': '', 'y/': '' });
    const t = await start(['rmdirs', '-i', '--leave-root', dir]);
    const { asked, code } = await answerAll(t, 2, (s) => (s === 'x/keep' ? 'n' : 'y'));
    expect(code).toBe(0);
    // x is not asked about: x/keep stays in it.
    expect(asked).toEqual(['remove directory x/keep', 'remove directory y']);
    expect(nfs.existsSync(path.join(dir, 'x', 'keep'))).toBe(true);
    expect(nfs.existsSync(path.join(dir, 'y'))).toBe(false);
  });
});
