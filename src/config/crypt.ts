import { createHash, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { fsError } from '../fs/errors.js';

/**
 * rclone's whole-file config encryption, so either tool opens the other's files: a header
 * line, "RCLONE_ENCRYPT_V0:", then base64 of a 24-byte nonce followed by a NaCl secretbox
 * of the plain text, keyed by SHA-256 of "[" + NFKC(password) + "][rclone-config]".
 */
export const ENCRYPTED_MARKER = 'RCLONE_ENCRYPT_V0:';

/** The first line that is neither blank nor a comment starts with the marker. */
export function isEncrypted(text: string): boolean {
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    return t.startsWith('RCLONE_ENCRYPT_V');
  }
  return false;
}

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
