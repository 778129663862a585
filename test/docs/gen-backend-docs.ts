/**
 * Writes the generated parts of docs/backends/<name>.md for every backend in the
 * registry: the options reference (between <!-- options:start --> and <!-- options:end -->)
 * from the backend's option table, and for s3 also the provider table (between
 * <!-- providers:start --> and <!-- providers:end -->) from PROVIDERS. Only the text
 * between the markers is replaced; the prose around it is left alone.
 *
 *   npx tsc -p . && node dist/test/docs/gen-backend-docs.js           # rewrite
 *   npx tsc -p . && node dist/test/docs/gen-backend-docs.js --check   # exit 1 if stale
 *
 * test/docs.test.ts compares each page with what sectionsFor() renders, so the docs
 * cannot drift from the tables.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistry } from '../../backends/index.js';
import type { BackendDef } from '../../src/fs/registry.js';
import { PROVIDERS } from '../../backends/s3/providers.js';
import { flagEnvName } from '../../src/cli/flags.js';
import { envName, flagName, parseOptionValue, type OptionDef, type OptionExample, type OptionType } from '../../src/fs/options.js';

/** Marker comments around a generated section of a page. */
export function markers(section: string): { start: string; end: string } {
  return { start: `<!-- ${section}:start -->`, end: `<!-- ${section}:end -->` };
}

export const START = markers('options').start;
export const END = markers('options').end;
export const GENERATE_COMMAND = 'npx tsc -p . && node dist/test/docs/gen-backend-docs.js';

