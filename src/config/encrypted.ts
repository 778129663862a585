/**
 * Whether a config file is encrypted, apart from the cipher itself: every command that
 * reads the config asks, and only an encrypted file should load the NaCl code (crypt.ts).
 */
export const ENCRYPTED_MARKER = 'RCLONE_ENCRYPT_V0:';

/** The first line that is neither blank nor a comment starts with the marker (any version). */
export function isEncrypted(text: string): boolean {
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    return t.startsWith('RCLONE_ENCRYPT_V');
  }
  return false;
}
