import { readFileSync } from 'node:fs';
import type { CommandDef } from '../cli/command.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export const version: CommandDef = {
  name: 'version',
  args: [],
  summary: 'Show the version number.',
  description: 'Prints the version of nclone and of the Node.js runtime it runs on.',
  examples: [{ command: 'nclone version' }],
  noConfig: true,
  run: async (env) => {
    await env.out(`nclone v${packageVersion()}`);
    await env.out(`- os/arch: ${process.platform}/${process.arch}`);
    await env.out(`- node version: ${process.version}`);
  },
};
