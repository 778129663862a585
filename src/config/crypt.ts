import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type Nacl from 'tweetnacl';
import { fsError } from '../fs/errors.js';
import { ENCRYPTED_MARKER } from './encrypted.js';

export { ENCRYPTED_MARKER, isEncrypted } from './encrypted.js';

// tweetnacl is CommonJS: an ESM import makes Node scan its 90 kB source for export names
// first, which costs more than running it (about 100 M instructions); require skips that.
const nacl = createRequire(import.meta.url)('tweetnacl') as typeof Nacl;

/**
 * rclone's whole-file config encryption, so either tool opens the other's files: a header
 * line, "RCLONE_ENCRYPT_V0:", then base64 of a 24-byte nonce followed by a NaCl secretbox
 * of the plain text, keyed by SHA-256 of "[" + NFKC(password) + "][rclone-config]".
 */
export function configKey(password: string): Uint8Array {
  const p = password.normalize('NFKC');
  if (p.trim() === '') throw fsError('config', 'the configuration password is empty: give one with characters in it');
  return new Uint8Array(createHash('sha256').update(`[${p}][rclone-config]`, 'utf8').digest());
}

export function encryptConfig(plain: string, password: string): string {
  const nonce = new Uint8Array(randomBytes(nacl.secretbox.nonceLength));
  const box = nacl.secretbox(new TextEncoder().encode(plain), nonce, configKey(password));
  const payload = Buffer.concat([nonce, box]).toString('base64');
  return `# Encrypted rclone configuration File\n\n${ENCRYPTED_MARKER}\n${payload}`;
}

/** Decrypts a file's text; a wrong password is a config error (exit 1), never a silent empty config. */
export function decryptConfig(text: string, password: string, file: string): string {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => l.trim().startsWith('RCLONE_ENCRYPT_V'));
  if (lines[at]!.trim() !== ENCRYPTED_MARKER) {
    throw fsError('config', `config file ${file} uses an encryption version nclone does not know (${lines[at]!.trim()})`);
  }
  const data = Buffer.from(lines.slice(at + 1).join('').trim(), 'base64');
  if (data.length < nacl.secretbox.nonceLength + nacl.secretbox.overheadLength) throw fsError('config', `config file ${file}: encrypted data too short (damaged file?)`);
  const plain = nacl.secretbox.open(new Uint8Array(data.subarray(nacl.secretbox.nonceLength)), new Uint8Array(data.subarray(0, nacl.secretbox.nonceLength)), configKey(password));
  if (!plain) throw fsError('config', `can't decrypt config file ${file}: wrong password (check NCLONE_CONFIG_PASS or --password-command)`);
  return new TextDecoder().decode(plain);
}
