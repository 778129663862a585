import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { HashType, Obj } from './types.js';

/** The hash of everything a stream yields, in lower-case hex. */
export async function hashStream(stream: Readable, type: HashType): Promise<string> {
  const h = createHash(type);
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Reads src once for its whole hash and that of each partSize piece: two hashers over the
 * same chunks, the part one restarted at each boundary.
 */
export async function hashParts(src: Obj, type: HashType, partSize: number, signal?: AbortSignal): Promise<{ whole: string; parts: string[] }> {
  if (!(partSize > 0)) throw new RangeError(`part size ${partSize}`);
  const whole = createHash(type);
  const parts: string[] = [];
  let part = createHash(type);
  let inPart = 0;
  const input = await src.open({ signal });
  for await (const data of input as AsyncIterable<Buffer>) {
    whole.update(data);
    let chunk = data;
    while (chunk.length > 0) {
      const n = Math.min(chunk.length, partSize - inPart);
      part.update(n === chunk.length ? chunk : chunk.subarray(0, n));
      inPart += n;
      chunk = chunk.subarray(n);
      if (inPart === partSize) {
        parts.push(part.digest('hex'));
        part = createHash(type);
        inPart = 0;
      }
    }
  }
  if (inPart > 0) parts.push(part.digest('hex'));
  return { whole: whole.digest('hex'), parts };
}
