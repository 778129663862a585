import type { CommandDef } from '../cli/command.js';
import { packageVersion } from '../cli/package-version.js';

export const version: CommandDef = {
  name: 'version',
  args: [],
  summary: 'Print the version of nclone and of Node.js.',
  description: 'Prints the version of nclone and of the Node.js runtime it runs on.',
  examples: [{ command: 'nclone version' }],
  noConfig: true,
  run: async (env) => {
    await env.out(`nclone v${packageVersion()}`);
    await env.out(`- os/arch: ${process.platform}/${process.arch}`);
    await env.out(`- node version: ${process.version}`);
  },
};
