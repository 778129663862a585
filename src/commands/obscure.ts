import { fstatSync } from 'node:fs';
import type { CommandDef } from '../cli/command.js';
import { looksObscured } from '../config/obscured.js';
import { fsError } from '../fs/errors.js';
import { obscure as obscureValue, reveal as revealValue } from '../lib/obscure.js';
import { ValueError } from '../lib/units.js';

export const obscure: CommandDef = {
  name: 'obscure',
  args: ['password'],
  summary: 'Obscure a password for use in the config file.',
  description:
    'Prints PASSWORD obscured, the form rclone and nclone keep password options in (such as sftp pass): `nclone config update NAME --no-obscure pass=VALUE` stores it as it is. Obscuring keeps a password from being read at a glance; it is not encryption: anyone with the file can reveal it (`nclone reveal`). To protect the whole file, encrypt it (`nclone config encryption`).\n\n' +
    'With `-` as PASSWORD, the first line of standard input is the password (without its line ending), so it stays out of the process list and the shell history; when standard input is a terminal, `-` is the password itself, as with rclone.',
  examples: [
    { command: 'nclone obscure mypassword' },
    { note: 'The password from standard input', command: 'echo "secretpassword" | nclone obscure -' },
  ],
  noConfig: true,
  run: async (env, [password]) => {
    const plain = password === '-' && !stdinIsTerminal() ? await firstLine() : password!;
    await env.out(obscureValue(plain));
  },
};

export const reveal: CommandDef = {
  name: 'reveal',
  args: ['password'],
  summary: 'Reveal an obscured password from the config file.',
  description: 'Prints the password an obscured value (from `nclone obscure`, or a password option in the config file) stands for.',
  examples: [{ command: 'nclone reveal "$(nclone obscure mypassword)"' }],
  noConfig: true,
  run: async (env, [value]) => {
    // Node's decoder takes lengths Go's refuses: checked first, so what rclone can't reveal nclone doesn't either.
    if (!looksObscured(value!)) throw fsError('usage', "can't reveal: the value is not obscured (unpadded base64url of 22 characters or more)");
    let plain: string;
    try {
      plain = revealValue(value!);
    } catch (err) {
      throw fsError('usage', err instanceof ValueError ? `can't reveal: ${err.message.replace(/: store it .*$/, '')}` : String(err));
    }
    await env.out(plain);
  },
};

function stdinIsTerminal(): boolean {
  // /dev/null counts as a terminal here, as a character device does for rclone.
  try {
    return fstatSync(0).isCharacterDevice();
  } catch {
    return true;
  }
}

/** Standard input up to its first line end (a CR before it dropped) or its end; the rest is left unread. */
async function firstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const nl = chunk.indexOf(0x0a);
    chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
    if (nl !== -1) break;
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
}
