import { statfs } from 'node:fs/promises';
import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import type { CallOptions, Fs, Usage } from '../fs/types.js';

export const about: CommandDef = {
  name: 'about',
  args: ['remote:'],
  summary: 'Print the total, used and free space of the remote, where it has a quota.',
  description: [
    'Prints how much space the remote has, uses and has free, one "Name: value" line each with sizes in binary units (--full: in bytes), or with --json an object of byte counts: {"total", "used", "free"}. Only what the backend reports is shown.',
    'On a local path the numbers are those of the file system holding it (as df shows them: free is what an ordinary user may still write). S3 has no such figures, and about fails there with exit code 1, as in rclone.',
  ].join('\n\n'),
  flags: [
    { spec: '--json', help: 'Format output as JSON' },
    { spec: '--full', help: 'Full numbers instead of human-readable' },
  ],
  examples: [
    { command: 'nclone about /srv/backups' },
    { note: 'Byte counts as JSON', command: 'nclone about --json ~/' },
  ],
  run: async (env, [path]) => {
    const { fs } = await env.fs(path!);
    const ask = aboutOf(fs);
    if (!ask) throw fsError('usage', `about is not supported by ${fs} (its backend reports no total or free space)`);
    const u = await ask({ signal: env.ctx.signal });
    if (env.flags.json === true) {
      // rclone's field order; what the backend does not know is left out.
      const ordered = { total: u.total, used: u.used, trashed: u.trashed, other: u.other, free: u.free, objects: u.objects };
      for (const line of JSON.stringify(ordered, null, '\t').split('\n')) await env.out(line);
      return;
    }
    const full = env.flags.full === true;
    const rows: [string, number | undefined, boolean][] = [
      ['Total', u.total, true],
      ['Used', u.used, true],
      ['Free', u.free, true],
      ['Trashed', u.trashed, true],
      ['Other', u.other, true],
      ['Objects', u.objects, false],
    ];
    for (const [name, value, bytes] of rows) {
      if (value === undefined) continue;
      await env.out(`${`${name}:`.padEnd(9)}${full ? String(value) : bytes ? byteUnit(value) : countUnit(value)}`);
    }
  },
};

/**
 * How to ask an Fs for its usage, or undefined when it can't say. A local Fs's root is an
 * OS path (Features.isLocal), so the file system holding it answers for it.
 */
export function aboutOf(fs: Fs): ((o: CallOptions) => Promise<Usage>) | undefined {
  if (fs.about) return (o) => fs.about!(o);
  if (fs.features.isLocal) return () => diskUsage(fs.root, String(fs));
  return undefined;
}

async function diskUsage(dir: string, shown: string): Promise<Usage> {
  let s;
  try {
    s = await statfs(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw fsError('dirNotFound', `${shown}: directory not found`, { retry: 'noRetry' });
    throw fsError('other', `${shown}: can't read the disk usage: ${(err as Error).message}`, { retry: 'noRetry' });
  }
  return { total: s.bsize * s.blocks, used: s.bsize * (s.blocks - s.bfree), free: s.bsize * s.bavail };
}

/** rclone's size display: "0 B", "512 B", "17 GiB", "7.444 GiB". */
export function byteUnit(n: number): string {
  const [value, prefix] = scaled(n, 1024, ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']);
  return `${value} ${prefix}B`;
}

/** rclone's count display: decimal prefixes, no unit ("1.500k"). */
function countUnit(n: number): string {
  const [value, prefix] = scaled(n, 1000, ['', 'k', 'M', 'G', 'T', 'P', 'E']);
  return value + prefix;
}

/** n in the largest unit it reaches: whole numbers bare, others with three decimals. */
function scaled(n: number, base: number, prefixes: string[]): [string, string] {
  let i = 0;
  let v = Math.max(0, n);
  while (v >= base && i < prefixes.length - 1) {
    v /= base;
    i++;
  }
  return [Number.isInteger(v) ? String(v) : v.toFixed(3), prefixes[i]!];
}
