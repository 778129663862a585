import type { CommandDef, CommandEnv } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';
import { configPassword, loadConfig, saveConfig, withConfigLock } from '../../config/store.js';

/** The new password: NCLONE_CONFIG_NEW_PASS, --password-command, or asked twice on a terminal. */
async function newPassword(env: CommandEnv): Promise<string> {
  const given = env.resolver.env.NCLONE_CONFIG_NEW_PASS;
  if (given) return given;
  if (env.passwords.passwordCommand) return configPassword({ env: {}, passwordCommand: env.passwords.passwordCommand }, env.resolver.configFile);
  const prompt = env.passwords.prompt;
  if (!prompt) throw fsError('usage', 'no new password: set NCLONE_CONFIG_NEW_PASS, use --password-command, or run this on a terminal');
  const first = await prompt('Enter NEW configuration password:');
  const again = await prompt('Confirm NEW configuration password:');
  if (first !== again) throw fsError('usage', 'the passwords did not match: nothing was changed');
  return first;
}

const encryptionSet: CommandDef = {
  name: 'set',
  args: [],
  summary: 'Set or change the config file password (encrypts the whole file).',
  description: 'Encrypts the config file the way rclone does, so rclone can open it with the same password. The new password comes from NCLONE_CONFIG_NEW_PASS, --password-command, or two prompts.',
  noConfig: true,
  run: async (env) => {
    const file = env.resolver.configFile;
    await withConfigLock(file, async () => {
      const { doc } = await loadConfig(file, env.passwords);
      await saveConfig(file, doc, await newPassword(env));
    });
  },
};

const encryptionRemove: CommandDef = {
  name: 'remove',
  args: [],
  summary: 'Remove the config file password (decrypts the file).',
  description: 'Writes the config file in plain text again; needs the current password.',
  noConfig: true,
  run: async (env) => {
    const file = env.resolver.configFile;
    await withConfigLock(file, async () => {
      const loaded = await loadConfig(file, env.passwords);
      if (loaded.password === undefined) throw fsError('usage', `config file ${file} is not encrypted`);
      await saveConfig(file, loaded.doc);
    });
  },
};

const encryptionCheck: CommandDef = {
  name: 'check',
  args: [],
  summary: 'Check that the config file is encrypted and the password opens it.',
  description: 'Exits 0 when the file is encrypted and the password is right; otherwise prints why and exits non-zero.',
  noConfig: true,
  run: async (env) => {
    const loaded = await loadConfig(env.resolver.configFile, env.passwords);
    if (loaded.password === undefined) throw fsError('config', `config file ${env.resolver.configFile} is not encrypted`);
  },
};

export const configEncryption: CommandDef = {
  name: 'encryption',
  args: [],
  summary: 'Set, remove or check the encryption of the config file.',
  description: 'See `nclone config encryption set|remove|check --help`.',
  noConfig: true,
  subcommands: [encryptionSet, encryptionRemove, encryptionCheck],
  run: async () => {
    throw fsError('usage', 'give a subcommand: nclone config encryption set|remove|check');
  },
};
