/**
 * Writes the parts of the command docs that come from the command definitions, so that
 * `nclone help COMMAND` and the docs cannot disagree:
 * - in docs/commands/<name>.md, the text between <!-- command:start --> and
 *   <!-- command:end -->: synopsis, subcommands, flags and examples of the CommandDef;
 *   the prose around it is the page's own (a page without the markers gets them after
 *   its first paragraph);
 * - man/nclone.1, the manual page shipped with the package (package.json "man"), whole.
 *
 *   npx tsc -p . && node dist/test/docs/gen-command-docs.js           # rewrite
 *   npx tsc -p . && node dist/test/docs/gen-command-docs.js --check   # exit 1 if stale
 *
 * test/docs.test.ts compares each page and the man page with what is rendered here.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandDef } from '../../src/cli/command.js';
import { loadAllCommands } from '../../src/cli/command-list.js';
import { GLOBAL_FLAGS, type FlagDef } from '../../src/cli/flags.js';
import { extractSection, markers, replaceSection, repoRoot } from './gen-backend-docs.js';

export const SECTION = 'command';
export const GENERATE_COMMANDS = 'npx tsc -p . && node dist/test/docs/gen-command-docs.js';

export function commandDocPath(name: string, root = repoRoot()): string {
  return path.join(root, 'docs', 'commands', `${name}.md`);
}

export function manPath(root = repoRoot()): string {
  return path.join(root, 'man', 'nclone.1');
}

/** "[source:path]" for optional arguments, as `nclone help` shows them. */
function argText(args: string[]): string {
  return args.map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a)).join(' ');
}

function usageLine(def: CommandDef, parents: string[]): string {
  const subs = def.subcommands?.length ? ' [COMMAND]' : '';
  return `nclone ${[...parents, def.name].join(' ')} [flags]${subs}${def.args.length ? ' ' + argText(def.args) : ''}`;
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** The generated block of one command's page (with its subcommands, one level down). */
export function renderCommandSection(def: CommandDef, parents: string[] = []): string {
  const out: string[] = [
    `<!-- Generated from the definition in src/commands/ by test/docs/gen-command-docs.ts. Do not edit by hand: change the definition, then run ${GENERATE_COMMANDS} -->`,
    '',
    '## Synopsis',
    '',
    '```',
    usageLine(def, parents),
    '```',
    '',
    def.summary,
  ];
  if (def.subcommands?.length) {
    out.push('', '## Subcommands', '', '| command | what it does |', '| --- | --- |');
    for (const s of def.subcommands) out.push(`| \`${usageLine(s, [...parents, def.name])}\` | ${cell(s.summary)} |`);
  }
  if (def.flags?.length) {
    out.push('', '## Flags', '', '| flag | meaning |', '| --- | --- |');
    for (const f of def.flags) out.push(`| \`${cell(f.spec)}\` | ${cell(f.help)} |`);
  }
  out.push('', `Global flags (\`-v\`, \`-n\`, filters, ...) apply too: see [../flags.md](../flags.md).`);
  if (def.examples?.length) {
    out.push('', '## Examples', '', '```sh');
    for (const e of def.examples) out.push(...(e.note ? [`# ${e.note}`] : []), e.command);
    out.push('```');
  }
  return `\n${out.join('\n')}\n`;
}

/** The page with its generated block rewritten, or given one after the first paragraph. */
export function updatePage(doc: string, def: CommandDef, where: string): string {
  const text = renderCommandSection(def);
  if (extractSection(doc, SECTION) !== undefined) return replaceSection(doc, text, where, SECTION);
  const { start, end } = markers(SECTION);
  // After the title and the paragraph that follows it.
  const title = doc.indexOf('\n');
  const para = doc.indexOf('\n\n', doc.slice(title + 1).search(/\S/) + title + 1);
  const at = para < 0 ? doc.length : para + 1;
  return `${doc.slice(0, at)}\n${start}${text}${end}\n${doc.slice(at)}`;
}

// --- the manual page (roff, man(7) macros) ---

/** Text safe in roff: backslashes escaped, no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function paragraphs(text: string): string[] {
  return text.split('\n\n').map((p) => roff(p.replace(/\s*\n\s*/g, ' ').trim()));
}

function globalFlagSpec(f: FlagDef): string {
  const value = f.type === 'bool' || f.type === 'count' ? '' : ` ${f.arg ?? 'VALUE'}`;
  return `${f.short ? `-${f.short}, ` : ''}--${f.name}${value}`;
}

