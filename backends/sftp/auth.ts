import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, AuthenticationType, AuthHandlerMiddleware, KeyboardInteractiveAuthMethod, NextAuthHandler, ParsedKey } from 'ssh2';
import { fsError, FsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import type { SftpOptions } from './config.js';

/** One way to log in; 'ask' is the password asked on the terminal when the server wants one. */
type Method =
  | { type: 'agent'; agent: ssh2.BaseAgent | string }
  | { type: 'publickey'; key: ParsedKey }
  | { type: 'password'; password: string }
  | { type: 'keyboard-interactive'; password: string }
  | { type: 'ask' };

/** What tried logging in, for the message when the server refused every way. */
export interface Login {
  handler: AuthHandlerMiddleware;
  /** The kinds of credentials offered, in order ("agent, publickey, password"). */
  offered: string;
  /** Set when a way could not be tried at all (the agent lacks the key, no terminal to ask on). */
  problem?: FsError;
}

/** An answer typed once serves every connection of the remote (and each later run asks again). */
const asked = new WeakMap<SftpOptions, Promise<string>>();

/**
 * The public half of key_file for the agent to match: key_file.pub, else key_file itself (which,
 * with key_use_agent, may be the public key: OpenSSH's IdentityFile works that way).
 */
function agentKeyWanted(keyFile: string): ParsedKey {
  let text: string;
  try {
    text = readFileSync(`${keyFile}.pub`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError('config', `sftp option key_file: cannot read ${keyFile}.pub: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (err2) {
      throw fsError('config', `sftp option key_file: cannot read ${keyFile}: ${(err2 as NodeJS.ErrnoException).code ?? String(err2)}`);
    }
  }
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.isPrivateKey()) {
    throw fsError('config', `sftp option key_file with key_use_agent: neither ${keyFile}.pub nor ${keyFile} holds a public key to pick the agent's key by`);
  }
  return key;
}

/** The agent, offering only its key that matches `want`. */
function filteredAgent(socket: string, want: ParsedKey, login: Login, keyFile: string): ssh2.BaseAgent {
  const wanted = want.getPublicSSH();
  return new (class extends ssh2.OpenSSHAgent {
    override getIdentities(cb: (err: Error | null | undefined, keys?: ParsedKey[]) => void): void {
      super.getIdentities((err, keys) => {
        if (err || !keys) return cb(err, keys as ParsedKey[] | undefined);
        const mine = (keys as ParsedKey[]).filter((k) => k.getPublicSSH().equals(wanted));
        if (mine.length === 0) login.problem ??= fsError('config', `sftp: the key of key_file ${keyFile} is not in the ssh-agent (ssh-add it)`, { retry: 'fatal' });
        cb(undefined, mine);
      });
    }
  })(socket);
}

function methods(opt: SftpOptions, login: Login): Method[] {
  const out: Method[] = [];
  const socket = process.env.SSH_AUTH_SOCK;
  const wantAgent = opt.useAgent || (opt.key === '' && opt.pass === '' && !opt.askPassword);
  // key_use_agent with key_file means "the agent's copy of that key": the private file itself is not used.
  const agentKeyOnly = opt.useAgent && opt.keyFile !== '' && !opt.keyFromPem;
  if (wantAgent) {
    if (!socket) throw fsError('config', 'sftp: ssh-agent requested but SSH_AUTH_SOCK is not set: set key_file, key_pem or pass, or start an ssh-agent');
    out.push({ type: 'agent', agent: agentKeyOnly ? filteredAgent(socket, agentKeyWanted(opt.keyFile), login, opt.keyFile) : socket });
  }
  if (opt.key !== '' && !agentKeyOnly) {
    const parsed = ssh2.utils.parseKey(opt.key, opt.keyPass || undefined);
    if (parsed instanceof Error) {
      const where = opt.keyFile !== '' ? `key_file ${opt.keyFile}` : 'key_pem';
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      const why = encrypted ? (opt.keyPass === '' ? 'the key is encrypted: set key_file_pass' : 'key_file_pass does not decrypt it') : `not a private key nclone can read (${parsed.message})`;
      throw fsError('config', `sftp option ${where}: ${why}`);
    }
    out.push({ type: 'publickey', key: Array.isArray(parsed) ? parsed[0]! : parsed });
  }
  // Servers that check passwords through PAM often offer only keyboard-interactive: the
  // password answers its prompts (as rclone does).
  if (opt.pass !== '') out.push({ type: 'password', password: opt.pass }, { type: 'keyboard-interactive', password: opt.pass });
  else if (opt.askPassword) out.push({ type: 'ask' });
  return out;
}

/** Every prompt of a keyboard-interactive round gets the password. */
function interactive(username: string, password: string): KeyboardInteractiveAuthMethod {
  return { type: 'keyboard-interactive', username, prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)) };
}

function askOnce(opt: SftpOptions, globals: BackendGlobals, login: Login): Promise<string> | undefined {
  let p = asked.get(opt);
  if (!p) {
    if (!globals.askPassword) {
      login.problem ??= fsError('config', `sftp ${opt.host}:${opt.port}: the server wants a password and ask_password has no terminal to ask on: store it in pass (obscured: nclone obscure)`, { retry: 'fatal' });
      return undefined;
    }
    p = globals.askPassword(`Password for ${opt.user}@${opt.host}:`);
    asked.set(opt, p);
    // A failed prompt (Ctrl-C, closed terminal) is asked again next time.
    p.catch(() => asked.delete(opt));
  }
  return p;
}

/**
 * The ways to log in, in rclone's order: the agent, the key, the password (also as
 * keyboard-interactive), or with ask_password a password asked when the server wants one.
 */
export function login(opt: SftpOptions, globals: BackendGlobals): Login {
  const username = opt.user;
  const login: Login = { handler: undefined as unknown as AuthHandlerMiddleware, offered: '' };
  const list = methods(opt, login);
  // keyboard-interactive only carries the password: named once, as the password.
  login.offered = [...new Set(list.map((m) => (m.type === 'ask' ? 'asked password' : m.type === 'keyboard-interactive' ? 'password' : m.type)))].join(', ');
  let i = 0;
  login.handler = (methodsLeft: AuthenticationType[], _partial: boolean, next: NextAuthHandler) => {
    const m = list[i++];
    if (!m) return next(false as never);
    if (m.type === 'agent') return next({ type: 'agent', username, agent: m.agent } as AgentAuthMethod);
    if (m.type === 'publickey') return next({ type: 'publickey', username, key: m.key });
    if (m.type === 'password') return next({ type: 'password', username, password: m.password });
    if (m.type === 'keyboard-interactive') return next(interactive(username, m.password));
    // ask: only when the server takes passwords at all. Asked first, the 'none' method
    // makes the server list the methods it takes.
    if (methodsLeft === null) {
      i--;
      return next({ type: 'none', username });
    }
    const wants = methodsLeft.includes('password') || methodsLeft.includes('keyboard-interactive');
    const answer = wants ? askOnce(opt, globals, login) : undefined;
    if (!answer) return next(false as never);
    answer.then(
      (password) => {
        list.splice(i, 0, { type: 'keyboard-interactive', password });
        next({ type: 'password', username, password });
      },
      (err: unknown) => {
        login.problem ??= fsError('config', `sftp ${opt.host}:${opt.port}: no password: ${(err as Error).message}`, { retry: 'fatal' });
        next(false as never);
      },
    );
  };
  return login;
}
