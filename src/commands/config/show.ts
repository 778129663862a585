import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import type { CommandDef, CommandEnv } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';
import { envRemoteNames, remoteFromEnv } from '../../config/config.js';
import { redactValues, sectionText } from '../../config/remotes.js';
import { loadConfig } from '../../config/store.js';

/** Every remote, from the file and from NCLONE_CONFIG_<NAME>_* variables (which override the file). */
export async function allRemotes(env: CommandEnv): Promise<Map<string, Record<string, string>>> {
  const { doc } = await loadConfig(env.resolver.configFile, env.passwords);
  const remotes = new Map<string, Record<string, string>>();
  for (const name of doc.sections()) remotes.set(name, { ...doc.get(name)! });
  for (const name of new Set([...remotes.keys(), ...envRemoteNames(env.resolver.env)])) {
    const fromEnv = remoteFromEnv(name, env.resolver.env);
    if (Object.keys(fromEnv).length) remotes.set(name, { ...remotes.get(name), ...fromEnv });
  }
  return remotes;
}

async function show(env: CommandEnv, name: string | undefined, secrets: boolean): Promise<void> {
  const remotes = await allRemotes(env);
  if (name !== undefined && !remotes.has(name)) throw fsError('config', `remote "${name}" not found in config file ${env.resolver.configFile}`);
  for (const [n, values] of remotes) {
    if (name !== undefined && n !== name) continue;
    await env.out(sectionText(n, secrets ? values : redactValues(env.resolver.registry, values)));
  }
}

export const configShow: CommandDef = {
  name: 'show',
  args: ['name?'],
  summary: 'Print the config of one remote, or of all.',
  description:
    'Prints remotes in the config file format, including those defined by NCLONE_CONFIG_<NAME>_* variables. Unlike rclone, secret options (keys, passwords) are redacted unless --show-secrets is given, so the output can be pasted into a bug report.',
  flags: [{ spec: '--show-secrets', help: 'Print secret values in full' }],
  noConfig: true,
  run: (env, [name]) => show(env, name, env.flags.showSecrets === true),
};

export const configRedacted: CommandDef = {
  name: 'redacted',
  args: ['name?'],
  summary: 'Print the config with secrets redacted (as rclone config redacted).',
  description: 'The same as `config show` without --show-secrets.',
  noConfig: true,
  run: (env, [name]) => show(env, name, false),
};

export const configDump: CommandDef = {
  name: 'dump',
  args: [],
  summary: 'Dump the config as JSON.',
  description: 'Prints every remote as a JSON object keyed by remote name; secrets redacted unless --show-secrets.',
  flags: [{ spec: '--show-secrets', help: 'Print secret values in full' }],
  noConfig: true,
  run: async (env) => {
    const out: Record<string, Record<string, string>> = {};
    for (const [n, v] of await allRemotes(env)) out[n] = env.flags.showSecrets === true ? v : redactValues(env.resolver.registry, v);
    await env.out(JSON.stringify(out, null, 2));
  },
};

export const configFile: CommandDef = {
  name: 'file',
  args: [],
  summary: 'Show the path of the config file in use.',
  description: 'Prints where nclone reads and writes its config (--config, NCLONE_CONFIG or the default), whether or not the file exists.',
  noConfig: true,
  run: async (env) => {
    const exists = await fsp.access(env.resolver.configFile).then(
      () => true,
      () => false,
    );
    await env.out(exists ? 'Configuration file is stored at:' : "Configuration file doesn't exist, but nclone will use this path:");
    await env.out(path.resolve(env.resolver.configFile));
  },
};

export const configTouch: CommandDef = {
  name: 'touch',
  args: [],
  summary: 'Ensure the config file exists.',
  description: 'Creates an empty config file (mode 0600) if there is none; leaves an existing one alone.',
  noConfig: true,
  run: async (env) => {
    const file = env.resolver.configFile;
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const h = await fsp.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o600).catch((err) => {
      throw fsError('config', `can't create config file ${file}: ${(err as Error).message}`);
    });
    await h.close();
  },
};

export const configProviders: CommandDef = {
  name: 'providers',
  args: [],
  summary: 'List the backends and their options as JSON.',
  description: 'Prints every backend with its full option table (names, help, types, defaults, examples, provider filters) as JSON.',
  noConfig: true,
  run: async (env) => {
    const all = env.resolver.registry.all().map((d) => ({ name: d.name, description: d.description, options: d.options }));
    await env.out(JSON.stringify(all, null, 2));
  },
};
