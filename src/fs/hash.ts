import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { HashType } from './types.js';

/** The hash of everything a stream yields, in lower-case hex. */
export async function hashStream(stream: Readable, type: HashType): Promise<string> {
  const h = createHash(type);
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}
