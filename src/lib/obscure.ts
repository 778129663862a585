/**
 * rclone's "obscured" config values (sftp pass, ...): AES-256-CTR under a key that is
 * public in rclone's source, a random 16-byte IV in front, base64url without padding.
 * This hides a password from a glance at the file; it is not encryption. Values must
 * stay readable by rclone, so the key and layout are rclone's.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { ValueError } from './units.js';

const KEY = Buffer.from('9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638', 'hex');
const IV_BYTES = 16;

function ctr(data: Buffer, iv: Buffer): Buffer {
  const c = createCipheriv('aes-256-ctr', KEY, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

export function obscure(plain: string): string {
  const iv = randomBytes(IV_BYTES);
  return Buffer.concat([iv, ctr(Buffer.from(plain, 'utf8'), iv)]).toString('base64url');
}

/** Throws ValueError when the value was not obscured (a plain password where an obscured one belongs). */
export function reveal(value: string): string {
  // Unpadded base64url is never 4n+1 characters long (Go's decoder, and so rclone, refuse it).
  if (!/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) throw new ValueError('the value is not obscured (it is not base64url): store it with `nclone obscure` or `nclone config`');
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length < IV_BYTES) throw new ValueError('the value is too short to be obscured: store it with `nclone obscure` or `nclone config`');
  return ctr(bytes.subarray(IV_BYTES), bytes.subarray(0, IV_BYTES)).toString('utf8');
}
