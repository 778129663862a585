import * as path from 'node:path';
import type { CommandDef, CommandEnv } from '../cli/command.js';
import { errorMessage, fsError } from '../fs/errors.js';
import { parsePath } from '../fs/path.js';
import type { BackendCommandDef, BackendDef } from '../fs/registry.js';
import type { Fs, Obj } from '../fs/types.js';
import { BoundedPool } from '../lib/pool.js';
import { logError } from '../lib/log.js';
import { skipDestructiveAsk } from '../operations/context.js';
import { walk } from '../operations/walk.js';
import { aboutOf } from './about.js';

/** Commands every remote has, whatever its backend. */
const BUILT_IN = ['help', 'features'];

export const backend: CommandDef = {
  name: 'backend',
  args: ['command', 'remote:path', 'arguments...?'],
  summary: "Run a command of the path's backend (S3: restore, list-multipart-uploads, ...).",
  description: [
    'Runs one of the commands a backend has besides the common ones, such as restoring archived S3 objects. `nclone backend help TYPE` (or `help remote:`) lists a backend\'s commands with their options; docs/backends/<type>.md has them too.',
    'Two commands work on every remote: `help` and `features`, which prints as JSON what the remote is and what it can do (its hash types, time precision and optional capabilities).',
    'Options go to the command as -o name=value (or -o name for a flag), after the path; anything else after the path is passed as arguments. A command prints either lines of text or JSON (indented with tabs); --json asks for JSON whatever it is. Filters, --dry-run and --checkers apply to commands that act on each object (see each command\'s help).',
  ].join('\n\n'),
  flags: [
    { spec: '-o, --option <name=value...>', help: 'An option for the command, as name=value or name (repeat -o for more; put them after the path)' },
    { spec: '--json', help: 'Always print the result as JSON' },
  ],
  examples: [
    { note: "List the S3 backend's commands", command: 'nclone backend help s3' },
    { note: 'What a remote can do', command: 'nclone backend features s3remote:' },
    { note: 'Restore archived objects for a day', command: 'nclone backend restore s3remote:bucket/dir -o priority=Standard -o lifetime=1' },
    { note: 'Unfinished multipart uploads in a bucket', command: 'nclone backend list-multipart-uploads s3remote:bucket' },
  ],
  interactive: true,
  run: async (env, [name, target, ...args]) => {
    // `help s3` names the backend itself, as in rclone.
    const bare = name === 'help' ? env.resolver.registry.get(target!) : undefined;
    const def = bare ?? (await backendOf(env, target!));
    if (name === 'help') return printText(env, backendHelp(def));
    const opts = parseOptions(env.flags.option);
    if (name === 'features') {
      const { fs } = await env.fs(target!);
      return printJson(env, features(fs));
    }
    const command = findCommand(def, name!);
    checkOptions(command, opts);
    const { fs, file } = await env.fs(target!);
    if (!fs.command) throw fsError('usage', `the ${def.name} backend has no commands of its own (${fs})`);
    const out = await fs.command(name!, args, opts, {
      signal: env.ctx.signal,
      file,
      report: (subject, err) => {
        logError(subject, errorMessage(err));
        env.ctx.stats.countError(err);
      },
      forEachObject: (visit) => forEachObject(env, fs, file, visit),
      skip: (subject, action) => skipDestructiveAsk(env.ctx, subject, action),
    });
    if (env.flags.json === true || !(out === undefined || typeof out === 'string' || isStringList(out))) await printJson(env, out ?? null);
    else if (typeof out === 'string') await env.out(out);
    else for (const line of (out as string[] | undefined) ?? []) await env.out(line);
    // What was done before q at an -i question (or Ctrl-C) is printed above; the run still failed.
    if (env.ctx.signal?.aborted) throw env.ctx.signal.reason;
  },
};

/** Lines to print; an empty list is printed as JSON ([]), since it may be an empty list of anything. */
function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
}

async function printText(env: CommandEnv, text: string): Promise<void> {
  for (const line of text.replace(/\n$/, '').split('\n')) await env.out(line);
}

/** JSON as rclone prints it: indented with tabs. */
function printJson(env: CommandEnv, value: unknown): Promise<void> {
  return printText(env, JSON.stringify(value, null, '\t'));
}

/** The backend a command-line path uses, found without opening it (nor asking a server anything). */
async function backendOf(env: CommandEnv, target: string): Promise<BackendDef> {
  const registry = env.resolver.registry;
  const parsed = parsePath(target);
  if (parsed.kind === 'local') return registry.get('local')!;
  if (parsed.kind === 'url') {
    const def = registry.byScheme(parsed.scheme);
    if (!def) throw fsError('usage', `unknown URL scheme "${parsed.scheme}://": use remote:path`);
    return def;
  }
  if (parsed.kind === 'onTheFly') {
    const def = registry.get(parsed.backend);
    if (!def) throw fsError('usage', `unknown backend "${parsed.backend}": known backends are ${registry.all().map((d) => d.name).join(', ')}`);
    return def;
  }
  const type = env.resolver.remotes.lookup(parsed.name)?.type;
  const def = type === undefined ? undefined : registry.get(type);
  if (def) return def;
  // An unknown remote or type: opening it says what is wrong, in the usual words.
  await env.fs(target);
  throw fsError('config', `remote "${parsed.name}" has no known type: see nclone listremotes --long`);
}

