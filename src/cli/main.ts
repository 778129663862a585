import { Command, CommanderError, Option } from 'commander';
import { ExitCode, fsError } from '../fs/errors.js';
import { flagName, type OptionDef } from '../fs/options.js';
import { defaultRegistry } from '../../backends/index.js';
import { packageVersion } from './package-version.js';
import type { CommandDef } from './command.js';
import { COMMAND_LIST, loadAllCommands } from './command-list.js';
import { GLOBAL_FLAGS, type FlagDef } from './flags.js';
import { reportFatal, restoreTerminal, runCommand, watchStdout } from './runner.js';
import { writeTerminal } from '../lib/log.js';
import { commandHelp, helpTopic, mainHelp } from './help.js';

/** Which program flags to build: every one (undefined), or those a test accepts by long name and short letter. */
type FlagFilter = ((long: string, short?: string) => boolean) | undefined;

/**
 * The flags a command line names. Commander builds some 250 options (every global flag and
 * every --<backend>-<option>) in about 5 ms of each run's start, and an option the line does
 * not name changes nothing in its parse. (It gives no value either: nclone sets no commander
 * defaults, and the one commander sets itself, true for the X of a --no-X flag, is read only
 * as "=== false".) So only the named ones are built, except when the line asks for help (its
 * pages list them all) or names something that is no flag (commander's error then suggests
 * the nearest one of them all). Every token counts, those after a "--" too: a "--" can be an
 * option's value, and a flag built for nothing costs nothing but its time.
 */
export function namedFlags(argv: string[], commands: CommandDef[] = []): FlagFilter {
  // Commander's own --version, and the commands' own flags (built with their command).
  const longs = new Set<string>(['version']);
  const shorts = new Set<string>(['V']);
  const addSpecs = (defs: CommandDef[]) => {
    for (const def of defs) {
      for (const f of def.flags ?? []) {
        for (const m of f.spec.matchAll(/(?:^|[\s,])--([\w-]+)/g)) longs.add(m[1]!);
        for (const m of f.spec.matchAll(/(?:^|[\s,])-(\w)\b/g)) shorts.add(m[1]!);
      }
      addSpecs(def.subcommands ?? []);
    }
  };
  addSpecs(commands);
  for (const f of GLOBAL_FLAGS) {
    longs.add(f.name);
    if (f.short) shorts.add(f.short);
  }
  for (const f of backendFlags()) {
    longs.add(f.long);
    if (f.short) shorts.add(f.short);
  }
  const named = new Set<string>();
  for (const a of argv) {
    if (a === '--') continue;
    if (a === 'help' || a === '--help' || a === '-h') return undefined;
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=', 1)[0]!;
      if (!longs.has(name)) return undefined;
      named.add(`--${name}`);
    } else if (a.length > 1 && a.startsWith('-')) {
      for (const c of a.slice(1)) {
        if (!shorts.has(c)) return undefined;
        named.add(`-${c}`);
      }
    }
  }
  return (long, short) => named.has(`--${long}`) || (short !== undefined && named.has(`-${short}`));
}

function addGlobalFlag(program: Command, f: FlagDef): void {
  const spec = `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.type === 'bool' || f.type === 'count' ? '' : ` <${f.arg ?? 'value'}>`}`;
  // Some help texts already say their default ("(default off)"): don't say it twice.
  const help = f.default !== undefined && f.default !== '' && !f.help.includes('(default') ? `${f.help} (default ${f.default})` : f.help;
  const opt = new Option(spec, help);
  if (f.type === 'count') opt.argParser((_v: string, prev: number | undefined) => (prev ?? 0) + 1);
  if (f.type === 'strings') opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  program.addOption(opt);
}

/** --<backend>-<option> for every backend option, plus the global aliases some declare (--links/-l). */
function* backendFlags(): Generator<{ long: string; short?: string; backend: string; option: OptionDef }> {
  for (const def of defaultRegistry().all()) {
    for (const o of def.options) {
      yield { long: flagName(def.name, o.name).slice(2), backend: def.name, option: o };
      if (o.flag) yield { long: o.flag.name, short: o.flag.short, backend: def.name, option: o };
    }
  }
}

