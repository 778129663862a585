import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { catFiles, type CatRange } from '../operations/cat.js';
import { DISCARD, StreamOutput } from '../operations/cat-output.js';

export const cat: CommandDef = {
  name: 'cat',
  args: ['remote:path'],
  summary: 'Write the contents of a file, or of every file below a path, to stdout.',
  description:
    'Writes the file remote:path names to standard output, byte for byte; given a directory, writes every file below it one after the other, in listing order (filters and --max-depth apply).\n\n' +
    '--head N prints only the first N bytes of each file, --tail N the last N, and --offset with --count a section: --offset starts that many bytes in (counted from the end when negative, so --offset -1 --count 1 is --tail 1) and --count stops after that many bytes. Only one of --head, --tail and --offset/--count can be used. --discard reads everything and prints nothing (to test reading).\n\n' +
    'A reader that stops early (nclone cat remote:big | head) ends the command quietly with exit code 0.',
  examples: [
    { command: 'nclone cat s3remote:my-bucket/config/app.yaml' },
    { note: 'Every .txt file below a directory', command: "nclone cat --include '*.txt' s3remote:my-bucket/notes" },
    { note: 'The last kilobyte of a log', command: 'nclone cat --tail 1024 s3remote:my-bucket/logs/app.log' },
  ],
  flags: [
    { spec: '--head <N>', help: 'Only print the first N bytes' },
    { spec: '--tail <N>', help: 'Only print the last N bytes' },
    { spec: '--offset <N>', help: 'Start printing at offset N (or from the end if negative)' },
    { spec: '--count <N>', help: 'Only print N bytes' },
    { spec: '--discard', help: 'Discard the output instead of printing' },
  ],
  run: async (env, [path]) => {
    const range = rangeFromFlags(env.flags);
    const { fs, file } = await env.fs(path!);
    if (env.flags.discard === true) return catFiles(env.ctx, fs, file, range, DISCARD);
    const out = new StreamOutput(process.stdout);
    try {
      await catFiles(env.ctx, fs, file, range, out);
    } finally {
      const failure = await out.finish();
      if (failure) throw failure;
    }
  },
};

/** --head, --tail, --offset and --count as one range, as rclone combines them. */
function rangeFromFlags(flags: Record<string, unknown>): CatRange {
  const head = whole(flags, 'head', 0);
  const tail = whole(flags, 'tail', 0);
  const offset = whole(flags, 'offset', 0);
  const count = whole(flags, 'count', -1);
  const usedOffset = offset !== 0 || count >= 0;
  if ((head > 0 ? 1 : 0) + (tail > 0 ? 1 : 0) + (usedOffset ? 1 : 0) > 1) {
    throw fsError('usage', 'can only use one of --head, --tail or --offset with --count');
  }
  if (head > 0) return { offset: 0, count: head };
  if (tail > 0) return { offset: -tail, count: -1 };
  return { offset, count };
}

function whole(flags: Record<string, unknown>, name: string, absent: number): number {
  const v = flags[name];
  if (v === undefined) return absent;
  const text = String(v).trim();
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw fsError('usage', `--${name} ${String(v)}: give a whole number of bytes, e.g. --${name} 100`);
  return Number(text);
}
