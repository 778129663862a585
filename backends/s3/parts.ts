import { fsError, type FsError } from '../../src/fs/errors.js';

/** A part of a multipart upload that the server acknowledged. */
export interface SentPart {
  PartNumber: number;
  ETag: string;
  /** Bytes in the part. */
  size: number;
  /** Hex MD5 of the part's bytes. */
  md5: string;
}

export interface PartsExpected {
  /** What the parts must add up to. */
  bytes: number;
  /** How many parts there must be (1..count). */
  count: number;
  /** Part ETags are the MD5 of their data (not with SSE-KMS or customer keys): one that looks like an MD5 must be the part's. */
  etagIsMd5: boolean;
}

const PLAIN_MD5 = /^"?([0-9a-fA-F]{32})"?$/;

/** The hex MD5 an ETag holds, when it is a plain MD5 (not a multipart "-N" one). */
export function etagMd5(etag: string | undefined): string | undefined {
  const m = etag ? PLAIN_MD5.exec(etag) : null;
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * Checks the parts before CompleteMultipartUpload: every part number 1..count present once,
 * each with an ETag (the part's MD5 when the ETag is a plain MD5), and the bytes adding up
 * to what was read. Completing with a part missing or wrong would store a different object
 * under the real name. Returns the parts in order, as CompleteMultipartUpload wants them.
 */
export function checkParts(remote: string, parts: Iterable<SentPart>, expected: PartsExpected): { PartNumber: number; ETag: string }[] {
  const fail = (why: string): FsError => fsError('other', `${remote}: multipart upload not completed: ${why}`, { retry: 'retryable' });
  const byNumber = new Map<number, SentPart>();
  let bytes = 0;
  for (const p of parts) {
    if (!Number.isInteger(p.PartNumber) || p.PartNumber < 1 || p.PartNumber > expected.count) throw fail(`part number ${p.PartNumber} is outside 1..${expected.count}`);
    if (byNumber.has(p.PartNumber)) throw fail(`part ${p.PartNumber} was sent more than once`);
    if (!p.ETag) throw fail(`the server gave no ETag for part ${p.PartNumber}`);
    const md5 = etagMd5(p.ETag);
    if (expected.etagIsMd5 && md5 !== undefined && md5 !== p.md5.toLowerCase()) {
      throw fail(`part ${p.PartNumber}: the server's ETag ${p.ETag} is not the MD5 ${p.md5} of the data sent (corrupted on the way)`);
    }
    byNumber.set(p.PartNumber, p);
    bytes += p.size;
  }
  for (let n = 1; n <= expected.count; n++) if (!byNumber.has(n)) throw fail(`part ${n} of ${expected.count} is missing`);
  if (bytes !== expected.bytes) throw fail(`the parts hold ${bytes} bytes, not ${expected.bytes}`);
  return [...byNumber.values()].sort((a, b) => a.PartNumber - b.PartNumber).map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag }));
}