function manCommand(def: CommandDef, parents: string[], out: string[]): void {
  out.push('.SS ' + roff(usageLine(def, parents)), ...paragraphs(def.summary));
  for (const p of paragraphs(def.description)) out.push('.PP', p);
  for (const f of def.flags ?? []) out.push('.TP', `.B ${roff(f.spec)}`, roff(f.help));
  if (def.examples?.length) {
    out.push('.PP', 'Examples:', '.RS', '.nf');
    for (const e of def.examples) out.push(...(e.note ? [roff(`# ${e.note}`)] : []), roff(e.command));
    out.push('.fi', '.RE');
  }
  for (const s of def.subcommands ?? []) manCommand(s, [...parents, def.name], out);
}

/** The rows of the table in docs/exit-codes.md, the one place the codes are described. */
export function exitCodeRows(root = repoRoot()): [string, string][] {
  const rows: [string, string][] = [];
  for (const line of readFileSync(path.join(root, 'docs', 'exit-codes.md'), 'utf8').split('\n')) {
    const m = /^\| (\d+) \| ([^|]+) \|/.exec(line);
    if (m) rows.push([m[1]!, m[2]!.trim()]);
  }
  return rows;
}

export function renderMan(commands: CommandDef[], root = repoRoot()): string {
  // Read here rather than through src/cli/package-version.ts, whose path assumes dist/.
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const out = [
    `.\\" Generated from the command definitions by test/docs/gen-command-docs.ts. Do not edit by hand: run ${GENERATE_COMMANDS}`,
    `.TH NCLONE 1 "" "nclone ${version}" "User Commands"`,
    '.SH NAME',
    'nclone \\- sync files and directories to and from local disk and S3\\-compatible storage',
    '.SH SYNOPSIS',
    '.B nclone',
    '[\\fIflags\\fR] \\fICOMMAND\\fR [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    roff("nclone copies and synchronises directory trees with rclone's commands, flags, path syntax, config file format and exit codes."),
    'Paths are local paths, \\fIremote\\fR:\\fIpath\\fR for a remote in the config file, :\\fIbackend\\fR,\\fIopt\\fR=\\fIvalue\\fR:\\fIpath\\fR, or s3://\\fIbucket\\fR/\\fIpath\\fR.',
    '.SH COMMANDS',
  ];
  for (const def of commands) manCommand(def, [], out);
  out.push('.SH GLOBAL FLAGS', roff('Each flag can also be set with an environment variable: NCLONE_ and the flag name in capitals with _ for -.'));
  for (const f of GLOBAL_FLAGS) {
    const dflt = f.default !== undefined && f.default !== '' && !f.help.includes('(default') ? ` (default ${f.default})` : '';
    out.push('.TP', `.B ${roff(globalFlagSpec(f))}`, roff(f.help + dflt));
  }
  out.push(
    '.SH EXIT STATUS',
    ...exitCodeRows(root).flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning.replace(/`/g, ''))]),
    '.PP',
    roff('docs/exit-codes.md says when each happens.'),
    '.SH FILES',
    '.TP',
    '.I ~/.config/nclone/nclone.conf',
    roff('The config file (rclone.conf format), or $NCLONE_CONFIG, or --config.'),
    '.SH SEE ALSO',
    'rclone(1), and the pages under docs/ in the package.',
    '',
  );
  return out.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const root = repoRoot();
  const commands = await loadAllCommands();
  let stale = 0;
  const write = (file: string, next: string, before: string | undefined) => {
    const shown = path.relative(root, file);
    if (next === before) return console.log(`${shown}: up to date`);
    if (check) {
      console.error(`${shown}: ${before === undefined ? 'missing' : 'generated text is out of date'}`);
      stale++;
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, next);
    console.log(`${shown}: written`);
  };
  for (const def of commands) {
    const file = commandDocPath(def.name, root);
    if (!existsSync(file)) {
      console.error(`${path.relative(root, file)}: missing; write its page (a title and a first paragraph), then run this again`);
      stale++;
      continue;
    }
    const doc = readFileSync(file, 'utf8');
    write(file, updatePage(doc, def, path.relative(root, file)), doc);
  }
  const man = manPath(root);
  write(man, renderMan(commands, root), existsSync(man) ? readFileSync(man, 'utf8') : undefined);
  if (stale && check) console.error(`run: ${GENERATE_COMMANDS}`);
  return stale ? 1 : 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
