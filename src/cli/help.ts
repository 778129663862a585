import { defaultRegistry } from '../../backends/index.js';
import { fsError } from '../fs/errors.js';
import { flagName, isSecret, type OptionDef } from '../fs/options.js';
import type { CommandDef } from './command.js';
import { GLOBAL_FLAGS, type FlagDef } from './flags.js';

/**
 * The help pages, written here rather than by commander so that each says what a reader
 * needs there: the commands first, one line each; a command's usage, what it does,
 * examples and its own flags; the global flags and the backends on pages of their own.
 */

const WIDTH = 80;

/** Fills paragraphs to the width, each line starting with `indent`. */
function wrap(text: string, indent = ''): string {
  return text
    .split('\n\n')
    .map((para) => {
      const lines: string[] = [];
      let line = '';
      for (const word of para.split(/\s+/).filter(Boolean)) {
        if (line !== '' && indent.length + line.length + 1 + word.length > WIDTH) {
          lines.push(indent + line);
          line = word;
        } else line = line === '' ? word : `${line} ${word}`;
      }
      if (line !== '') lines.push(indent + line);
      return lines.join('\n');
    })
    .join('\n\n');
}

/** Two columns: names padded to the widest (up to a limit), help wrapped beside them (or not: one line each). */
function table(rows: [string, string][], oneLine = false): string {
  const width = Math.min(30, Math.max(0, ...rows.map(([l]) => l.length)));
  return rows
    .map(([left, right]) => {
      const pad = ' '.repeat(width + 4);
      const body = oneLine ? right : wrap(right, pad).trimStart();
      return left.length > width ? `  ${left}\n${pad}${body}` : `  ${left.padEnd(width)}  ${body}`;
    })
    .join('\n');
}

function argText(args: string[]): string {
  return args.map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a)).join(' ');
}

function usage(path: string[], def: CommandDef): string {
  const subs = def.subcommands?.length ? ' [COMMAND]' : '';
  return `Usage: nclone ${[...path, def.name].join(' ')} [flags]${subs}${def.args.length ? ' ' + argText(def.args) : ''}`;
}

/** The first page: every command with its summary. */
export function mainHelp(commands: CommandDef[]): string {
  return [
    'Usage: nclone [flags] COMMAND [arguments]',
    '',
    'Sync files and directories between local disk and S3-compatible storage, with',
    "rclone's commands, flags, paths, config file and exit codes.",
    '',
    'Commands:',
    table([...commands.map((c): [string, string] => [c.name, c.summary]), ['help', 'Show help for a command or topic.']], true),
    '',
    'More help:',
    '  nclone help COMMAND     usage, examples and flags of COMMAND (or COMMAND -h)',
    '  nclone help flags       the global flags (logging, copying, filters, ...)',
    '  nclone help flags RE    the flags, backend options too, whose name or help matches RE',
    '  nclone help backends    the backends and their --<backend>-<option> flags',
    '',
  ].join('\n');
}

export function commandHelp(def: CommandDef, path: string[] = []): string {
  const out = [usage(path, def), '', wrap(def.summary), '', wrap(def.description), ''];
  if (def.subcommands?.length) {
    out.push('Commands:', table(def.subcommands.map((s) => [s.name, s.summary]), true), '');
    out.push(`Run "nclone help ${[...path, def.name].join(' ')} COMMAND" for the usage of each.`, '');
  }
  if (def.examples?.length) {
    out.push('Examples:');
    for (const e of def.examples) out.push(...(e.note ? [`  # ${e.note}`] : []), `  ${e.command}`);
    out.push('');
  }
  if (def.flags?.length) out.push('Flags:', table(def.flags.map((f) => [f.spec, f.help])), '');
  out.push('Global flags (nclone help flags) apply to every command: -v, -q, --log-file, -n, ...', '');
  return out.join('\n');
}

const GROUPS: [FlagDef['group'], string][] = [
  ['general', 'General'],
  ['logging', 'Logging and progress'],
  ['copy', 'Copying'],
  ['sync', 'Sync'],
  ['filter', 'Filtering'],
  ['listing', 'Listing'],
];

function flagSpec(f: FlagDef): string {
  const value = f.type === 'bool' || f.type === 'count' ? '' : ` ${f.arg ?? 'VALUE'}`;
  return `${f.short ? `-${f.short}, ` : '    '}--${f.name}${value}`;
}

function flagHelp(f: FlagDef): string {
  // Some help texts already say their default ("(default off)"): don't say it twice.
  return f.default !== undefined && f.default !== '' && !f.help.includes('(default') ? `${f.help} (default ${f.default})` : f.help;
}