/** The checkout's top directory: the first parent holding package.json (works from test/ and dist/test/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function backendDocPath(backend: string, root = repoRoot()): string {
  return path.join(root, 'docs', 'backends', `${backend}.md`);
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** A value as inline code; the empty string is shown as "" so it stays visible. */
function literal(value: string | number | boolean): string {
  const s = String(value);
  if (s === '') return '`""`';
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

const PLACEHOLDER: Record<OptionType, string> = {
  string: 'VALUE',
  enum: 'VALUE',
  int: 'N',
  size: 'SIZE',
  duration: 'DURATION',
  bool: '',
};

/** "all", "AWS, Ceph" or "all except AWS, GCS" for an OptionDef.provider filter. */
export function describeProviders(filter: string | undefined): string {
  if (!filter) return 'all';
  const negate = filter.startsWith('!');
  const names = (negate ? filter.slice(1) : filter)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return negate ? `all except ${names.join(', ')}` : names.join(', ');
}

/** What a size without a suffix means to the option parser, asked of the parser itself. */
function bareSizeUnit(): string {
  const n = parseOptionValue({ name: 'probe', help: '', type: 'size', default: '' }, '1');
  return n === 1 ? 'bytes' : n === 1024 ? 'KiB' : `${String(n)} bytes`;
}

function typeLine(o: OptionDef): string {
  switch (o.type) {
    case 'bool':
      return 'boolean';
    case 'int':
      return 'integer';
    case 'size':
      return `size: a number with an optional suffix \`b\`, \`K\`, \`M\`, \`G\`, \`T\`, \`P\` (powers of 1024, \`Mi\` and \`MiB\` also accepted); a bare number is ${bareSizeUnit()}`;
    case 'duration':
      return 'duration';
    case 'enum':
      return `one of ${(o.choices ?? []).map(literal).join(', ')}`;
    case 'string':
      return 'string';
  }
}

function flagLine(backend: string, o: OptionDef): string {
  const arg = PLACEHOLDER[o.type];
  const main = `\`${flagName(backend, o.name)}${arg ? ` ${arg}` : ''}\``;
  if (!o.flag) return main;
  const aliases = [o.flag.short ? `\`-${o.flag.short}\`` : '', `\`--${o.flag.name}${arg ? ` ${arg}` : ''}\``].filter((a) => a !== '');
  return `${main}, also ${aliases.join(', ')}`;
}

function examplesTable(examples: OptionExample[], withProviders: boolean): string[] {
  const lines = withProviders ? ['| value | meaning | providers |', '| --- | --- | --- |'] : ['| value | meaning |', '| --- | --- |'];
  for (const e of examples) {
    const row = [literal(e.value), cell(e.help)];
    if (withProviders) row.push(cell(describeProviders(e.provider)));
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines;
}

/** One option: heading, help, how to set it, and its examples. */
export function renderOption(backend: string, o: OptionDef, showProviders: boolean): string {
  const lines = [`#### \`${o.name}\``, '', o.help.trim(), ''];
  lines.push(`- Flag: ${flagLine(backend, o)}`);
  lines.push(`- Variable: \`${envName(backend, o.name)}\`${o.flag ? `, also \`${flagEnvName(o.flag.name)}\` (the first wins if both are set)` : ''}`);
  lines.push(`- Type: ${typeLine(o)}`);
  lines.push(`- Default: ${literal(o.default)}`);
  lines.push(`- Advanced: ${o.advanced ? 'yes' : 'no'}`);
  lines.push(`- Secret: ${o.secret ? 'yes' : 'no'}`);
  if (o.required) lines.push('- Required: yes');
  if (showProviders || o.provider) lines.push(`- Providers: ${describeProviders(o.provider)}`);
  if (o.examples?.length) {
    lines.push('', 'Examples:', '', ...examplesTable(o.examples, o.examples.some((e) => e.provider !== undefined)));
  }
  return lines.join('\n');
}

/** The text that belongs between START and END for one backend (starts and ends with a newline). */
export function renderSection(def: BackendDef): string {
  const showProviders = def.options.some((o) => o.name === 'provider');
  const lead = [
    `<!-- Generated from the option table of the ${def.name} backend by test/docs/gen-backend-docs.ts. Do not edit by hand: change the table, then run ${GENERATE_COMMAND} -->`,
    '',
    `Every option below can be written as \`name = value\` in a remote's section of the config file,`,
    `in a connection string (\`remote,name=value:path\` or \`:${def.name},name=value:path\`), as \`NCLONE_CONFIG_<REMOTE>_<NAME>\`,`,
    `as the flag \`--${def.name}-<name>\` (underscores written as dashes) or as the variable \`NCLONE_${def.name.toUpperCase()}_<NAME>\`.`,
    'Boolean flags take no value and can only switch an option on.',
  ];
  const parts = [lead.join('\n')];
  const groups: [string, OptionDef[]][] = [
    ['Standard options', def.options.filter((o) => !o.advanced)],
    ['Advanced options', def.options.filter((o) => o.advanced)],
  ];
  for (const [title, opts] of groups) {
    if (opts.length === 0) continue;
    parts.push(`### ${title}`);
    for (const o of opts) parts.push(renderOption(def.name, o, showProviders));
  }
  return `\n${parts.join('\n\n')}\n`;
}

/** The text between a section's markers, or undefined unless the page has exactly one ordered pair of them. */
export function extractSection(doc: string, section = 'options'): string | undefined {
  const { start, end } = markers(section);
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a || doc.indexOf(start, a + 1) >= 0 || doc.indexOf(end, b + 1) >= 0) return undefined;
  return doc.slice(a + start.length, b);
}

/** The page with the text between a section's markers replaced by text. */
export function replaceSection(doc: string, text: string, where: string, section = 'options'): string {
  const { start, end } = markers(section);
  if (extractSection(doc, section) === undefined) {
    throw new Error(`${where}: needs exactly one "${start}" followed by one "${end}" where the generated ${section} text goes`);
  }
  return doc.slice(0, doc.indexOf(start) + start.length) + text + doc.slice(doc.indexOf(end));
}

/**
 * How each provider quirk is shown; a quirk missing here is still shown, under its own name.
 * multipartEtag is left out while the backend does not read it (nothing depends on it yet).
 */
