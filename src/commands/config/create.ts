import type { CommandDef } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';
import { backendOf, checkOptions, checkRemoteName, editConfig, parseKeyValues, redactValues, requireRemote, sectionText } from '../../config/remotes.js';
import { OBSCURE_FLAGS, obscureModeOf, obscurePairs } from '../../config/obscured.js';
import { unknownValueWarnings } from '../../config/typos.js';
import { logNotice } from '../../lib/log.js';

const OBSCURE_HELP =
  'Password options (such as sftp pass) are stored obscured, as rclone stores them: a value is obscured unless it already looks obscured (base64url of 22 characters or more). A long password made only of letters, digits, "-" and "_" can look obscured: --obscure obscures every value given, --no-obscure stores values already obscured (by "nclone obscure") as they are.';

export const configCreate: CommandDef = {
  name: 'create',
  args: ['name', 'type', 'options...?'],
  summary: 'Create a new remote with name, type and options.',
  description:
    'Creates a remote without asking anything: `nclone config create NAME TYPE key=value ...` (rclone\'s `key value` pairs work too). Keys and values are checked against the backend\'s options; the remote must not exist yet. Prints the new section, secrets redacted.\n\n' +
    OBSCURE_HELP,
  flags: [{ spec: '--non-interactive', help: 'Never ask questions (always true: create never prompts)' }, ...OBSCURE_FLAGS],
  noConfig: true,
  run: async (env, [name, type, ...rest]) => {
    const mode = obscureModeOf(env.flags);
    checkRemoteName(name!);
    const def = backendOf(env.resolver.registry, type!);
    const given = parseKeyValues(rest);
    checkOptions(def, given);
    const pairs = obscurePairs(def, given, mode);
    const file = env.resolver.configFile;
    const values = await editConfig(file, env.passwords, ({ doc }) => {
      if (doc.has(name!)) throw fsError('usage', `remote "${name}" already exists in ${file}: use "nclone config update ${name} key=value" or pick another name`);
      doc.set(name!, 'type', def.name);
      for (const [k, v] of pairs) doc.set(name!, k, v);
      return requireRemote(doc, name!, file);
    });
    for (const w of unknownValueWarnings(def, pairs, values)) logNotice(name, w);
    await env.out(sectionText(name!, redactValues(env.resolver.registry, values)));
  },
};

export const configUpdate: CommandDef = {
  name: 'update',
  args: ['name', 'options...?'],
  summary: 'Update options of an existing remote.',
  description:
    'Sets options of a remote: `nclone config update NAME key=value ...`. An empty value (`key=`) removes the option so its default applies. Other lines, comments and remotes in the file are kept as they are.\n\n' +
    OBSCURE_HELP,
  flags: OBSCURE_FLAGS,
  noConfig: true,
  run: async (env, [name, ...rest]) => {
    const mode = obscureModeOf(env.flags);
    const pairs = parseKeyValues(rest);
    if (pairs.length === 0) throw fsError('usage', 'nothing to update: give key=value pairs');
    const file = env.resolver.configFile;
    let warnings: string[] = [];
    const values = await editConfig(file, env.passwords, ({ doc }) => {
      const current = requireRemote(doc, name!, file);
      // Checked before the options: "type" is not an option, and the reason is more useful.
      if (pairs.some(([k, v]) => k === 'type' && v !== current.type)) throw fsError('usage', `the type of a remote can't be changed: delete "${name}" and create it again`);
      const def = backendOf(env.resolver.registry, current.type ?? '');
      const given = pairs.filter(([k]) => k !== 'type');
      checkOptions(def, given);
      const options = obscurePairs(def, given, mode);
      for (const [k, v] of options) {
        if (v === '') doc.deleteKey(name!, k);
        else doc.set(name!, k, v);
      }
      const updated = requireRemote(doc, name!, file);
      warnings = unknownValueWarnings(def, options, updated);
      return updated;
    });
    for (const w of warnings) logNotice(name, w);
    await env.out(sectionText(name!, redactValues(env.resolver.registry, values)));
  },
};

export const configDelete: CommandDef = {
  name: 'delete',
  args: ['name'],
  summary: 'Delete an existing remote.',
  description: 'Removes the remote\'s section from the config file; everything else in the file is kept.',
  noConfig: true,
  run: async (env, [name]) => {
    const file = env.resolver.configFile;
    await editConfig(file, env.passwords, ({ doc }) => {
      requireRemote(doc, name!, file);
      doc.deleteSection(name!);
    });
  },
};
