import type { CommandDef, CommandEnv } from '../cli/command.js';
import type { HashType, Obj } from '../fs/types.js';
import { fsError } from '../fs/errors.js';
import { march } from '../march/march.js';
import { check as checkTrees, type PairCallbacks } from '../operations/check.js';
import { localFileOf, realFile, type OwnFile } from '../operations/check-own-files.js';
import { CheckReport, type ReportFiles } from '../operations/check-report.js';
import { checkSumFile } from '../operations/check-sumfile.js';
import { parseHashType } from '../operations/hashsum.js';

/** The report flags check and checksum share, as rclone has them. */
export const REPORT_FLAGS: CommandDef['flags'] = [
  { spec: '--one-way', help: 'Check one way only, source files must exist on remote' },
  { spec: '--combined <file>', help: 'Make a combined report of changes to this file' },
  { spec: '--missing-on-src <file>', help: 'Report all files missing from the source to this file' },
  { spec: '--missing-on-dst <file>', help: 'Report all files missing from the destination to this file' },
  { spec: '--match <file>', help: 'Report all matching files to this file' },
  { spec: '--differ <file>', help: 'Report all non-matching files to this file' },
  { spec: '--error <file>', help: 'Report all files with errors (hashing or reading) to this file' },
];

export const REPORT_HELP =
  'With --one-way, only the source side is checked: files that exist only in the destination are not looked for.\n\n' +
  'Each of --differ, --missing-on-dst, --missing-on-src, --match and --error names a file (or - for stdout) that gets the paths of that outcome, one a line. ' +
  '--combined FILE gets every path after a symbol and a space: "=" the same on both sides, "-" only in the destination (missing on the source), "+" only in the source (missing on the destination), "*" on both sides but different, "!" could not be read or hashed.\n\n' +
  'The report files are created (or emptied) before the check starts; one that lies inside a local tree being checked is left out of the check (a notice says so), and one that is the sum file is refused. A summary is logged at the end ("N differences found", "N matching files", ...). ' +
  'The exit code is 0 when everything matched, 1 when differences were found, and the error\'s own code when only reading or listing failed.';

/** The report file names the flags give. */
export function reportFiles(flags: Record<string, unknown>): ReportFiles {
  const s = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  return { combined: s('combined'), missingOnSrc: s('missingOnSrc'), missingOnDst: s('missingOnDst'), match: s('match'), differ: s('differ'), error: s('error') };
}

/**
 * Runs fn with the report files open, closing them however it ends. A report file that is
 * the sum file is refused first: opening it would empty the file before it is read.
 */
export async function withReport(env: CommandEnv, files: ReportFiles, fn: (report: CheckReport) => Promise<void>, sumFile?: OwnFile): Promise<void> {
  if (sumFile) {
    for (const [flag, name] of Object.entries(CheckReport.names(files))) {
      if (name !== undefined && name !== '' && name !== '-' && realFile(name) === sumFile.path) {
        throw fsError('usage', `${flag} ${name} is the sum file: it would be emptied before it is read; write the report to another file`);
      }
    }
  }
  const report = await CheckReport.open(files, (line) => env.out(line));
  let ok = false;
  try {
    await fn(report);
    ok = true;
  } finally {
    if (ok) await report.close();
    else await report.close().catch(() => undefined);
  }
}

/** The sum file a path names; a path that is not a file is refused. */
export async function openSumFile(env: CommandEnv, sumPath: string): Promise<Obj> {
  const { fs, file } = await env.fs(sumPath);
  if (file === undefined) throw fsError('objectNotFound', `sum file ${sumPath} not found: give the path of a file in md5sum format`);
  return fs.newObject(file, { signal: env.ctx.signal });
}

/** The sum file when it is on a local disk, which a check of the tree holding it leaves out. */
export function ownSumFile(sumObj: Obj): OwnFile | undefined {
  return localFileOf(sumObj.fs, sumObj.remote, 'the sum file');
}