const HIDDEN_QUIRKS = new Set(['description', 'multipartEtag']);
const QUIRK_COLUMNS: Record<string, { label: string; show(v: unknown): string }> = {
  virtualHostStyle: { label: 'addressing unless `force_path_style` is set', show: (v) => (v ? 'virtual host (`bucket.host`)' : 'path (`host/bucket`)') },
  listObjectsV2: { label: 'listing with `list_version = 0`', show: (v) => (v ? 'v2' : 'v1') },
  urlEncodeListings: { label: 'URL-encoded listings', show: (v) => (v ? 'yes' : 'no') },
  sdkChecksums: { label: 'SDK CRC checksums', show: (v) => (v ? 'yes' : 'no') },
  defaultRegion: { label: 'region when unset', show: (v) => literal(String(v)) },
};

/** The S3 provider table, from PROVIDERS: one row per provider, one column per quirk. */
export function renderProviders(): string {
  const names = Object.keys(PROVIDERS);
  const keys = [...new Set(names.flatMap((n) => Object.keys(PROVIDERS[n]!)))].filter((k) => !HIDDEN_QUIRKS.has(k));
  const column = (k: string) => QUIRK_COLUMNS[k] ?? { label: `\`${k}\``, show: (v: unknown) => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : literal(String(v))) };
  const lines = [
    `<!-- Generated from PROVIDERS in backends/s3/providers.ts by test/docs/gen-backend-docs.ts. Do not edit by hand: change the table, then run ${GENERATE_COMMAND} -->`,
    '',
    `| \`provider\` | ${keys.map((k) => column(k).label).join(' | ')} |`,
    `| --- | ${keys.map(() => '---').join(' | ')} |`,
  ];
  for (const n of names) {
    const q = PROVIDERS[n] as unknown as Record<string, unknown>;
    lines.push(`| \`${n}\` (${cell(String(q.description))}) | ${keys.map((k) => cell(column(k).show(q[k]))).join(' | ')} |`);
  }
  return `\n${lines.join('\n')}\n`;
}

/** The system metadata table of a backend, from BackendDef.metadata. */
export function renderMetadata(name: string, meta: NonNullable<BackendDef['metadata']>): string {
  const lines = [
    `<!-- Generated from the metadata table of the ${name} backend by test/docs/gen-backend-docs.ts. Do not edit by hand: change the table, then run ${GENERATE_COMMAND} -->`,
    '',
    '| Key | Meaning | Type | Example | Read only |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [k, m] of Object.entries(meta)) lines.push(`| \`${k}\` | ${cell(m.help)} | ${cell(m.type)} | ${literal(m.example)} | ${m.readOnly ? 'yes' : 'no'} |`);
  return `\n${lines.join('\n')}\n`;
}

/** Every generated section of a backend's page: options always, plus any backend-specific tables. */
export function sectionsFor(def: BackendDef): { section: string; render(): string }[] {
  const out = [{ section: 'options', render: () => renderSection(def) }];
  if (def.name === 's3') out.push({ section: 'providers', render: renderProviders });
  const meta = def.metadata;
  if (meta) out.push({ section: 'metadata', render: () => renderMetadata(def.name, meta) });
  return out;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const root = repoRoot();
  let stale = 0;
  for (const def of defaultRegistry().all()) {
    const file = backendDocPath(def.name, root);
    const shown = path.relative(root, file);
    if (!existsSync(file)) {
      console.error(`${shown}: missing; create it with the markers ${START} and ${END} in it`);
      stale++;
      continue;
    }
    const doc = readFileSync(file, 'utf8');
    let next = doc;
    for (const { section, render } of sectionsFor(def)) next = replaceSection(next, render(), shown, section);
    if (next === doc) {
      console.log(`${shown}: up to date`);
    } else if (check) {
      console.error(`${shown}: generated sections are out of date`);
      stale++;
    } else {
      writeFileSync(file, next);
      console.log(`${shown}: generated sections rewritten`);
    }
  }
  if (stale && check) console.error(`run: ${GENERATE_COMMAND}`);
  return stale ? 1 : 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
