import type { CommandDef } from '../cli/command.js';
import { allRemotes } from './config/show.js';

export const listremotes: CommandDef = {
  name: 'listremotes',
  args: [],
  summary: 'Print the names of the remotes in the config file and the environment.',
  description: 'Prints one remote per line as "name:"; with --long, its type too. Remotes defined only by NCLONE_CONFIG_<NAME>_TYPE are included.',
  flags: [{ spec: '--long', help: 'Show the type as well as names' }],
  examples: [{ command: 'nclone listremotes --long' }],
  noConfig: true,
  run: async (env) => {
    const remotes = await allRemotes(env);
    const width = Math.max(0, ...[...remotes.keys()].map((n) => n.length + 1));
    for (const [name, values] of [...remotes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await env.out(env.flags.long === true ? `${`${name}:`.padEnd(width)} ${values.type ?? ''}` : `${name}:`);
    }
  },
};