function findCommand(def: BackendDef, name: string): BackendCommandDef {
  const found = def.commands?.find((c) => c.name === name);
  if (found) return found;
  const known = [...(def.commands ?? []).map((c) => c.name), ...BUILT_IN];
  throw fsError('usage', `the ${def.name} backend has no command "${name}": use one of ${known.join(', ')} (nclone backend help ${def.name} explains them)`);
}

/** -o values as name -> value; a bare name is a flag with the value "true", as in rclone. */
function parseOptions(raw: unknown): Record<string, string> {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    if (key === '') throw fsError('usage', `bad -o "${item}": give name=value or a name`);
    out[key] = eq < 0 ? 'true' : item.slice(eq + 1);
  }
  return out;
}

function checkOptions(command: BackendCommandDef, opts: Record<string, string>): void {
  const allowed = Object.keys(command.opts ?? {});
  for (const key of Object.keys(opts)) {
    if (allowed.includes(key)) continue;
    // A path after a -o is taken as one more of its values (-o takes several): say where it goes.
    const hint = parsePath(key).kind !== 'local' ? ' (put -o options after the path)' : '';
    throw fsError('usage', `backend ${command.name}: unknown option "${key}"${hint}: ${allowed.length ? `it takes ${allowed.join(', ')}` : 'it takes no -o options'}`);
  }
}

/**
 * Every object below the Fs root (or the one the path named) that the filters let through,
 * --checkers at a time; a failure of one object is logged and counted, and the rest go on.
 * A stopped run (q at an -i question, Ctrl-C) ends the walk quietly: the caller says it failed.
 */
export async function forEachObject(env: CommandEnv, fs: Fs, file: string | undefined, visit: (obj: Obj) => Promise<void>): Promise<void> {
  const ctx = env.ctx;
  const pool = new BoundedPool(Math.max(1, ctx.opt.checkers), (err) => {
    logError(undefined, errorMessage(err));
    ctx.stats.countError(err);
  });
  const submit = (obj: Obj) =>
    pool.submit(async () => {
      // Queued before the run was stopped: not to be started now.
      if (ctx.signal?.aborted) return;
      try {
        await visit(obj);
      } catch (err) {
        logError(obj.remote, errorMessage(err));
        ctx.stats.countError(err);
      }
    });
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: ctx.signal });
    const modTime = ctx.filter.usesModTime ? await obj.modTime({ signal: ctx.signal }) : undefined;
    if (ctx.filter.includeObject(obj.remote, obj.size, modTime)) await submit(obj);
  } else {
    await walk(ctx, fs, { maxDepth: ctx.opt.maxDepth }, async (_dir, entries) => {
      for (const e of entries) {
        if (ctx.signal?.aborted) return;
        if (e.kind === 'object') await submit(e);
      }
    });
  }
  await pool.drain();
}

/** What `backend help TYPE` prints: the backend's commands, Markdown like rclone's. */
export function backendHelp(def: BackendDef): string {
  const commands = def.commands ?? [];
  if (commands.length === 0) return `The ${def.name} backend has no commands of its own. "nclone backend features ${def.name === 'local' ? path.sep : 'remote:'}" works on every remote.\n`;
  const out = [`## Backend commands`, '', `The ${def.name} backend has these commands of its own. Run them with`, '', '    nclone backend COMMAND remote:path [-o name=value]...', ''];
  for (const c of commands) {
    out.push(`### ${c.name}`, '', c.summary, '', `    nclone backend ${c.name} remote:path${c.opts ? ' [-o name=value]...' : ''}`, '', c.description, '');
    const opts = Object.entries(c.opts ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (opts.length) out.push('Options:', '', ...opts.map(([k, v]) => `- "${k}": ${v}`), '');
    if (c.examples?.length) out.push('Examples:', '', ...c.examples.map((e) => `    ${e}`), '');
  }
  return out.join('\n');
}

/** What `backend features` prints: rclone's fsinfo, as far as nclone's Fs can tell. */
function features(fs: Fs): unknown {
  const f = fs.features;
  const flags: Record<string, boolean> = {
    About: aboutOf(fs) !== undefined,
    BucketBased: f.bucketBased,
    CanHaveEmptyDirectories: f.canHaveEmptyDirectories,
    CleanUp: fs.cleanup !== undefined,
    Command: fs.command !== undefined,
    Copy: fs.copy !== undefined,
    IsLocal: f.isLocal,
    ListR: fs.listR !== undefined,
    Move: fs.move !== undefined,
    OpenWriterAt: fs.openWriterAt !== undefined,
    PublicLink: fs.publicLink !== undefined,
    Purge: fs.purge !== undefined,
    PutStream: fs.putStream !== undefined,
    SetTier: fs.setTier !== undefined,
    SlowHash: f.slowHash === true,
    SlowModTime: f.slowModTime,
  };
  return { Name: fs.name, Root: fs.root, String: fs.toString(), Precision: Number(fs.precision), Hashes: [...fs.hashes], Features: flags };
}
