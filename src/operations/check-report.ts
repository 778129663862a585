import * as nfs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errorMessage, fsError } from '../fs/errors.js';
import { quoteName } from '../lib/escape.js';
import { realFile, type OwnFile } from './check-own-files.js';

/** Where lines of results go: stdout, or a file opened for the run. */
export interface LineSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

/** Lines are gathered and written in large pieces, one write at a time, in order. */
class FileSink implements LineSink {
  private buffered = '';
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly handle: fsp.FileHandle,
    private readonly name: string,
  ) {}

  async write(line: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.buffered += line + '\n';
    if (this.buffered.length >= 64 * 1024) await this.flush();
  }

  private flush(): Promise<void> {
    const chunk = this.buffered;
    this.buffered = '';
    this.writing = this.writing.then(async () => {
      if (this.failure !== undefined || chunk === '') return;
      try {
        await this.handle.write(chunk);
      } catch (err) {
        this.failure = fsError('other', `can't write to ${this.name}: ${errorMessage(err)}`, { retry: 'fatal' });
      }
    });
    return this.writing.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }
}

class StdoutSink implements LineSink {
  constructor(private readonly out: (line: string) => Promise<void>) {}
  write(line: string): Promise<void> {
    return this.out(line);
  }
  async close(): Promise<void> {}
}

/**
 * Opens the named files ('-' is stdout) for writing, all or none: a name that can't be
 * opened is a usage error, and files this call created for the others are removed again
 * (files that existed are only truncated once every name has opened). The same file named
 * twice gets one sink, so its lines do not overwrite each other.
 */
export async function openSinks(names: Record<string, string | undefined>, out: (line: string) => Promise<void>): Promise<Record<string, LineSink | undefined>> {
  const byPath = new Map<string, { handle: fsp.FileHandle; created: boolean; name: string; sink?: LineSink }>();
  const stdout = new StdoutSink(out);
  try {
    for (const [flag, name] of Object.entries(names)) {
      if (name === undefined || name === '-' || name === '') continue;
      const abs = path.resolve(name);
      if (byPath.has(abs)) continue;
      const created = !nfs.existsSync(abs);
      let handle: fsp.FileHandle;
      try {
        // 'a' so that nothing is truncated before every file has opened.
        handle = await fsp.open(abs, 'a', 0o644);
      } catch (err) {
        throw fsError('usage', `can't open ${flag} file ${name}: ${reason(err, abs)}`);
      }
      byPath.set(abs, { handle, created, name });
    }
  } catch (err) {
    for (const [abs, f] of byPath) {
      await f.handle.close().catch(() => undefined);
      if (f.created) await fsp.rm(abs, { force: true }).catch(() => undefined);
    }
    throw err;
  }
  for (const f of byPath.values()) {
    // A pipe or terminal (/dev/stdout | ...) can't be truncated, and needs not be.
    if ((await f.handle.stat()).isFile()) await f.handle.truncate(0);
    f.sink = new FileSink(f.handle, f.name);
  }
  const sinks: Record<string, LineSink | undefined> = {};
  for (const [flag, name] of Object.entries(names)) {
    if (name === undefined || name === '') continue;
    sinks[flag] = name === '-' ? stdout : byPath.get(path.resolve(name))!.sink;
  }
  return sinks;
}

/** Closes each sink once (several flags may share one). */
export async function closeSinks(sinks: Iterable<LineSink | undefined>): Promise<void> {
  let first: unknown;
  for (const s of new Set(sinks)) {
    try {
      await s?.close();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

function reason(err: unknown, abs: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${path.dirname(abs)} does not exist`;
  if (code === 'EISDIR') return 'it is a directory: give a file name';
  if (code === 'ENOTDIR') return `${path.dirname(abs)} is not a directory`;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return errorMessage(err);
}

/** What check found for one path, with rclone's sigil for the --combined report. */
export type Outcome = 'match' | 'differ' | 'missingOnSrc' | 'missingOnDst' | 'error';

const SIGIL: Record<Outcome, string> = { match: '=', differ: '*', missingOnSrc: '-', missingOnDst: '+', error: '!' };

/** The report files of check and checksum, as the flags named them. */
export interface ReportFiles {
  combined?: string;
  missingOnSrc?: string;
  missingOnDst?: string;
  match?: string;
  differ?: string;
  error?: string;
}

/** Writes each path to the file of its outcome and, with its sigil, to the combined report. */
export class CheckReport {
  private constructor(
    private readonly sinks: Record<string, LineSink | undefined>,
    /** The report files on disk, which a check of a local tree holding them leaves out. */
    readonly ownFiles: OwnFile[],
  ) {}

  /** The report files by flag, as the command line names them. */
  static names(files: ReportFiles): Record<string, string | undefined> {
    return {
      '--combined': files.combined,
      '--missing-on-src': files.missingOnSrc,
      '--missing-on-dst': files.missingOnDst,
      '--match': files.match,
      '--differ': files.differ,
      '--error': files.error,
    };
  }

  static async open(files: ReportFiles, out: (line: string) => Promise<void>): Promise<CheckReport> {
    const names = CheckReport.names(files);
    const sinks = await openSinks(names, out);
    const own = Object.entries(names).flatMap(([flag, name]) => (name === undefined || name === '' || name === '-' ? [] : [{ path: realFile(name), what: `the ${flag} report` }]));
    return new CheckReport(
      {
        combined: sinks['--combined'],
        missingOnSrc: sinks['--missing-on-src'],
        missingOnDst: sinks['--missing-on-dst'],
        match: sinks['--match'],
        differ: sinks['--differ'],
        error: sinks['--error'],
      },
      own,
    );
  }

  async add(outcome: Outcome, remote: string): Promise<void> {
    const name = quoteName(remote);
    await this.sinks[outcome]?.write(name);
    await this.sinks.combined?.write(`${SIGIL[outcome]} ${name}`);
  }

  close(): Promise<void> {
    return closeSinks(Object.values(this.sinks));
  }
}
