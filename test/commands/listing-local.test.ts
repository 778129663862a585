/**
 * lsf, lsjson, tree, size and ls/lsl --human-readable through bin/nclone on local
 * directories, side by side with rclone 1.60 where its output is deterministic, and with
 * the expected text spelled out where it matters (rounding, quoting, framing, errors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { NCLONE, run } from '../helpers/run.js';
import { T0, expectCode, expectOk, makeBase, makeCli, sortedLines, writeTree, type Cli, type FileSpec } from '../s3/helpers-cli.js';

const f = (p: string, data: string | Buffer, i: number, ns = 0): FileSpec => ({ path: p, data: Buffer.from(data), sec: T0 + i * 86_400 + i * 61, ns });

/** Names rclone prints as they are: compared with rclone line for line. */
const TREE: FileSpec[] = [
  f('a.txt', 'hello', 0, 123456789),
  f('b.bin', Buffer.alloc(2000, 7), 1),
  // 1088 bytes = 1.0625 KiB: a tie at three decimals, which Go rounds to even (1.062).
  f('tie.dat', Buffer.alloc(1088, 1), 2),
  f('.hidden', 'z', 3),
  f('.hid/h', 'h', 4),
  f('sub/c.jpg', 'x', 5, 1),
  f('sub/deep/d', 'yy', 6, 999999999),
  f('with, comma "q".txt', 'c', 7),
  f(' lead space.txt', 'sp', 8),
  f('amp & <tag>.txt', 'amp', 9),
];

/** A time as lsjson prints it with TZ=UTC. */
const rfc = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', '.000000000Z');
const md5 = (d: Buffer) => createHash('md5').update(d).digest('hex');
const sha1 = (d: Buffer) => createHash('sha1').update(d).digest('hex');

const DIR_TIMES: Record<string, number> = { 'sub/deep': T0 + 20_000, sub: T0 + 21_000, '.hid': T0 + 22_000, empty: T0 + 23_000, '': T0 + 24_000 };

let base: string;
let cli: Cli;
let root: string;

beforeAll(async () => {
  base = makeBase('listing-local');
  cli = makeCli(base, false);
  root = path.join(base, 't');
  await writeTree(root, TREE);
  nfs.mkdirSync(path.join(root, 'empty'));
  // Directory times are part of lsjson and tree -t: fix them too.
  for (const [dir, sec] of Object.entries(DIR_TIMES)) nfs.utimesSync(path.join(root, dir), sec, sec);
});

afterAll(() => {
  if (base) nfs.rmSync(base, { recursive: true, force: true });
});

async function both(...args: string[]) {
  const [n, r] = await Promise.all([cli.nclone(...args), cli.rclone(...args)]);
  return { n, r };
}

