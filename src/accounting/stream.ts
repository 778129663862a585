import { Transform, type TransformCallback } from 'node:stream';
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
  transfer?: Transfer;
  bwlimit?: TokenBucket;
  /** --max-transfer in bytes, -1 for none. */
  maxTransfer: number;
}

/** Counts bytes into the stats as they flow, applies --bwlimit and stops at --max-transfer. */
export class AccountingStream extends Transform {
  constructor(private readonly opts: AccountingOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { stats, transfer, bwlimit, maxTransfer } = this.opts;
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
