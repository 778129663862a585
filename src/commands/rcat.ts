import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { parseSize, ValueError } from '../lib/units.js';
import { rcat as rcatTo } from '../operations/rcat.js';
import { splitLeaf } from './transfer-common.js';

/** rclone's default --streaming-upload-cutoff. */
const DEFAULT_CUTOFF = 100 * 1024;

export const rcat: CommandDef = {
  name: 'rcat',
  args: ['remote:path'],
  summary: 'Store standard input as a file on the remote, streaming it.',
  description:
    'Reads standard input to its end and stores it as the file remote:path, replacing one that is there. The file gets the time the command started as its modification time; empty input makes an empty file.\n\n' +
    'Input shorter than --streaming-upload-cutoff is held in memory and sent in one request; longer input is streamed as it arrives (on S3 a multipart upload in --s3-chunk-size parts, which limits the largest stream to --s3-max-upload-parts times that). With --size the exact length is known up front and the data is sent as for a file of that size; input of another length fails.\n\n' +
    '-n says what it would store; -i asks on the terminal first (a declined upload reads the input and stores nothing).\n\n' +
    'The data can be read only once, so a failed upload is not retried: on any failure, and on Ctrl-C, nothing is left behind (no object, no unfinished multipart upload). To send a lot of data reliably, write it to a local file first and copy that.',
  examples: [
    { command: 'echo "hello world" | nclone rcat s3remote:my-bucket/hello.txt' },
    { note: 'Stream a backup', command: 'tar cz ~/projects | nclone rcat s3remote:my-bucket/backups/projects.tar.gz' },
  ],
  flags: [
    { spec: '--size <bytes>', help: 'The exact size of the input in bytes, when known (-1 for unknown)' },
    { spec: '--streaming-upload-cutoff <size>', help: 'Input shorter than this is sent in one request, longer is streamed (default 100Ki)' },
  ],
  interactive: true,
  run: async (env, [path]) => {
    const size = sizeFlag(env.flags.size);
    const cutoff = cutoffFlag(env.flags.streamingUploadCutoff);
    if (process.stdin.isTTY) throw fsError('usage', 'nothing to read from standard input: pipe the data in, e.g. "tar c dir | nclone rcat remote:backup.tar"');
    const { parent, leaf } = splitLeaf(path!);
    if (leaf === '' || leaf === '.' || leaf === '..') throw fsError('usage', `${path} is a directory: give the name of the file to write, e.g. ${path}${path!.endsWith('/') ? '' : '/'}data.bin`);
    const dst = await env.fs(parent);
    if (dst.file !== undefined) throw fsError('usage', `can't write ${path}: ${parent} is a file, not a directory`);
    await rcatTo(env.ctx, dst.fs, leaf, process.stdin, { size, cutoff, modTime: BigInt(Date.now()) * 1_000_000n });
  },
};

function sizeFlag(v: unknown): number {
  if (v === undefined) return -1;
  const text = String(v).trim();
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw fsError('usage', `--size ${String(v)}: give the input's size as a whole number of bytes (or -1 for unknown)`);
  return Math.max(-1, Number(text));
}

function cutoffFlag(v: unknown): number {
  if (v === undefined) return DEFAULT_CUTOFF;
  try {
    const n = parseSize(String(v));
    if (n < 0) throw new ValueError('"off" is not a cutoff');
    return n;
  } catch (err) {
    if (err instanceof ValueError) throw fsError('usage', `--streaming-upload-cutoff ${String(v)}: ${err.message}`);
    throw err;
  }
}
