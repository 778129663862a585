/**
 * The CLI builds commander options only for the flags a line names (src/cli/main.ts
 * namedFlags), and all of them when it asks for help or names something that is no flag.
 * What a line does with the flags it names is the CLI tests' subject (test/cli.test.ts and
 * the rest); here, which flags are built for which line.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, namedFlags } from '../../src/cli/main.js';
import { COMMAND_LIST, loadAllCommands } from '../../src/cli/command-list.js';
import { GLOBAL_FLAGS } from '../../src/cli/flags.js';
import type { CommandDef } from '../../src/cli/command.js';

interface Parsed {
  command?: string;
  args?: string[];
  opts?: Record<string, unknown>;
  error?: string;
}

/**
 * What commander makes of a line with the program built for `built` (the line itself, or a
 * help line, which builds every flag): the command it would run, its operands and option
 * values, or the error. The actions are replaced, so nothing runs.
 */
async function parse(argv: string[], built: string[]): Promise<Parsed> {
  const entry = COMMAND_LIST.find((c) => c.name === argv[0]);
  const defs: CommandDef[] = entry ? [await entry.load()] : await loadAllCommands();
  const program = buildProgram(defs, new AbortController().signal, () => undefined, built);
  let got: Parsed = {};
  const quiet = (c: Command) => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
    for (const sub of c.commands) {
      sub.action((...params: unknown[]) => {
        const self = params[params.length - 1] as Command;
        const opts = self.optsWithGlobals();
        // Commander's own default for --no-X flags, set only when the flag is built: read as "=== false" only.
        if (opts.checkCertificate === true) delete opts.checkCertificate;
        if (opts.traverse === true) delete opts.traverse;
        got = { command: self.name(), args: self.args, opts };
      });
      quiet(sub);
    }
  };
  quiet(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    return { error: String((err as Error).message) };
  }
  return got;
}

const allGlobal = (f: NonNullable<ReturnType<typeof namedFlags>>) => GLOBAL_FLAGS.filter((g) => f(g.name, g.short)).map((g) => g.name);

describe('namedFlags', () => {
  it('builds no program flag for a line that names none', () => {
    const f = namedFlags(['lsd', 'rgw:']);
    expect(f).toBeDefined();
    expect(allGlobal(f!)).toEqual([]);
    expect(f!('s3-list-chunk')).toBe(false);
  });

  it('builds the flags a line names, long (with or without =value), short and bundled shorts', () => {
    const f = namedFlags(['sync', 'a', 'b', '--transfers', '4', '-vvP', '--s3-list-chunk=5', '-l']);
    expect(f).toBeDefined();
    expect(allGlobal(f!).sort()).toEqual(['progress', 'transfers', 'verbose']);
    expect(f!('s3-list-chunk')).toBe(true);
    expect(f!('s3-chunk-size')).toBe(false);
    // -l is the local backend's --links alias.
    expect(f!('links', 'l')).toBe(true);
    expect(f!('copy-links', 'L')).toBe(false);
  });

  it('reads past --, which can be an option\'s value', () => {
    const f = namedFlags(['ls', 'd', '--exclude', '--', '--max-depth', '1']);
    expect(f).toBeDefined();
    expect(allGlobal(f!).sort()).toEqual(['exclude', 'max-depth']);
  });

  it('builds every flag for help and for anything that is no flag (commander then suggests the nearest)', () => {
    for (const line of [['--help'], ['sync', '-h'], ['help', 'flags'], ['lsd', 'rgw:', '--transfer', '3'], ['lsd', '-Z', 'rgw:']]) {
      expect(namedFlags(line), line.join(' ')).toBeUndefined();
    }
  });

  it("knows commander's --version and each command's own flags when given the commands", async () => {
    expect(namedFlags(['--version'])).toBeDefined();
    expect(namedFlags(['-V'])).toBeDefined();
    const lsf = await COMMAND_LIST.find((c) => c.name === 'lsf')!.load();
    const own = lsf.flags!.map((x) => x.spec);
    expect(own.some((spec) => spec.includes('-R'))).toBe(true);
    // Without the command, -R is no flag the program knows: every flag is built.
    expect(namedFlags(['lsf', '-R', 'rgw:'])).toBeUndefined();
    const f = namedFlags(['lsf', '-R', '--format', 'pst', 'rgw:'], [lsf]);
    expect(f).toBeDefined();
    expect(allGlobal(f!)).toEqual([]);
  });

  it('parses every line as the program with every flag does', async () => {
    const lines = [
      ['lsd', 'rgw:'],
      ['sync', 'a', 'b', '--transfers', '4', '-vvP', '--s3-list-chunk=5', '-l'],
      ['ls', 'd', '--exclude', '--', '--max-depth', '1'],
      ['lsf', '--exclude', '--', '--dry-run', 'r:'],
      ['--exclude', '--', '--dry-run', 'sync', 'a', 'b'],
      ['-v', 'lsf', '-R', '--format', 'pst', '-d', 'false', 'r:'],
      ['copy', 'a', 'b', '--no-traverse', '--no-check-certificate', '--include', '-v'],
      ['ls', 'd', '--max-age', '-1d'],
      ['ls', '--', '-notaflag'],
      ['lsd', 'rgw:', '--transfer', '3'],
    ];
    for (const line of lines) {
      const named = await parse(line, line);
      expect(named, line.join(' ')).toEqual(await parse(line, ['--help']));
      expect(named.command !== undefined || named.error !== undefined, line.join(' ')).toBe(true);
    }
  });
});
