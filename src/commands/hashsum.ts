import { fstatSync } from 'node:fs';
import type { CommandDef, CommandEnv } from '../cli/command.js';
import type { HashType } from '../fs/types.js';
import { closeSinks, openSinks, type LineSink } from '../operations/check-report.js';
import { realFile } from '../operations/check-own-files.js';
import { hashInput, hashList, parseHashType, supportedHashesHelp } from '../operations/hashsum.js';
import { openSumFile, runCheckSum } from './check.js';

/** The flags hashsum, md5sum and sha1sum share. */
export const HASHSUM_FLAGS: CommandDef['flags'] = [
  { spec: '--base64', help: 'Output base64 encoded hashsum' },
  { spec: '--output-file <file>', help: 'Output hashsums to a file rather than the terminal' },
  { spec: '-C, --checkfile <sumfile>', help: 'Validate hashes against a given SUM file instead of printing them' },
  { spec: '--download', help: 'Download the file and hash it locally; if this flag is not specified, the hash is requested from the remote' },
];

/** What md5sum, sha1sum and hashsum say about their output and flags. */
export function hashsumHelp(name: string): string {
  return (
    `Prints one line per file below the path, in the format the standard ${name} tool writes: the hash in lower-case hex, two spaces, the path relative to the one given. ` +
    'Filters apply; lines come in listing order. If the path names a file, only that file is hashed.\n\n' +
    'The hash is asked of the backend: free on S3 (the ETag of a single-part upload, the MD5 stored in the metadata of a multipart one), a read of the whole file on local disk. ' +
    'A file the backend has no hash for (an S3 multipart upload made without storing its MD5) gets a line with a blank hash; ' +
    'a backend that has no hash of this type at all (SHA-1 on S3) gives an error for each file and no lines. ' +
    'With --download each file is read and hashed here instead, which works for any backend and checks the data itself.\n\n' +
    '--base64 prints the hash in URL-safe base64 instead of hex. --output-file FILE writes the lines to FILE instead of stdout; when FILE is inside the tree being hashed it gets no line of its own. ' +
    'With -C/--checkfile SUMFILE nothing is printed in that format: the files are checked against SUMFILE as the checksum command does, with its combined report on stdout.\n\n' +
    'With no path, or with - when standard input is not a terminal, the data on standard input is hashed instead, into one line with the path "-".'
  );
}

/** Standard input holds data to hash: it is not a terminal or other character device. */
function stdinHasData(): boolean {
  try {
    return !fstatSync(0).isCharacterDevice();
  } catch {
    return false;
  }
}

/** hashsum TYPE PATH, md5sum PATH, sha1sum PATH. */
export async function runHashsum(env: CommandEnv, type: HashType, path: string | undefined): Promise<void> {
  const f = env.flags;
  const base64 = f.base64 === true;
  const download = f.download === true;
  const outputFile = typeof f.outputFile === 'string' ? f.outputFile : undefined;
  if (path === undefined || (path === '-' && stdinHasData())) {
    const sinks = await openSinks({ '--output-file': outputFile ?? '-' }, (line) => env.out(line));
    await finishing(sinks, () => hashInput(process.stdin, { type, base64 }, sinks['--output-file']!));
    return;
  }
  if (typeof f.checkfile === 'string') {
    const sumObj = await openSumFile(env, f.checkfile);
    await runCheckSum(env, { type, sumObj, dstPath: path, files: { combined: '-' }, oneWay: false, download });
    return;
  }
  const target = await env.fs(path);
  const sinks = await openSinks({ '--output-file': outputFile ?? '-' }, (line) => env.out(line));
  const ownFiles = outputFile !== undefined && outputFile !== '-' && outputFile !== '' ? [{ path: realFile(outputFile), what: 'the --output-file' }] : [];
  await finishing(sinks, () => hashList(env.ctx, target.fs, target.file, { type, download, base64, ownFiles }, sinks['--output-file']!));
}

/** Runs fn, then closes the output; a failed run's output is closed quietly. */
async function finishing(sinks: Record<string, LineSink | undefined>, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    await closeSinks(Object.values(sinks)).catch(() => undefined);
    throw err;
  }
  await closeSinks(Object.values(sinks));
}

export const hashsum: CommandDef = {
  name: 'hashsum',
  args: ['hash?', 'remote:path?'],
  summary: 'Print a chosen hash of every file below the path, or the hashes nclone knows.',
  description:
    'Like md5sum and sha1sum, for the hash named: md5 or sha1 (in any case; rclone\'s aliases MD5 and SHA-1 work too). With no hash, lists the hashes nclone supports.\n\n' +
    hashsumHelp('md5sum/sha1sum'),
  flags: HASHSUM_FLAGS,
  examples: [
    { note: 'List the supported hashes', command: 'nclone hashsum' },
    { command: 'nclone hashsum sha1 s3remote:my-bucket/photos' },
    { note: 'Hash standard input', command: 'echo hello | nclone hashsum md5' },
  ],
  run: async (env, [hash, path]) => {
    if (hash === undefined) {
      for (const line of supportedHashesHelp().split('\n')) await env.out(line);
      return;
    }
    await runHashsum(env, parseHashType(hash), path);
  },
};