/** checksum, check -C and md5sum -C: the tree at dstPath against the sum file. */
export async function runCheckSum(env: CommandEnv, o: { type: HashType; sumObj: Obj; dstPath: string; files: ReportFiles; oneWay: boolean; download: boolean }): Promise<void> {
  const dst = await env.fs(o.dstPath);
  const sumFile = ownSumFile(o.sumObj);
  await withReport(
    env,
    o.files,
    (report) =>
      checkSumFile(env.ctx, {
        fdst: dst.fs,
        dstFile: dst.file,
        sumObj: o.sumObj,
        type: o.type,
        download: o.download,
        oneWay: o.oneWay,
        report,
        ownFiles: sumFile ? [...report.ownFiles, sumFile] : report.ownFiles,
      }),
    sumFile,
  );
}

/** check SRC DST, and check -C HASH SUMFILE DST. */
async function run(env: CommandEnv, srcPath: string, dstPath: string): Promise<void> {
  const flags = env.flags;
  const oneWay = flags.oneWay === true;
  const download = flags.download === true;
  if (typeof flags.checkfile === 'string') {
    const type = parseHashType(flags.checkfile);
    const sumObj = await openSumFile(env, srcPath);
    await runCheckSum(env, { type, sumObj, dstPath, files: reportFiles(flags), oneWay, download });
    return;
  }
  const src = await env.fs(srcPath);
  const dst = await env.fs(dstPath);
  if (dst.file !== undefined) throw fsError('usage', `destination ${dstPath} is a file: check compares against a directory; give the directory instead`);
  const { ctx } = env;
  const walk = (cb: PairCallbacks) =>
    march({ fsrc: src.fs, fdst: dst.fs, checkers: ctx.opt.checkers, filter: ctx.filter, filterDst: true, fastList: ctx.opt.fastList, maxDepth: ctx.opt.maxDepth, signal: ctx.signal }, cb);
  await withReport(env, reportFiles(flags), (report) => checkTrees(ctx, { fsrc: src.fs, fdst: dst.fs, walk, srcFile: src.file, oneWay, download, report, ownFiles: report.ownFiles }));
}

export const check: CommandDef = {
  name: 'check',
  args: ['source:path', 'dest:path'],
  summary: 'Compare the files of source and dest by size and hash, and report differences.',
  description:
    'Compares every file in source:path with the file of the same path in dest:path, without changing either: first the sizes, then the hash both sides have (MD5, else SHA-1). ' +
    'When the two backends have no hash in common, or one side has no hash for a file (an S3 multipart upload stored without its MD5), only the size is compared and the file is counted as "could not check hash". ' +
    'Files found on one side only are reported too. Filters apply to both sides.\n\n' +
    'With --size-only only the sizes are compared. With --download both files are read and compared byte for byte, for backends without hashes or to be sure of the data itself. ' +
    'With -C/--checkfile HASH, source:path is a sum file in md5sum format holding hashes of that type (see checksum).\n\n' +
    'Pairs are compared on --checkers at once; the two trees are walked together one directory at a time, so memory does not grow with the number of files. ' +
    'If source:path is a file, only that file is checked.\n\n' +
    REPORT_HELP,
  flags: [
    { spec: '--download', help: 'Check by downloading rather than with hash' },
    { spec: '-C, --checkfile <hash>', help: 'Treat source:path as a SUM file with hashes of given type' },
    ...REPORT_FLAGS!,
  ],
  examples: [
    { note: 'Compare a local tree with its copy in a bucket', command: 'nclone check ~/photos s3remote:my-bucket/photos' },
    { note: 'Compare the bytes, writing a combined report', command: 'nclone check --download --combined report.txt /srv/data /mnt/backup/data' },
    { note: 'Only check that every source file is on the destination', command: 'nclone check --one-way --missing-on-dst missing.txt ~/docs s3remote:my-bucket/docs' },
  ],
  stats: true,
  run: (env, [src, dst]) => run(env, src!, dst!),
};
