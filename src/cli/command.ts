import type { NewFsResult } from '../fs/registry.js';
import type { OperationContext } from '../operations/context.js';
import type { FsResolver } from '../fs/newfs.js';
import type { PasswordSource } from '../config/store.js';

/** What a command's run function gets from the shared runner. */
export interface CommandEnv {
  ctx: OperationContext;
  resolver: FsResolver;
  /** How to get the password of an encrypted config file. */
  passwords: PasswordSource;
  /** Resolves a command-line path to an Fs (and a file name when it names a file). */
  fs(path: string): Promise<NewFsResult>;
  /** Writes one line of results to stdout, waiting when the reader is slow. */
  out(line: string): Promise<void>;
  /** The command's own flags. */
  flags: Record<string, unknown>;
}

/** A command declared as data; src/commands/ has one per file. */
export interface CommandDef {
  name: string;
  /** Argument names as shown in help, e.g. ['source:path', 'dest:path']; a trailing '?' marks an optional one. */
  args: string[];
  summary: string;
  /** Longer help, shown by `nclone help CMD` and `CMD --help`. */
  description: string;
  flags?: { spec: string; help: string }[];
  /** Shown in its help: a command line, with what it does in a few words. */
  examples?: { note?: string; command: string }[];
  /** Does not read the config file before running (config management, version). */
  noConfig?: boolean;
  /** Subcommands, e.g. config create; the parent's own run handles the bare command. */
  subcommands?: CommandDef[];
  /** Shows progress and the final stats summary, is re-run by --retries and asks with -i: all of the three below. */
  transfers?: boolean;
  /** Re-run by --retries when it ended with retryable errors (default: transfers). */
  retries?: boolean;
  /** Opens the terminal for -i questions (default: transfers). */
  interactive?: boolean;
  /** Periodic stats (--stats) and the final summary at -v (default: transfers). */
  stats?: boolean;
  run(env: CommandEnv, args: string[]): Promise<void>;
}