function addBackendFlags(program: Command, wanted: FlagFilter): Map<string, { backend: string; option: string }> {
  const keys = new Map<string, { backend: string; option: string }>();
  for (const { long, short, backend, option: o } of backendFlags()) {
    if (wanted && !wanted(long, short)) continue;
    const spec = `${short ? `-${short}, ` : ''}--${long}`;
    const opt = new Option(o.type === 'bool' ? spec : `${spec} <value>`, o.help);
    if (o.type === 'bool') opt.argParser(() => 'true');
    program.addOption(opt);
    keys.set(opt.attributeName(), { backend, option: o.name });
  }
  return keys;
}

function backendFlagValues(values: Record<string, unknown>, keys: Map<string, { backend: string; option: string }>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, { backend, option }] of keys) {
    const v = values[key];
    if (v === undefined) continue;
    (out[backend] ??= {})[option] = v === true ? 'true' : String(v);
  }
  return out;
}

interface RunSetup {
  keys: Map<string, { backend: string; option: string }>;
  signal: AbortSignal;
  done: (code: number) => void;
  /** The command line as given, for the -vv start lines. */
  argv: string[];
}

/** Each command's definition and its parents' names, for its help page. */
const helpPages = new WeakMap<Command, { def: CommandDef; path: string[] }>();

function addCommand(parent: Command, def: CommandDef, setup: RunSetup, path: string[] = []): void {
  const cmd = parent.command(def.name).summary(def.summary).description(def.description);
  helpPages.set(cmd, { def, path });
  // "name?" is optional, "name..." takes the rest of the arguments.
  for (const a of def.args) {
    const optional = a.endsWith('?');
    const bare = optional ? a.slice(0, -1) : a;
    cmd.argument(optional ? `[${bare}]` : `<${bare}>`);
  }
  for (const f of def.flags ?? []) cmd.option(f.spec, f.help);
  for (const sub of def.subcommands ?? []) addCommand(cmd, sub, setup, [...path, def.name]);
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const args = params.slice(0, def.args.length).flatMap((a) => (typeof a === 'string' ? [a] : Array.isArray(a) ? (a as string[]) : []));
    const values = self.optsWithGlobals();
    setup.done(await runCommand(def, args, values, backendFlagValues(values, setup.keys), setup.signal, setup.argv));
  });
}

/** The program's own flags: the global ones, then --<backend>-<option> for each backend. */
function addProgramFlags(program: Command, wanted: FlagFilter): Map<string, { backend: string; option: string }> {
  for (const f of GLOBAL_FLAGS) if (!wanted || wanted(f.name, f.short)) addGlobalFlag(program, f);
  return addBackendFlags(program, wanted);
}

/**
 * The definitions this command line needs: only the command it runs, or every command when
 * it asks for help, names none or names an unknown one (help lists them all, an unknown
 * name is told the nearest). Which command runs is commander's choice (the first operand
 * once the program's flags are parsed): the same parse is asked of a program with the same
 * flags, a throwaway one since parsing stores the values. A line that fails here fails
 * the same way in the real parse, which then has every command to report it with.
 */
async function commandsFor(argv: string[]): Promise<CommandDef[]> {
  // A line that starts with a word names its command by it, as commander reads it (the first
  // operand), without the scan: a program with every flag takes some 3 ms to build.
  const first = argv[0];
  const named = first !== undefined && !first.startsWith('-') ? COMMAND_LIST.find((c) => c.name === first) : undefined;
  if (named) return [await named.load()];
  const scan = new Command('nclone').exitOverride().configureOutput({ outputError: () => undefined, writeErr: () => undefined, writeOut: () => undefined });
  addProgramFlags(scan, namedFlags(argv));
  let name: string | undefined;
  try {
    name = scan.parseOptions(argv).operands[0];
  } catch {
    name = undefined;
  }
  const entry = COMMAND_LIST.find((c) => c.name === name);
  return entry ? [await entry.load()] : loadAllCommands();
}

