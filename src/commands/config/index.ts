import type { CommandDef } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';
import { configCreate, configDelete, configUpdate } from './create.js';
import { configEncryption } from './encryption.js';
import { configPassword } from './password.js';
import { configDump, configFile, configProviders, configRedacted, configShow, configTouch } from './show.js';

export const config: CommandDef = {
  name: 'config',
  args: [],
  summary: 'Create and edit remotes: an interactive wizard, or subcommands for scripts.',
  description:
    'Without a subcommand, starts the interactive wizard (it needs a terminal). For scripts: config create, update, password, delete, show, redacted, dump, file, touch, providers and encryption.',
  examples: [
    { note: 'Add, change or delete remotes, asked step by step', command: 'nclone config' },
    { note: 'The same from a script', command: 'nclone config create mys3 s3 provider=Ceph endpoint=http://127.0.0.1:9000 env_auth=true' },
    { note: 'Where the config file is', command: 'nclone config file' },
  ],
  noConfig: true,
  subcommands: [configCreate, configUpdate, configPassword, configDelete, configShow, configRedacted, configDump, configFile, configTouch, configProviders, configEncryption],
  run: async (env) => {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw fsError('usage', 'nclone config is interactive and needs a terminal: in scripts use "nclone config create NAME TYPE key=value ..."');
    }
    const { runWizard } = await import('../../config/wizard/terminal.js');
    await runWizard(env);
  },
};
