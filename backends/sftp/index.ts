import { userInfo } from 'node:os';
import type { BackendDef } from '../../src/fs/registry.js';
import type { OptionDef } from '../../src/fs/options.js';

/** The login name of this process, rclone's default user. */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}

const adv = { advanced: true } as const;

/** rclone's sftp options, with its names, types, defaults and meanings. */
export const SFTP_OPTIONS: OptionDef[] = [
  { name: 'host', help: 'The SSH server to connect to: a name or an address.\n\nE.g. "files.example.com" or "192.0.2.10".', type: 'string', default: '', required: true },
  { name: 'user', help: 'The login name on the server (default: the user running nclone).', type: 'string', default: currentUser() },
  { name: 'port', help: "The server's SSH port.", type: 'int', default: 22 },
  {
    name: 'pass',
    help: 'A password to log in with. Leave it empty to log in with a key file or the ssh-agent.\n\nKept obscured in the config file, the way rclone keeps it (see `nclone obscure`).',
    type: 'string',
    default: '',
    secret: true,
    obscured: true,
  },
  {
    name: 'key_file',
    help: 'A private key file to log in with (OpenSSH or PEM format). A leading ~ stands for the home directory.\n\nLeave it empty to use the ssh-agent or a password.',
    type: 'string',
    default: '',
    examples: [{ value: '~/.ssh/id_ed25519', help: 'The usual OpenSSH key.' }],
  },
  {
    name: 'key_file_pass',
    help: 'The passphrase of an encrypted key_file or key_pem.\n\nKept obscured in the config file, as rclone does.',
    type: 'string',
    default: '',
    secret: true,
    obscured: true,
  },
  {
    name: 'known_hosts_file',
    help: "A known_hosts file to check the server's host key against: an unknown host or a changed key is then refused. Left empty, any host key is accepted (as rclone does), which does not protect against a man in the middle.",
    type: 'string',
    default: '',
    examples: [{ value: '~/.ssh/known_hosts', help: 'The hosts OpenSSH already knows.' }],
  },
  {
    name: 'key_use_agent',
    help: 'Always ask the ssh-agent (SSH_AUTH_SOCK) for keys, also when key_file is set (then only the key whose .pub file lies beside it).',
    type: 'bool',
    default: false,
  },
  {
    name: 'key_pem',
    help: "The private key itself, in PEM form, on one line with its line breaks written as \\n. Takes the place of key_file.",
    type: 'string',
    default: '',
    secret: true,
    ...adv,
  },
  { name: 'pubkey_file', help: 'A public key or certificate file to present with the key (certificate logins).', type: 'string', default: '', ...adv },
  {
    name: 'use_insecure_cipher',
    help: 'Also offer old ciphers and key exchanges (CBC ciphers, diffie-hellman-group-exchange) that some old servers need. They are weak: use only when the server has nothing else.',
    type: 'bool',
    default: false,
    ...adv,
  },
  {
    name: 'disable_hashcheck',
    help: "Never run commands on the server to compute hashes: the remote then has no MD5 or SHA-1, and --checksum compares sizes only.",
    type: 'bool',
    default: false,
    ...adv,
  },
  { name: 'ask_password', help: 'Ask for the password on the terminal when none is configured (never from cron).', type: 'bool', default: false, ...adv },
  {
    name: 'path_override',
    help: 'The path the shell commands (md5sum, sha1sum) should use when the shell sees the files under another path than SFTP does. Starting it with "@" gives the shell path of the remote\'s root; the object\'s path is added to it.',
    type: 'string',
    default: '',
    ...adv,
  },
  { name: 'set_modtime', help: 'Give each uploaded file its source\'s modification time (whole seconds: what SFTP carries).', type: 'bool', default: true, ...adv },
  {
    name: 'shell_type',
    help: 'What shell the server runs commands in, if any. Empty: find out once, on first need.',
    type: 'string',
    default: '',
    examples: [
      { value: 'none', help: 'No commands can be run' },
      { value: 'unix', help: 'A POSIX shell' },
      { value: 'powershell', help: 'Windows PowerShell' },
      { value: 'cmd', help: 'Windows cmd.exe' },
    ],
    ...adv,
  },
  { name: 'md5sum_command', help: 'The command that prints MD5 sums on the server (empty: find it).', type: 'string', default: '', ...adv },
  { name: 'sha1sum_command', help: 'The command that prints SHA-1 sums on the server (empty: find it).', type: 'string', default: '', ...adv },
  {
    name: 'skip_links',
    help: 'Leave out symlinks and other files that are not regular files. Without it a symlink is followed and listed as what it points to, as rclone does.',
    type: 'bool',
    default: false,
    ...adv,
  },
  { name: 'subsystem', help: 'The SSH subsystem that serves SFTP on the server.', type: 'string', default: 'sftp', ...adv },
  { name: 'server_command', help: 'A command that starts an SFTP server on the remote host, in place of the subsystem.', type: 'string', default: '', ...adv },
  {
    name: 'use_fstat',
    help: 'Ask for a file\'s status through its open handle rather than by name (for servers that limit open files).',
    type: 'bool',
    default: false,
    ...adv,
  },
  { name: 'disable_concurrent_reads', help: 'Read each file with one request at a time (for servers that count every read as a download).', type: 'bool', default: false, ...adv },
  { name: 'disable_concurrent_writes', help: 'Write each file with one request at a time.', type: 'bool', default: false, ...adv },
  {
    name: 'idle_timeout',
    help: 'Close the connections when none has been used for this long; 0 keeps them open until the run ends.',
    type: 'duration',
    default: '1m0s',
    ...adv,
  },
  {
    name: 'chunk_size',
    help: 'The data in one SFTP read or write request. 32 KiB is what every server must accept; some take more.',
    type: 'size',
    default: '32Ki',
    ...adv,
  },
  { name: 'concurrency', help: 'Read or write requests in flight at once for one file.', type: 'int', default: 64, ...adv },
  {
    name: 'set_env',
    help: 'Environment variables to ask the server to set for the SFTP session and commands: VAR=value pairs separated by spaces; quote a pair that holds a space ("VAR=a b").',
    type: 'string',
    default: '',
    ...adv,
  },
  { name: 'ciphers', help: 'The ciphers to offer, separated by spaces, most wanted first (empty: the SSH library\'s defaults).', type: 'string', default: '', ...adv },
  { name: 'key_exchange', help: 'The key exchange algorithms to offer, separated by spaces, most wanted first.', type: 'string', default: '', ...adv },
  { name: 'macs', help: 'The MAC algorithms to offer, separated by spaces, most wanted first.', type: 'string', default: '', ...adv },
];

export const sftpBackend: BackendDef = {
  name: 'sftp',
  description: 'SSH/SFTP',
  options: SFTP_OPTIONS,
  load: () => import('./fs.js'),
};
