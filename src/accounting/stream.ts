import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { HashType } from '../fs/types.js';
import { fsError } from '../fs/errors.js';
import type { Stats, Transfer } from './stats.js';

/** One token bucket shared by every transfer, so --bwlimit caps their total rate. */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  /** Waits until n bytes may pass. */
  async take(n: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= Math.min(n, this.rate)) {
        this.tokens -= n;
        return;
      }
      const waitMs = ((Math.min(n, this.rate) - this.tokens) / this.rate) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(waitMs))));
    }
  }
}

export interface AccountingOptions {
  stats: Stats;
  /** Hashes to compute over the data on its way through. */
  hashes?: HashType[];
  transfer?: Transfer;
  bwlimit?: TokenBucket;
  /** --max-transfer in bytes, -1 for none. */
  maxTransfer: number;
}

/**
 * Counts bytes into the stats as they flow, hashes them, applies --bwlimit and stops at
 * --max-transfer: one stream per transfer instead of a chain of them.
 */
export class AccountingStream extends Transform {
  private readonly hashers: Map<HashType, Hash>;

  constructor(private readonly opts: AccountingOptions) {
    super();
    this.hashers = new Map((opts.hashes ?? []).map((t) => [t, createHash(t)]));
  }

  /** Hex digests of everything that passed; call once the stream has ended. */
  digests(): Partial<Record<HashType, string>> {
    const out: Partial<Record<HashType, string>> = {};
    for (const [t, h] of this.hashers) out[t] = h.digest('hex');
    return out;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { stats, transfer, bwlimit, maxTransfer } = this.opts;
    for (const h of this.hashers.values()) h.update(chunk);
    if (maxTransfer >= 0 && stats.bytes + chunk.length > maxTransfer) {
      cb(fsError('maxTransferReached', `max transfer limit reached as set by --max-transfer`, { retry: 'fatal' }));
      return;
    }
    const pass = () => {
      stats.addBytes(transfer, chunk.length);
      cb(null, chunk);
    };
    if (bwlimit) bwlimit.take(chunk.length).then(pass, cb);
    else pass();
  }
}
