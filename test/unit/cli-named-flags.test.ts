/**
 * The CLI builds commander options only for the flags a line names (src/cli/main.ts
 * namedFlags), and all of them when it asks for help or names something that is no flag.
 * What a line does with the flags it names is the CLI tests' subject (test/cli.test.ts and
 * the rest); here, which flags are built for which line.
 */
import { describe, expect, it } from 'vitest';
import { namedFlags } from '../../src/cli/main.js';
import { COMMAND_LIST } from '../../src/cli/command-list.js';
import { GLOBAL_FLAGS } from '../../src/cli/flags.js';

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

  it('stops at --: what follows is operands', () => {
    const f = namedFlags(['ls', '--', '--no-such-flag', '-Z']);
    expect(f).toBeDefined();
    expect(allGlobal(f!)).toEqual([]);
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
});
