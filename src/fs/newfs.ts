import * as path from 'node:path';
import type { Registry, NewFsResult, BackendDef } from './registry.js';
import { ConfigMap, type ConfigLayer } from './configmap.js';
import { fsError } from './errors.js';
import { envName } from './options.js';
import { parsePath } from './path.js';
import { logNotice } from '../lib/log.js';
import { DEFAULT_GLOBALS, type BackendGlobals } from './globals.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where named remotes are defined (the config file, NCLONE_CONFIG_<NAME>_* variables):
 * config/ implements it, so fs/ never reaches up into config/.
 */
export interface RemoteSource {
  /** Every remote name known, sorted. */
  names(): string[];
  /** How to fix an unknown name, e.g. "add a [name] section to FILE". */
  readonly where: string;
  /**
   * A named remote's settings: its type and the layers that set its options, the
   * strongest first (environment variables above the config file). undefined when unknown.
   */
  lookup(name: string): { type: string | undefined; layers: ConfigLayer[] } | undefined;
}

/** Everything needed to turn a command-line path into an Fs. */
export interface FsResolver {
  registry: Registry;
  remotes: RemoteSource;
  configFile: string;
  env: Env;
  /** Values of --<backend>-<option> flags, by backend name then option name. */
  backendFlags: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The global flags backends obey (retries, timeouts, TLS); defaults when not given. */
  globals?: BackendGlobals;
}

export async function newFs(input: string, r: FsResolver): Promise<NewFsResult> {
  const parsed = parsePath(input);
  if (parsed.kind === 'local') {
    return open(r, r.registry.get('local')!, 'local', path.resolve(parsed.path), []);
  }
  if (parsed.kind === 'url') {
    const def = r.registry.byScheme(parsed.scheme);
    if (!def) throw fsError('usage', `unknown URL scheme "${parsed.scheme}://" in "${redactUrl(input)}": use remote:path, or one of ${schemes(r)}`);
    const u = def.url!.parse(parsed.rest, parsed.scheme);
    checkParams(def, u.params);
    for (const w of u.warnings) warnOnce(w);
    return open(r, def, `:${def.name}`, u.root, [{ source: 'the URL', values: u.params }]);
  }
  if (parsed.kind === 'onTheFly') {
    const def = r.registry.get(parsed.backend);
    if (!def) throw fsError('usage', `unknown backend "${parsed.backend}" in "${input}": known backends are ${names(r)}`);
    checkParams(def, parsed.params);
    return open(r, def, `:${parsed.backend}`, parsed.path, [{ source: 'the connection string', values: parsed.params }]);
  }
  const found = r.remotes.lookup(parsed.name);
  if (found === undefined) {
    const known = r.remotes.names();
    throw fsError(
      'config',
      `remote "${parsed.name}" not found in ${r.remotes.where}: check the name, add a [${parsed.name}] section, or set NCLONE_CONFIG_${parsed.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TYPE` +
        (known.length ? ` (remotes: ${known.join(', ')})` : ''),
    );
  }
  const type = found.type;
  if (!type) throw fsError('config', `remote "${parsed.name}" has no type: set "type = ..." in its section of ${r.configFile}`);
  const def = r.registry.get(type);
  if (!def) throw fsError('config', `remote "${parsed.name}" has unknown type "${type}": known types are ${names(r)}`);
  checkParams(def, parsed.params);
  const [strongest, ...rest] = found.layers;
  const layers: ConfigLayer[] = [{ source: 'the connection string', values: parsed.params }, ...(strongest ? [strongest] : [])];
  return open(r, def, parsed.name, parsed.path, layers, rest);
}

async function open(
  r: FsResolver,
  def: BackendDef,
  name: string,
  root: string,
  top: ConfigLayer[],
  bottom: ConfigLayer[] = [],
): Promise<NewFsResult> {
  const backendEnv: Record<string, string> = {};
  for (const opt of def.options) {
    // NCLONE_LOCAL_LINKS, or the global alias's NCLONE_LINKS (--links) as rclone reads RCLONE_LINKS.
    const v = r.env[envName(def.name, opt.name)] ?? (opt.flag ? r.env[`NCLONE_${opt.flag.name.toUpperCase().replace(/-/g, '_')}`] : undefined);
    if (v !== undefined) backendEnv[opt.name] = v;
  }
  // Priority: connection string > flags > NCLONE_CONFIG_<REMOTE>_* > NCLONE_<BACKEND>_* > config file > defaults.
  const layers: ConfigLayer[] = [
    top[0] ?? { source: '', values: {} },
    { source: 'command-line flags', values: r.backendFlags[def.name] ?? {} },
    ...top.slice(1),
    { source: `NCLONE_${def.name.toUpperCase()}_* variables`, values: backendEnv },
  ];
  layers.push(...bottom);
  const mod = await def.load();
  return mod.newFs(name, root, new ConfigMap(def.options, layers), r.globals ?? DEFAULT_GLOBALS);
}

/** Unknown option names are refused; the path itself is not repeated, as it may hold keys. */
function checkParams(def: BackendDef, params: Record<string, string>): void {
  for (const key of Object.keys(params)) {
    if (key !== 'type' && !def.options.some((o) => o.name === key)) {
      const known = def.options.map((o) => o.name).join(', ');
      throw fsError('usage', `unknown option "${key}" for backend ${def.name}: valid options are ${known || '(none)'}`);
    }
  }
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  logNotice(undefined, message);
}

/** A URL with its query values hidden, for messages: they may hold keys. */
export function redactUrl(input: string): string {
  return input.replace(/\?.*$/s, (q) => (q.length > 1 ? '?...' : q));
}

function schemes(r: FsResolver): string {
  return r.registry
    .all()
    .flatMap((d) => d.url?.schemes ?? [])
    .map((s) => `${s}://`)
    .join(', ');
}

function names(r: FsResolver): string {
  return r.registry
    .all()
    .map((d) => d.name)
    .join(', ');
}