/** `commands` are the definitions to register: all of them, or only the one the line runs (commandsFor). */
export function buildProgram(commands: CommandDef[], signal: AbortSignal, done: (code: number) => void, argv: string[]): Command {
  const program = new Command('nclone')
    .description('Sync files and directories to and from local disk and S3-compatible storage, with rclone semantics.')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .configureHelp({
      formatHelp: (cmd) => {
        const page = helpPages.get(cmd);
        return page ? commandHelp(page.def, page.path) : mainHelp(commands);
      },
    })
    .helpCommand(false)
    .version(`nclone v${packageVersion()}`, '-V, --version', 'Show the version number')
    .showSuggestionAfterError(true);
  const keys = addProgramFlags(program, namedFlags(argv, commands));
  for (const def of commands) addCommand(program, def, { keys, signal, done, argv });
  program
    .command('help')
    .argument('[topic...]')
    .action((topic: string[]) => {
      try {
        process.stdout.write(helpTopic(topic, commands));
        done(ExitCode.success);
      } catch (err) {
        reportFatal(err);
        done(ExitCode.usageError);
      }
    });
  return program;
}

/**
 * rclone 1.60's commands that nclone does not have, so that a user coming from rclone hears
 * that the command is missing here rather than that it does not exist; some have an
 * nclone counterpart under another name.
 */
const RCLONE_ONLY: Record<string, string> = {
  authorize: '',
  bisync: '',
  cmount: '',
  copyurl: '',
  cryptcheck: '',
  cryptdecode: '',
  dedupe: '',
  genautocomplete: 'use "nclone completion bash|zsh|fish"',
  gendocs: 'the docs are in docs/ and the manual page in man/nclone.1 of the package',
  mount: '',
  ncdu: 'use "nclone size" or "nclone tree --size"',
  rc: '',
  rcd: '',
  selfupdate: 'update it with npm',
  serve: '',
  test: '',
};

/** Turns commander's parse errors into one clear line. */
function usageLine(err: CommanderError): string {
  const unknown = err.code === 'commander.unknownCommand' ? /unknown command '([^']*)'/.exec(err.message)?.[1] : undefined;
  if (unknown !== undefined && Object.hasOwn(RCLONE_ONLY, unknown)) {
    const instead = RCLONE_ONLY[unknown];
    return `nclone has no '${unknown}' command (rclone has)${instead ? `: ${instead}` : ''}; see "nclone help" for the commands it has`;
  }
  // Commander puts its "(Did you mean ...?)" on a line of its own: keep it on ours.
  const msg = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
  return `${msg}: see "nclone --help" or "nclone help COMMAND"`;
}

export async function main(argv: string[]): Promise<number> {
  watchStdout();
  const controller = new AbortController();
  // SIGINT or SIGTERM: the first aborts the run (transfers stop, their temporary files are
  // removed, the summary prints, exit 7: docs/exit-codes.md); a second one quits at once
  // with 130. Even then no temporary file of an interrupted download stays behind: process.exit
  // runs the 'exit' hooks, and a backend that writes temporary files registers its own
  // (backends/local/tempfiles.ts), so nothing here needs to know about them.
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // process.exit skips the runner's cleanup, which would have shown the cursor the -P display hid.
      restoreTerminal();
      process.exit(130);
    }
    writeTerminal(`nclone: received ${sig}, stopping transfers (again to quit at once)\n`);
    controller.abort(fsError('other', `interrupted by ${sig}`, { retry: 'fatal' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: number = ExitCode.success;
  const program = buildProgram(await commandsFor(argv), controller.signal, (c) => (code = c), argv);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.usageError;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.success;
      // Help shown instead of running something (`nclone -v`, `nclone help nosuch`) went to
      // stderr with exit code 1: keep that code, as rclone exits 1 when no command is run.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.success : ExitCode.usageError;
      reportFatal(fsError('usage', usageLine(err)));
      return ExitCode.usageError;
    }
    reportFatal(err);
    return ExitCode.uncategorized;
  }
  return code;
}
