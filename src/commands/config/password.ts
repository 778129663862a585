import type { CommandDef } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';
import { backendOf, checkOptions, editConfig, parseKeyValues, redactValues, requireRemote, sectionText } from '../../config/remotes.js';
import { obscurePairs } from '../../config/obscured.js';

export const configPassword: CommandDef = {
  name: 'password',
  args: ['name', 'options...?'],
  summary: 'Set password options of an existing remote, given in clear.',
  description:
    'Sets password options (such as sftp pass): `nclone config password NAME pass=PASSWORD ...`. Each value is given in clear and always stored obscured, as with `config update --obscure`, which does the same; rclone keeps this command for older scripts. Only password options can be set this way.',
  examples: [{ command: 'nclone config password mysftp pass=mypassword' }],
  noConfig: true,
  run: async (env, [name, ...rest]) => {
    const pairs = parseKeyValues(rest);
    if (pairs.length === 0) throw fsError('usage', 'nothing to set: give key=password pairs');
    const file = env.resolver.configFile;
    const values = await editConfig(file, env.passwords, ({ doc }) => {
      const current = requireRemote(doc, name!, file);
      const def = backendOf(env.resolver.registry, current.type ?? '');
      checkOptions(def, pairs);
      const notPassword = pairs.find(([k]) => !def.options.find((o) => o.name === k)?.obscured);
      if (notPassword) throw fsError('usage', `option ${notPassword[0]} is not a password option: use "nclone config update ${name} ${notPassword[0]}=VALUE"`);
      for (const [k, v] of obscurePairs(def, pairs, 'force')) {
        if (v === '') doc.deleteKey(name!, k);
        else doc.set(name!, k, v);
      }
      return requireRemote(doc, name!, file);
    });
    await env.out(sectionText(name!, redactValues(env.resolver.registry, values)));
  },
};
