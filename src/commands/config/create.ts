import type { CommandDef } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';
import { backendOf, checkOptions, checkRemoteName, editConfig, parseKeyValues, redactValues, requireRemote, sectionText } from '../../config/remotes.js';
import { unknownValueWarnings } from '../../config/typos.js';
import { logNotice } from '../../lib/log.js';

export const configCreate: CommandDef = {
  name: 'create',
  args: ['name', 'type', 'options...?'],
  summary: 'Create a new remote with name, type and options.',
  description:
    'Creates a remote without asking anything: `nclone config create NAME TYPE key=value ...` (rclone\'s `key value` pairs work too). Keys and values are checked against the backend\'s options; the remote must not exist yet. Prints the new section, secrets redacted.',
  flags: [{ spec: '--non-interactive', help: 'Never ask questions (always true: create never prompts)' }],
  noConfig: true,
  run: async (env, [name, type, ...rest]) => {
    checkRemoteName(name!);
    const def = backendOf(env.resolver.registry, type!);
    const pairs = parseKeyValues(rest);
    checkOptions(def, pairs);
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
    'Sets options of a remote: `nclone config update NAME key=value ...`. An empty value (`key=`) removes the option so its default applies. Other lines, comments and remotes in the file are kept as they are.',
  noConfig: true,
  run: async (env, [name, ...rest]) => {
    const pairs = parseKeyValues(rest);
    if (pairs.length === 0) throw fsError('usage', 'nothing to update: give key=value pairs');
    const file = env.resolver.configFile;
    let warnings: string[] = [];
    const values = await editConfig(file, env.passwords, ({ doc }) => {
      const current = requireRemote(doc, name!, file);
      // Checked before the options: "type" is not an option, and the reason is more useful.
      if (pairs.some(([k, v]) => k === 'type' && v !== current.type)) throw fsError('usage', `the type of a remote can't be changed: delete "${name}" and create it again`);
      const options = pairs.filter(([k]) => k !== 'type');
      const def = backendOf(env.resolver.registry, current.type ?? '');
      checkOptions(def, options);
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