describe('tree', () => {
  it('draws the tree with branches, hidden names left out, and the report', async () => {
    const n = await cli.nclone('tree', root);
    expectOk(n);
    expect(n.stdout).toBe(
      [
        '/',
        '├──  lead space.txt',
        '├── a.txt',
        '├── amp & <tag>.txt',
        '├── b.bin',
        '├── empty',
        '├── sub',
        '│   ├── c.jpg',
        '│   └── deep',
        '│       └── d',
        '├── tie.dat',
        '└── with, comma "q".txt',
        '',
        '3 directories, 8 files',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [[]],
    [['-a']],
    [['-s']],
    [['-s', '--level', '1']],
    [['-a', '-s', '--level', '2']],
    [['-D']],
    [['--human-readable']],
    [['--noreport']],
    [['-r', '--dirsfirst']],
    [['--full-path', '-Q', '--noindent']],
    [['--sort', 'size']],
    [['-t', '-r']],
    [['--sort', 'version']],
    [['--max-depth', '2']],
    [['--include', '*.txt']],
    [['--exclude', 'sub/**', '-s']],
  ])('tree %j prints what rclone prints', async (flags) => {
    const { n, r } = await both('tree', ...flags, root);
    expectOk(r);
    expectOk(n);
    expect(n.stdout).toBe(r.stdout);
  });

  it('sizes: bytes in 11 columns, directories summed, ??? where --level cut them short', async () => {
    const n = await cli.nclone('tree', '-s', '--level', '1', root);
    expectOk(n);
    const lines = n.stdout.split('\n');
    // 5 + 2000 + 1088 + 1 + 2 + 3: the files of the top level that are shown.
    expect(lines[0]).toBe('[       3099]  /');
    expect(lines).toContain('├── [???????????]  sub');
    expect(lines).toContain('├── [       1088]  tie.dat');
    const human = await cli.nclone('tree', '--human-readable', root);
    expect(human.stdout.split('\n')[0]).toBe('[3.0K]  /');
    expect(human.stdout).toContain('├── [2.0K]  b.bin\n');
    expect(human.stdout).toContain('├── [1.1K]  tie.dat\n');
  });

  it('-d counts the directories it shows (rclone 1.60 prints 0 there)', async () => {
    const n = await cli.nclone('tree', '-d', root);
    expectOk(n);
    expect(n.stdout).toBe(['/', '├── empty', '└── sub', '    └── deep', '', '3 directories', ''].join('\n'));
  });

  it('a file path is the root with that one file', async () => {
    const { n, r } = await both('tree', path.join(root, 'a.txt'));
    expectOk(n);
    expect(n.stdout).toBe(['/', '└── a.txt', '', '0 directories, 1 files', ''].join('\n'));
    expect(n.stdout).toBe(r.stdout);
  });

  it('-C colours only on a terminal, and never with NO_COLOR', async () => {
    const piped = await cli.nclone('tree', '-C', root);
    expectOk(piped);
    expect(piped.stdout).not.toContain('\x1b[');
    // script(1) gives the command a terminal and copies what it writes.
    const onTty = (env: NodeJS.ProcessEnv) => run('script', ['-qec', `${NCLONE} tree -C --noreport '${root}'`, '/dev/null'], env);
    const tty = await onTty(cli.env);
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toContain('\x1b[1;34m/\x1b[0m');
    expect(tty.stdout).toContain('├── \x1b[1;34mempty\x1b[0m');
    expect(tty.stdout).toContain('│   ├── \x1b[1;35mc.jpg\x1b[0m');
    expect(tty.stdout).toContain('├── a.txt');
    const noColor = await onTty({ ...cli.env, NO_COLOR: '1' });
    expect(noColor.code, noColor.stderr).toBe(0);
    expect(noColor.stdout).toContain('├── empty');
    expect(noColor.stdout).not.toContain('\x1b[1;');
  });

  it('bad --sort and --level values are one usage line', async () => {
    for (const args of [['--sort', 'colour'], ['--sort', 'ctime'], ['--level', 'two']]) {
      const n = await cli.nclone('tree', ...args, root);
      expectCode(n, 1);
      expect(n.stdout).toBe('');
      expect(n.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('lsf', () => {
  it('lists the top directory only, directories with a slash', async () => {
    const { n, r } = await both('lsf', root);
    expectOk(n);
    expect(n.stdout).toBe([' lead space.txt', '.hid/', '.hidden', 'a.txt', 'amp & <tag>.txt', 'b.bin', 'empty/', 'sub/', 'tie.dat', 'with, comma "q".txt', ''].join('\n'));
    expect(n.stdout).toBe(r.stdout);
  });

  it.each([
    [['-R']],
    [['-R', '--format', 'pstmh']],
    [['-R', '--format', 'tsp', '--separator', ' | ']],
    [['-R', '--csv', '--format', 'ps']],
    [['--csv', '-s', ';', '--format', 'sp']],
    [['-R', '--absolute', '--dirs-only']],
    [['-R', '--files-only', '--format', 'hp', '--hash', 'SHA-1', '--separator', '  ']],
    [['--dir-slash=false']],
    [['-d=false', '-R', '--max-depth', '2']],
    [['-R', '--include', '*.txt']],
    [['-R', '--min-size', '1k', '--format', 'sp']],
  ])('lsf %j lists what rclone lists', async (flags) => {
    const { n, r } = await both('lsf', ...flags, root);
    expectOk(r);
    expectOk(n);
    // Both list each directory in name order, but rclone walks breadth first.
    expect(sortedLines(n.stdout)).toEqual(sortedLines(r.stdout));
  });

  it('MIME types guessed from extensions: Go\'s built-in ones as rclone has them', async () => {
    const dir = path.join(base, 'mime');
    await writeTree(dir, ['x.xml', 'x.XML', 'x.html', 'x.js', 'x.json', 'x.svg', 'x.txt', 'x.bin', 'noext'].map((name, i) => f(name, 'm', i)));
    const { n, r } = await both('lsf', '--format', 'pm', dir);
    expectOk(r);
    expectOk(n);
    expect(n.stdout).toContain('x.xml;text/xml; charset=utf-8\n');
    expect(n.stdout).toBe(r.stdout);
  });

  it('fields: sizes, times in local time, hashes, MIME types; CSV quoting', async () => {
    const n = await cli.nclone('lsf', '--format', 'pstmh', root);
    expectOk(n);
    const lines = n.stdout.split('\n');
    expect(lines).toContain('a.txt;5;2020-09-13 12:26:40;text/plain; charset=utf-8;' + md5(Buffer.from('hello')));
    expect(lines).toContain(`sub/;-1;${rfc(DIR_TIMES.sub!).slice(0, 19).replace('T', ' ')};inode/directory;`);
    const csv = await cli.nclone('lsf', '--csv', '--files-only', '--format', 'ps', root);
    expectOk(csv);
    expect(csv.stdout.split('\n')).toEqual(expect.arrayContaining(['" lead space.txt",2', 'amp & <tag>.txt,3', '"with, comma ""q"".txt",1']));
    const sha = await cli.nclone('lsf', '--hash', 'sha1', '--format', 'hp', '--files-only', root);
    expect(sha.stdout.split('\n')).toContain(`${sha1(Buffer.from('hello'))};a.txt`);
  });

  it('unknown and unsupported format letters, bad hash names: one line, exit 1, nothing listed', async () => {
    for (const [args, msg] of [
      [['--format', 'px'], /unknown --format character "x"/],
      [['--format', 'pi'], /--format letter "i" \(object IDs\) is not supported/],
      [['--format', 'hp', '--hash', 'crc32'], /no crc32 hashes: use md5 or sha1/],
      [['--hash', 'blake3', '--format', 'h'], /unknown hash type: use md5 or sha1/],
      [['--csv', '--separator', '"'], /can't separate CSV fields/],
      [['--dir-slash=maybe'], /--dir-slash/],
    ] as const) {
      const n = await cli.nclone('lsf', ...args, root);
      expectCode(n, 1);
      expect(n.stdout).toBe('');
      expect(n.stderr).toMatch(msg);
      expect(n.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('lsjson', () => {
  const parse = (stdout: string) => (JSON.parse(stdout) as Record<string, unknown>[]).sort((a, b) => String(a.Path).localeCompare(String(b.Path)));

  it('frames one object per line like rclone, with the same bytes for the same files', async () => {
    const { n, r } = await both('lsjson', '--hash-type', 'md5', root);
    expectOk(r);
    expectOk(n);
    const lines = n.stdout.split('\n');
    expect(lines[0]).toBe('[');
    expect(lines.at(-2)).toBe(']');
    expect(lines.at(-1)).toBe('');
    const items = lines.slice(1, -2);
    expect(items.slice(0, -1).every((l) => l.endsWith('},'))).toBe(true);
    expect(items.at(-1)).toMatch(/}$/);
    expect(n.stdout).toBe(r.stdout);
    expect(n.stdout).toContain(
      `{"Path":"a.txt","Name":"a.txt","Size":5,"MimeType":"text/plain; charset=utf-8","ModTime":"2020-09-13T12:26:40.123456789Z","IsDir":false,"Hashes":{"md5":"${md5(Buffer.from('hello'))}"}},`,
    );
    expect(n.stdout).toContain('{"Path":"amp \\u0026 \\u003ctag\\u003e.txt","Name":"amp \\u0026 \\u003ctag\\u003e.txt",');
    expect(n.stdout).toContain(`{"Path":"empty","Name":"empty","Size":-1,"MimeType":"inode/directory","ModTime":"${rfc(DIR_TIMES.empty!)}","IsDir":true},`);
  });

  it.each([[['-R']], [['-R', '--files-only', '--no-modtime']], [['-R', '--dirs-only', '--no-mimetype']], [['--max-depth', '2', '--hash-type', 'SHA-1']], [['-R', '--exclude', 'sub/deep/**']]])(
    'lsjson %j gives the items rclone gives',
    async (flags) => {
      const { n, r } = await both('lsjson', ...flags, root);
      expectOk(r);
      expectOk(n);
      expect(parse(n.stdout)).toEqual(parse(r.stdout));
    },
  );

  it('--no-modtime leaves ModTime empty, --no-mimetype leaves MimeType out, --hash shows md5 and sha1', async () => {
    const n = await cli.nclone('lsjson', '--no-modtime', '--no-mimetype', '--hash', '--files-only', path.join(root, 'sub'));
    expectOk(n);
    expect(n.stdout).toBe(`[\n{"Path":"c.jpg","Name":"c.jpg","Size":1,"ModTime":"","IsDir":false,"Hashes":{"md5":"${md5(Buffer.from('x'))}","sha1":"${sha1(Buffer.from('x'))}"}}\n]\n`);
  });

  it('an empty directory is an empty array; a file path lists that file', async () => {
    const empty = await cli.nclone('lsjson', path.join(root, 'empty'));
    expectOk(empty);
    expect(empty.stdout).toBe('[\n]\n');
    const { n, r } = await both('lsjson', path.join(root, 'sub', 'c.jpg'));
    expectOk(n);
    expect(n.stdout).toBe(r.stdout);
    expect(parse(n.stdout).map((i) => i.Path)).toEqual(['c.jpg']);
  });
});

describe('size', () => {
  it('prints both forms of the totals, and --json', async () => {
    const { n, r } = await both('size', root);
    expectOk(n);
    expect(n.stdout).toBe('Total objects: 10 (10)\nTotal size: 3.031 KiB (3104 Byte)\n');
    expect(n.stdout).toBe(r.stdout);
    const j = await both('size', '--json', root);
    expectOk(j.n);
    expect(j.n.stdout).toBe('{"count":10,"bytes":3104,"sizeless":0}\n');
    expect(j.n.stdout).toBe(j.r.stdout);
  });

  it.each([[['--max-depth', '1']], [['--include', '*.txt']], [['--human-readable']], [['--exclude', '.*', '--exclude', '.*/**']]])('size %j counts what rclone counts', async (flags) => {
    const { n, r } = await both('size', ...flags, root);
    expectOk(r);
    expectOk(n);
    expect(n.stdout).toBe(r.stdout);
  });

  it('counts over a thousand with a k suffix', async () => {
    const many = path.join(base, 'many');
    nfs.mkdirSync(many);
    for (let i = 0; i < 1062; i++) nfs.writeFileSync(path.join(many, `f${i}`), i % 2 ? 'ab' : '');
    const { n, r } = await both('size', many);
    expectOk(n);
    expect(n.stdout).toBe('Total objects: 1.062k (1062)\nTotal size: 1.037 KiB (1062 Byte)\n');
    expect(n.stdout).toBe(r.stdout);
  });
});

describe('ls and lsl --human-readable', () => {
  it('shows sizes with binary suffixes, rounded as rclone rounds', async () => {
    const { n, r } = await both('ls', '--human-readable', root);
    expectOk(n);
    expect(sortedLines(n.stdout)).toEqual(sortedLines(r.stdout));
    expect(n.stdout.split('\n')).toEqual(expect.arrayContaining(['  1.062Ki tie.dat', '  1.953Ki b.bin', '        5 a.txt']));
    const l = await both('lsl', '--human-readable', root);
    expectOk(l.n);
    expect(sortedLines(l.n.stdout)).toEqual(sortedLines(l.r.stdout));
  });
});

describe('awkward names and errors', () => {
  let odd: string;
  beforeAll(async () => {
    odd = path.join(base, 'odd');
    await writeTree(odd, [f('new\nline.txt', 'n', 1), f('esc\x1b[31m.txt', 'e', 2), f('"quoted".txt', 'q', 3)]);
  });

  it('control characters are escaped: quoted in lsf and tree, \\u escapes in lsjson', async () => {
    const lsf = await cli.nclone('lsf', odd);
    expectOk(lsf);
    expect(lsf.stdout).toBe('"\\"quoted\\".txt"\n"esc\\x1b[31m.txt"\n"new\\nline.txt"\n');
    const tree = await cli.nclone('tree', '--noreport', odd);
    expectOk(tree);
    expect(tree.stdout).toBe('/\n├── "\\"quoted\\".txt"\n├── "esc\\x1b[31m.txt"\n└── "new\\nline.txt"\n');
    const json = await cli.nclone('lsjson', '--no-modtime', odd);
    expectOk(json);
    expect(json.stdout).not.toContain('\x1b');
    expect(json.stdout).toContain('"Path":"esc\\u001b[31m.txt"');
    expect((JSON.parse(json.stdout) as { Name: string }[]).map((i) => i.Name)).toEqual(['"quoted".txt', 'esc\x1b[31m.txt', 'new\nline.txt']);
  });

  it.each(['lsf', 'lsjson', 'tree', 'size'])('%s of a missing directory: exit 3, nothing on stdout, one line on stderr', async (cmd) => {
    const n = await cli.nclone(cmd, path.join(root, 'nope'));
    expectCode(n, 3);
    expect(n.stdout).toBe('');
    expect(n.stderr.trim().split('\n')).toHaveLength(1);
    expect(n.stderr).toMatch(/directory not found/);
    const r = await cli.rclone(cmd, path.join(root, 'nope'));
    expectCode(r, 3);
  });
});