/** A `help flags` filter: a case-insensitive regular expression, as rclone takes it. */
function flagFilter(filter: string | undefined): (text: string) => boolean {
  if (filter === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(filter, 'i');
  } catch (err) {
    throw fsError('usage', `invalid regular expression "${filter}" for "nclone help flags": ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  return (text) => re.test(text);
}

/** The global flags; with a filter, only those (and backend options) whose name or help matches it. */
export function flagsHelp(filter?: string): string {
  const matches = flagFilter(filter);
  const out = [filter === undefined ? 'Global flags: they work with every command, before or after its name.' : `Flags matching "${filter}":`, ''];
  let shown = 0;
  for (const [group, title] of GROUPS) {
    const general: [string, string][] = group === 'general' ? [['-h, --help', 'Show help'], ['-V, --version', 'Show the version number']] : [];
    const rows = [...GLOBAL_FLAGS.filter((f) => f.group === group).map((f): [string, string] => [flagSpec(f), flagHelp(f)]), ...general].filter(([spec, help]) => matches(spec) || matches(help));
    if (rows.length === 0) continue;
    shown += rows.length;
    out.push(`${title}:`, table(rows), '');
  }
  if (filter !== undefined) {
    for (const def of defaultRegistry().all()) {
      const rows = def.options.map((o) => optionRow(def.name, o)).filter(([spec, help]) => matches(spec) || matches(help));
      if (rows.length === 0) continue;
      shown += rows.length;
      out.push(`Backend ${def.name}:`, table(rows), '');
    }
    if (shown === 0) out.push(`No flag matches "${filter}": "nclone help flags" lists them all.`, '');
    return out.join('\n');
  }
  out.push(wrap('Each flag can also be set with an environment variable: NCLONE_ and the name in capitals with _ for -, e.g. NCLONE_TRANSFERS=16.'), '');
  out.push('Backend options are flags too: see "nclone help backends".', '');
  return out.join('\n');
}

export function backendsHelp(): string {
  const defs = defaultRegistry().all();
  return [
    'Backends:',
    table(defs.map((d) => [d.name, d.description])),
    '',
    wrap('Each backend option is also a flag, --<backend>-<option> (e.g. --s3-upload-cutoff 10M), and an environment variable, NCLONE_<BACKEND>_<OPTION>. They apply to every path of that backend in the command.'),
    '',
    `Run "nclone help backend NAME" for the options of one (${defs.map((d) => d.name).join(', ')}).`,
    '',
  ].join('\n');
}

function optionRow(backend: string, o: OptionDef): [string, string] {
  const alias = o.flag ? `, ${o.flag.short ? `-${o.flag.short}, ` : ''}--${o.flag.name}` : '';
  const value = o.type === 'bool' ? '' : ' VALUE';
  const dflt = o.default !== '' && o.default !== false && !isSecret(o) ? ` (default ${o.default})` : '';
  const choices = o.choices?.length ? ` One of: ${o.choices.join(', ')}.` : '';
  return [`${flagName(backend, o.name)}${value}${alias}`, `${o.help.split('\n')[0]}${choices}${dflt}`];
}

export function backendHelp(name: string): string {
  const def = defaultRegistry().get(name);
  if (!def) throw fsError('usage', `unknown backend "${name}" for "nclone help backend": use one of ${defaultRegistry().all().map((d) => d.name).join(', ')}`);
  const basic = def.options.filter((o) => !o.advanced);
  const advanced = def.options.filter((o) => o.advanced);
  const out = [
    wrap(`Backend ${def.name}: ${def.description}`),
    '',
    wrap(`Each option below is a flag, an NCLONE_${def.name.toUpperCase()}_<OPTION> variable, and a key in the config file or a connection string (the name after "--${def.name}-", with _ for -).`),
    '',
  ];
  if (basic.length) out.push('Options:', table(basic.map((o) => optionRow(def.name, o))), '');
  if (advanced.length) out.push('Advanced options:', table(advanced.map((o) => optionRow(def.name, o))), '');
  if (def.metadata) {
    const rows = Object.entries(def.metadata).map(([k, m]) => [k, `${m.help} (${m.type}, e.g. ${m.example})${m.readOnly ? ', read only' : ''}`] as [string, string]);
    out.push('System metadata (-M, see docs/metadata.md):', table(rows), '');
  }
  return out.join('\n');
}

/** The help page a topic names; throws a usage error naming a topic that is none. */
export function helpTopic(topic: string[], commands: CommandDef[]): string {
  if (topic.length === 0 || (topic.length === 1 && topic[0] === 'help')) return mainHelp(commands);
  const [first, ...rest] = topic;
  if (first === 'flags' && rest.length <= 1) return flagsHelp(rest[0]);
  if (first === 'backends' && rest.length === 0) return backendsHelp();
  if (first === 'backend' && rest.length === 1) return backendHelp(rest[0]!);
  let defs = commands;
  const path: string[] = [];
  for (const word of topic) {
    const def = defs.find((d) => d.name === word);
    if (!def) {
      const what = path.length ? `"${word}" is not a subcommand of "nclone ${path.join(' ')}"` : `unknown help topic "${topic.join(' ')}"`;
      throw fsError('usage', `${what}: run "nclone help" for the commands and topics`);
    }
    if (path.length === topic.length - 1) return commandHelp(def, path);
    path.push(def.name);
    defs = def.subcommands ?? [];
  }
  return mainHelp(commands);
}
