import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import type { HashType } from './types.js';

/** Passes data through unchanged while computing hashes and counting bytes. */
export class HashingStream extends Transform {
  private readonly hashers: Map<HashType, Hash>;
  bytes = 0;

  constructor(types: Iterable<HashType>) {
    super();
    this.hashers = new Map([...types].map((t) => [t, createHash(t)]));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    for (const h of this.hashers.values()) h.update(chunk);
    cb(null, chunk);
  }

  /** Hex digests; call once the stream has ended. */
  digests(): Partial<Record<HashType, string>> {
    const out: Partial<Record<HashType, string>> = {};
    for (const [t, h] of this.hashers) out[t] = h.digest('hex');
    return out;
  }
}

export async function hashStream(stream: Readable, type: HashType): Promise<string> {
  const h = createHash(type);
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}
