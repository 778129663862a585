import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { checkStartable, closedError, largerError, shortError } from './body.js';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type MultipartUpload as ListedUpload,
} from '@aws-sdk/client-s3';
import { FsError, fsError } from '../../src/fs/errors.js';
import type { CleanupOptions, SrcInfo, Timestamp } from '../../src/fs/types.js';
import { logDebug, logInfo, logNotice } from '../../src/lib/log.js';
import type { S3Door } from './door.js';
import { attemptsOf } from './client.js';
import { completed, mapS3Error, noResult } from './errors.js';
import type { ObjectHeaders } from './metadata.js';
import { appendPart, createJournal, deleteJournal, listJournals, metaHash, readJournal, removeStaleTemps, sourceExists, type Journal, type SourceIdentity, type UploadPlace } from './journal.js';
import { checkParts, etagMd5, type SentPart } from './parts.js';
import { encryptedEtag } from './object.js';

/**
 * After a CreateMultipartUpload that took more than one attempt: an attempt whose answer
 * was lost may have created an upload nobody knows the id of. Uploads of the same key started
 * since the first attempt (give or take the clock margin), other than the one kept and not
 * journaled by any run, are those.
 */
export async function abortStrays(door: S3Door, t: { bucket: string; key: string }, keep: string, startedAt: number, signal: AbortSignal | undefined): Promise<void> {
  const journaled = new Set(listJournals().map((j) => j.head.uploadId));
  // The server's clock may differ from ours: a margin, and uploads without a date are left.
  const since = startedAt - CLOCK_MARGIN_MS;
  let uploads: PendingUpload[];
  try {
    uploads = await listUploads(door, t.bucket, t.key, signal, true);
  } catch {
    return; // Left for `nclone cleanup`.
  }
  for (const u of uploads) {
    if (u.Key !== t.key || u.UploadId === keep || journaled.has(u.UploadId) || u.Initiated === undefined || u.Initiated.getTime() < since) continue;
    logDebug(t.key, 'aborting an upload a lost answer left behind');
    await abortQuietly(door, t.bucket, t.key, u.UploadId);
  }
}

/** How long aborting an upload may take (retries included) before it is left to `nclone cleanup`. */
const ABORT_DEADLINE_MS = 60_000;

/** How far the server's clock is allowed to be behind ours when telling a stray by its start. */
const CLOCK_MARGIN_MS = 60_000;

/** Aborts a multipart upload (unless leave_parts_on_error); an upload already gone is fine. */
export async function abortUpload(door: S3Door, t: { bucket: string; key: string }, uploadId: string | undefined): Promise<void> {
  if (!uploadId || door.opt.leavePartsOnError) return;
  await abortQuietly(door, t.bucket, t.key, uploadId);
}

/** Aborts an upload whatever leave_parts_on_error says (a stale one, not a failed one); failures are ignored. */
async function abortQuietly(door: S3Door, bucket: string, key: string, uploadId: string): Promise<void> {
  // Its own deadline: it also runs after Ctrl-C, when the run's signal has already fired.
  await door.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), key, 'abort upload of', { signal: AbortSignal.timeout(ABORT_DEADLINE_MS) }).catch(() => undefined);
}

export interface UploadResult {
  size: number;
  etag: string;
  /** The whole object's hex MD5, when the upload read it ahead (hashParts). */
  md5?: string;
  /** The answers said the object is encrypted so that its ETag is not an MD5. */
  encrypted: boolean;
}

export interface MultipartTarget {
  bucket: string;
  key: string;
  remote: string;
  /** -1 when unknown. */
  size: number;
  metadata: Record<string, string>;
  /** Content-Type and the other headers (metadata.ts). */
  headers?: ObjectHeaders;
  signal?: AbortSignal;
  /** Where the data comes from, and its mtime: what identifies the source to resume from. */
  origin?: string;
  modTime?: Timestamp;
  /**
   * Reads the source ahead of the upload for its whole MD5 (stored as md5chksum) and each
   * part's (see SrcInfo.hashParts). The parts then go with those MD5s as Content-MD5 and are
   * not hashed again: the server refuses a part whose bytes changed since that read, so the
   * object completed is exactly the data whose MD5 it stores.
   */
  hashParts?: SrcInfo['hashParts'];
}

/** The smallest part size (at least chunk_size) that fits the object in max_upload_parts parts. */
export function partSizeFor(size: number, chunkSize: number, maxParts: number): number {
  if (size < 0) return chunkSize;
  const min = Math.ceil(size / maxParts);
  if (min <= chunkSize) return chunkSize;
  const MiB = 1024 * 1024;
  return Math.ceil(min / MiB) * MiB;
}

/**
 * Cuts the source into parts, one buffer each: partSize bytes, the last one shorter. With a
 * stated size, a source that ends early or goes on past it fails (so a wrong object is never
 * completed); a source that fails or is closed before its end fails the read.
 */
class PartReader {
  /** Bytes read so far. */
  read = 0;
  /** The source has ended (and, with a stated size, was checked to end there). */
  ended = false;
  private rest: Buffer | undefined;
  private readonly it: AsyncIterator<unknown>;
  /**
   * Part buffers whose request has ended, filled again rather than allocated: a fresh
   * buffer of several MiB costs page faults (the kernel zeroing it) and garbage collection
   * for every part.
   */
  private readonly spare: Buffer[] = [];

  constructor(
    data: Readable,
    private readonly t: MultipartTarget,
    private readonly partSize: number,
    private readonly interrupted: () => FsError | undefined,
  ) {
    this.it = data[Symbol.asyncIterator]();
  }

  /** The next part, or undefined after the last. */
  async next(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    const known = this.t.size >= 0;
    const want = known ? Math.min(this.partSize, this.t.size - this.read) : this.partSize;
    if (want === 0) {
      await this.expectEnd();
      return undefined;
    }
    const buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.partSize);
    let filled = 0;
    while (filled < want) {
      let chunk = this.rest;
      this.rest = undefined;
      if (!chunk) {
        chunk = await this.pull();
        if (chunk === undefined) {
          this.ended = true;
          break;
        }
      }
      const n = Math.min(chunk.length, want - filled);
      chunk.copy(buf, filled, 0, n);
      filled += n;
      if (n < chunk.length) this.rest = chunk.subarray(n);
    }
    this.read += filled;
    if (known && filled < want) throw shortError(this.t.remote, this.t.size, this.read);
    // The last part of a stated size: the source must end here.
    if (known && this.read === this.t.size) await this.expectEnd();
    if (filled === 0) {
      this.spare.push(buf);
      return undefined;
    }
    return filled === buf.length ? buf : buf.subarray(0, filled);
  }

  /** A part's buffer may be filled again: its request is over and nothing holds it. */
  release(part: Buffer): void {
    // Only full-size buffers (a part's data may be a view of one), a few at a time.
    const whole = part.byteOffset === 0 && part.buffer.byteLength === this.partSize ? Buffer.from(part.buffer, 0, this.partSize) : undefined;
    if (whole && this.spare.length < 8) this.spare.push(whole);
  }

  private async expectEnd(): Promise<void> {
    if (this.rest && this.rest.length > 0) throw largerError(this.t.remote, this.t.size);
    for (;;) {
      const more = await this.pull();
      if (more === undefined) break;
      if (more.length > 0) throw largerError(this.t.remote, this.t.size);
    }
    this.ended = true;
  }

  private async pull(): Promise<Buffer | undefined> {
    try {
      const r = await this.it.next();
      if (r.done) return undefined;
      const v = r.value;
      return Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array);
    } catch (err) {
      throw this.interrupted() ?? ((err as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE' ? closedError(this.t.remote) : err);
    }
  }
}

interface KnownPart {
  etag: string;
  md5: string;
}

const unquote = (etag: string) => etag.replace(/^"|"$/g, '');

function isNoSuchUpload(err: unknown): boolean {
  const cause = err instanceof FsError ? (err.cause as { name?: string; Code?: string } | undefined) : (err as { name?: string; Code?: string });
  return cause?.name === 'NoSuchUpload' || cause?.Code === 'NoSuchUpload';
}

/**
 * nclone's own multipart upload. The source is read into part buffers (at most
 * upload_concurrency being sent and one being filled), each sent with UploadPart through the
 * door with its Content-MD5, so the server checks it and the pacer can send it again from its
 * buffer. The parts are checked (numbers, ETags, bytes) before CompleteMultipartUpload.
 *
 * An upload of a source with an origin and a size is journaled (journal.ts): a rerun after a
 * kill or an interrupt lists the parts on the server, checks them against the journal and
 * the source, and sends only the missing ones. An interrupt keeps a journaled upload for that
 * rerun; any other failure aborts the upload (unless leave_parts_on_error) and waits for the
 * abort, so nothing is left.
 */
class MultipartUpload {
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private failure: unknown;
  private uploadId: string | undefined;
  private journal: Journal | undefined;
  private readonly place: UploadPlace;
  private readonly journaled: boolean;
  /** Parts on the server from an earlier run, trusted once the source's bytes match. */
  private readonly known = new Map<number, KnownPart>();
  private readonly sent: SentPart[] = [];
  private readonly reader: PartReader;
  private readonly contentMd5: boolean;
  /** An answer said the object is encrypted in a way that makes ETags other than MD5s. */
  encrypted = false;
  /** Hex MD5 of each part (index n-1) and of the whole, from reading the source ahead (hashParts). */
  private partMd5: string[] | undefined;
  private wholeMd5: string | undefined;

  constructor(
    private readonly door: S3Door,
    private readonly t: MultipartTarget,
    private readonly data: Readable,
    private readonly partSize: number,
  ) {
    this.signal = t.signal ? AbortSignal.any([t.signal, this.stop.signal]) : this.stop.signal;
    this.place = { remote: door.name, endpoint: door.opt.endpoint, bucket: t.bucket, key: t.key };
    this.journaled = t.origin !== undefined && t.origin !== '' && t.size > 0;
    this.reader = new PartReader(data, t, partSize, () => (t.signal?.aborted ? this.interruptError() : undefined));
    this.contentMd5 = !door.opt.disableChecksum && door.quirks.contentMd5;
  }

  private interruptError(): FsError {
    const r = this.t.signal?.reason;
    return r instanceof FsError ? r : fsError('other', `upload ${this.t.remote}: interrupted`, { retry: 'fatal' });
  }

  /** The first failure stops everything: the source is released and requests under way are cancelled. */
  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.stop.abort(err);
    // (Without an error: the failure is reported here, not through the source's listeners.)
    if (!this.reader.ended && !this.data.destroyed) this.data.destroy();
  }

  private get totalParts(): number {
    return Math.ceil(this.t.size / this.partSize);
  }

  private identity(): SourceIdentity {
    return { origin: this.t.origin ?? '', size: this.t.size, modTime: this.t.modTime === undefined ? '' : String(this.t.modTime), partSize: this.partSize, meta: metaHash(this.t.metadata) };
  }

  async run(): Promise<UploadResult> {
    const onAbort = () => this.fail(this.interruptError());
    const onError = (e: unknown) => this.fail(this.t.signal?.aborted ? this.interruptError() : e);
    const onClose = () => {
      if (!this.data.readableEnded) this.fail(this.t.signal?.aborted ? this.interruptError() : (this.data.errored ?? closedError(this.t.remote)));
    };
    this.t.signal?.addEventListener('abort', onAbort, { once: true });
    this.data.on('error', onError);
    this.data.once('close', onClose);
    try {
      if (this.t.hashParts && this.t.size > 0) await this.readAhead();
      if (this.journaled) await this.prepareResume();
      const first = await this.reader.next();
      // Unknown size and it all fit in one part (or nothing at all): one PUT, no multipart.
      if (this.uploadId === undefined && (this.t.size === 0 || (this.t.size < 0 && this.reader.ended))) return await this.putSingle(first ?? Buffer.alloc(0));
      if (this.uploadId === undefined) await this.create();
      await this.sendParts(first);
      return await this.complete();
    } catch (err) {
      throw await this.failed(err);
    } finally {
      this.t.signal?.removeEventListener('abort', onAbort);
      this.data.off('error', onError);
      this.data.off('close', onClose);
    }
  }

  /**
   * The source's MD5s, whole and per part, read before anything is sent: the whole one is
   * stored as md5chksum (so it is part of the journal's identity and must come first).
   */
  private async readAhead(): Promise<void> {
    const { whole, parts } = await this.t.hashParts!('md5', this.partSize);
    if (parts.length !== this.totalParts) throw fsError('other', `${this.t.remote}: reading the source ahead gave ${parts.length} parts, not ${this.totalParts}: it changed size`, { retry: 'retryable' });
    this.partMd5 = parts;
    this.wholeMd5 = whole;
    this.t.metadata.md5chksum = Buffer.from(whole, 'hex').toString('base64');
  }

  /**
   * The hex MD5 of part n: the one read ahead when there is one. Without Content-MD5 the
   * server can't hold the bytes to it, so they are hashed and compared here.
   */
  private md5Of(n: number, buf: Buffer): string {
    const ahead = this.partMd5?.[n - 1];
    if (ahead !== undefined && this.contentMd5) return ahead;
    const md5 = createHash('md5').update(buf).digest('hex');
    if (ahead !== undefined && ahead !== md5) throw fsError('other', `${this.t.remote}: part ${n} of the source changed since it was read for its MD5`, { retry: 'retryable' });
    return md5;
  }

  /** With a journal of the same upload of the same source: the parts on the server that can be kept. */
  private async prepareResume(): Promise<void> {
    let j: Journal | undefined;
    try {
      j = readJournal(this.place);
    } catch {
      j = undefined;
    }
    if (!j) return;
    const id = this.identity();
    const h = j.head;
    if (h.origin !== id.origin || h.size !== id.size || h.modTime !== id.modTime || h.partSize !== id.partSize || h.meta !== id.meta) {
      logNotice(this.t.remote, 'the source (or the part size) changed since its interrupted upload began: starting over');
      await abortQuietly(this.door, this.t.bucket, this.t.key, h.uploadId);
      deleteJournal(j);
      return;
    }
    let parts: { PartNumber?: number; ETag?: string; Size?: number }[];
    try {
      parts = await listParts(this.door, this.t, h.uploadId, this.signal);
    } catch (err) {
      if (!isNoSuchUpload(err)) throw err;
      logNotice(this.t.remote, 'the interrupted upload is no longer on the server: starting over');
      deleteJournal(j);
      return;
    }
    const total = this.totalParts;
    // Parts of a bucket that encrypts by default have ETags that are not MD5s: that holds for the whole upload.
    if ([...j.parts.values()].some((p) => p.enc)) this.encrypted = true;
    for (const p of parts) {
      const n = p.PartNumber;
      if (n === undefined || n < 1 || n > total || !p.ETag) continue;
      const size = n < total ? this.partSize : this.t.size - this.partSize * (total - 1);
      if (p.Size !== size) continue;
      const jp = j.parts.get(n);
      if (jp) {
        // The journal and the server must agree on the part; if not, it is sent again.
        if (unquote(jp.etag) === unquote(p.ETag) && jp.size === size) this.known.set(n, { etag: p.ETag, md5: jp.md5 });
      } else {
        // Sent but not journaled (killed between the answer and the write): usable when its ETag is its MD5.
        const md5 = this.door.sseChangesEtag || this.encrypted ? undefined : etagMd5(p.ETag);
        if (md5) this.known.set(n, { etag: p.ETag, md5 });
      }
    }
    this.uploadId = h.uploadId;
    this.journal = j;
    logInfo(undefined, `resuming upload of ${this.t.remote}: ${this.known.size} of ${total} parts already uploaded`);
  }

  private async create(): Promise<void> {
    const cmd = new CreateMultipartUploadCommand({ ...this.door.writeParams(this.t.bucket, this.t.key), Metadata: this.t.metadata, ...this.t.headers });
    const startedAt = Date.now();
    const res = await this.door.send<{ UploadId?: string }>(cmd, this.t.remote, 'start upload of', { signal: this.signal });
    if (!res.UploadId) throw fsError('other', `start upload of ${this.door.name}:${this.t.remote}: the server answered without an upload id`, { retry: 'retryable' });
    this.uploadId = res.UploadId;
    if (attemptsOf(cmd) > 1) await abortStrays(this.door, this.t, res.UploadId, startedAt, this.signal);
    if (!this.journaled) return;
    try {
      this.journal = createJournal({ v: 1, ...this.place, ...this.identity(), uploadId: res.UploadId, created: Date.now() });
    } catch (err) {
      logDebug(this.t.remote, `can't keep a journal to resume this upload: ${(err as Error).message}`);
    }
  }

  private record(part: SentPart): void {
    if (!this.journal || this.journal.parts.get(part.PartNumber)?.etag === part.ETag) return;
    try {
      appendPart(this.journal, { n: part.PartNumber, etag: part.ETag, md5: part.md5, size: part.size, ...(this.encrypted ? { enc: true } : {}) });
    } catch (err) {
      logDebug(this.t.remote, `can't write the upload's journal, it won't be resumable: ${(err as Error).message}`);
      try {
        deleteJournal(this.journal);
      } catch {
        // Nothing more to do: a journal that can't be written or removed is left to cleanup.
      }
      this.journal = undefined;
    }
  }

  private async sendParts(first: Buffer | undefined): Promise<void> {
    const concurrency = Math.max(1, this.door.opt.uploadConcurrency);
    const inflight = new Set<Promise<void>>();
    let buf = first;
    let n = 1;
    while (buf !== undefined && this.failure === undefined) {
      if (n > this.door.opt.maxUploadParts) {
        this.fail(
          fsError('other', `${this.t.remote}: a stream of unknown size can be at most ${this.door.opt.maxUploadParts} parts of ${this.partSize} bytes: raise --s3-chunk-size`, {
            retry: 'noRetry',
          }),
        );
        break;
      }
      const known = this.known.get(n);
      if (known) {
        let md5: string;
        try {
          md5 = this.md5Of(n, buf);
        } catch (err) {
          this.fail(err);
          break;
        }
        this.reader.release(buf);
        if (md5 !== known.md5) {
          logNotice(this.t.remote, `part ${n} of the source differs from the part uploaded before the interruption: the source changed, starting over`);
          this.fail(fsError('other', `${this.t.remote}: the source changed since its interrupted upload began (part ${n} differs): starting over`, { retry: 'retryable' }));
          break;
        }
        const part = { PartNumber: n, ETag: known.etag, size: buf.length, md5 };
        this.sent.push(part);
        this.record(part);
      } else {
        while (inflight.size >= concurrency && this.failure === undefined) await Promise.race(inflight);
        if (this.failure !== undefined) break;
        const part = buf;
        const job: Promise<void> = this.sendPart(n, part).then(
          () => {
            inflight.delete(job);
            this.reader.release(part);
          },
          (err: unknown) => {
            inflight.delete(job);
            this.fail(this.t.signal?.aborted ? this.interruptError() : err);
          },
        );
        inflight.add(job);
      }
      buf = undefined;
      n++;
      try {
        buf = await this.reader.next();
      } catch (err) {
        this.fail(err);
      }
    }
    // Every request has ended before this returns, so an abort comes after the last part.
    await Promise.allSettled([...inflight]);
    if (this.failure !== undefined) throw this.failure;
  }

  private async sendPart(n: number, buf: Buffer): Promise<void> {
    const md5 = Buffer.from(this.md5Of(n, buf), 'hex');
    const cmd = new UploadPartCommand({
      Bucket: this.t.bucket,
      Key: this.t.key,
      UploadId: this.uploadId,
      PartNumber: n,
      Body: buf,
      ContentLength: buf.length,
      ContentMD5: this.contentMd5 ? md5.toString('base64') : undefined,
    });
    if (this.contentMd5) unsignedPayload(cmd);
    const res = await this.door.send<{ ETag?: string; ServerSideEncryption?: string; SSECustomerAlgorithm?: string }>(
      cmd,
      this.t.remote,
      `upload part ${n} of`,
      { signal: this.signal },
    );
    if (!res.ETag) throw fsError('other', `upload part ${n} of ${this.door.name}:${this.t.remote}: the server answered without an ETag`, { retry: 'retryable' });
    // A bucket may encrypt with KMS by default, whatever this remote's options say: its part
    // ETags are then not MD5s (Content-MD5 has had the server check the bytes already).
    if (encryptedEtag(res)) this.encrypted = true;
    const part = { PartNumber: n, ETag: res.ETag, size: buf.length, md5: md5.toString('hex') };
    this.sent.push(part);
    this.record(part);
  }

  private async complete(): Promise<UploadResult> {
    const bytes = this.t.size >= 0 ? this.t.size : this.reader.read;
    const count = this.t.size >= 0 ? this.totalParts : Math.max(...this.sent.map((p) => p.PartNumber), 0);
    const parts = checkParts(this.t.remote, this.sent, { bytes, count, etagIsMd5: !this.door.sseChangesEtag && !this.encrypted });
    let res: { ETag?: string; Key?: string; Location?: string };
    const cmd = new CompleteMultipartUploadCommand({ Bucket: this.t.bucket, Key: this.t.key, UploadId: this.uploadId, MultipartUpload: { Parts: parts } });
    try {
      res = await this.door.send<{ ETag?: string; Key?: string; Location?: string }>(cmd, this.t.remote, 'finish upload of', { signal: this.signal });
    } catch (err) {
      // A Complete whose answer was lost is sent again, and the server, done with it, no
      // longer knows the upload: the object itself says whether it was completed. (Only
      // then: on a first attempt NoSuchUpload means someone aborted it.)
      const done = isNoSuchUpload(err) && attemptsOf(cmd) > 1 ? await this.completedBefore(bytes) : undefined;
      if (done === undefined) throw err;
      res = { ETag: done };
    }
    if (!completed(res)) throw noResult(this.door.name, this.t.remote, 'finish upload of');
    this.uploadId = undefined;
    if (this.journal) deleteJournal(this.journal);
    return { size: bytes, etag: res.ETag ?? '', encrypted: this.encrypted, md5: this.wholeMd5 };
  }

  /** The object's ETag when it is exactly this upload completed (multipart ETag and size match), else undefined. */
  private async completedBefore(bytes: number): Promise<string | undefined> {
    if (this.door.sseChangesEtag || this.encrypted || !this.door.quirks.multipartEtag) return undefined;
    const md5s = this.sent.sort((a, b) => a.PartNumber - b.PartNumber).map((p) => Buffer.from(p.md5, 'hex'));
    const expected = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${md5s.length}`;
    try {
      const head = await this.door.send<{ ETag?: string; ContentLength?: number; Metadata?: Record<string, string> }>(
        new HeadObjectCommand({ Bucket: this.t.bucket, Key: this.t.key }),
        this.t.remote,
        'check upload of',
        { signal: this.signal },
      );
      const same = head.ETag !== undefined && unquote(head.ETag) === expected && head.ContentLength === bytes && head.Metadata?.mtime === this.t.metadata.mtime;
      return same ? head.ETag : undefined;
    } catch {
      return undefined;
    }
  }

  private async putSingle(body: Buffer): Promise<UploadResult> {
    const md5 = createHash('md5').update(body).digest();
    const cmd = new PutObjectCommand({
      ...this.door.writeParams(this.t.bucket, this.t.key),
      Body: body,
      ContentLength: body.length,
      Metadata: this.t.metadata,
      ...this.t.headers,
      ContentMD5: this.contentMd5 ? md5.toString('base64') : undefined,
    });
    if (this.contentMd5) unsignedPayload(cmd);
    const res = await this.door.send<{ ETag?: string; ServerSideEncryption?: string; SSECustomerAlgorithm?: string }>(
      cmd,
      this.t.remote,
      'upload',
      { signal: this.signal },
    );
    return { size: body.length, etag: res.ETag ?? '', encrypted: encryptedEtag(res) };
  }

  /** After a failure: keep an interrupted journaled upload, abort any other, and say why it failed. */
  private async failed(err: unknown): Promise<unknown> {
    const interrupted = this.t.signal?.aborted === true;
    const error = interrupted ? this.interruptError() : (this.failure ?? err);
    if (!this.data.destroyed) this.data.destroy();
    if (this.uploadId !== undefined) {
      if (interrupted && this.journal) {
        logNotice(this.t.remote, `interrupted: kept the unfinished upload (${this.sent.length} of ${this.totalParts} parts on the server) so that the next run of the same command resumes it ("nclone cleanup" removes it)`);
        return error;
      }
      await abortUpload(this.door, this.t, this.uploadId);
      if (this.journal && !this.door.opt.leavePartsOnError) deleteJournal(this.journal);
    }
    if (error instanceof FsError || this.failure === error) return error;
    return mapS3Error(error, this.door.errorContext(this.t.remote, 'upload'));
  }
}

/**
 * Signs the request without hashing its body (x-amz-content-sha256: UNSIGNED-PAYLOAD), for
 * bodies sent with Content-MD5: the server checks those bytes against the MD5, a signed
 * header, so a SHA-256 of every byte (the SDK's default over plain http) adds CPU and no
 * protection against damage on the way.
 */
export function unsignedPayload(cmd: { middlewareStack: { add: UploadPartCommand['middlewareStack']['add'] } }): void {
  cmd.middlewareStack.add(
    (next) => (args) => {
      const req = args.request as { headers?: Record<string, string> };
      if (req.headers) req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'ncloneUnsignedPayload' },
  );
}

/** The parts of an upload on the server, every page (a page marker that repeats is an error). */
async function listParts(door: S3Door, t: { bucket: string; key: string; remote: string }, uploadId: string, signal: AbortSignal): Promise<{ PartNumber?: number; ETag?: string; Size?: number }[]> {
  const out: { PartNumber?: number; ETag?: string; Size?: number }[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const res = await door.send<{ Parts?: { PartNumber?: number; ETag?: string; Size?: number }[]; IsTruncated?: boolean; NextPartNumberMarker?: string | number }>(
      new ListPartsCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumberMarker: marker }),
      t.remote,
      'list the uploaded parts of',
      { signal },
    );
    out.push(...(res.Parts ?? []));
    if (!res.IsTruncated) return out;
    // Part numbers run 1..10000: a marker must go up and stay within them, or the listing
    // would go on forever.
    const next = Number(res.NextPartNumberMarker);
    const bad = !Number.isInteger(next) || next < 1 || next > 10_000 || (marker !== undefined && next <= Number(marker)) || out.length > 10_000;
    if (bad || seen.has(String(next))) {
      throw fsError('other', `list the uploaded parts of ${door.name}:${t.remote}: the server's listing of parts does not advance (marker ${JSON.stringify(String(res.NextPartNumberMarker ?? ''))})`, { retry: 'noRetry' });
    }
    seen.add(String(next));
    marker = String(next);
  }
}

/**
 * A multipart upload of the source: see MultipartUpload. Returns the bytes sent and the
 * object's ETag.
 */
export async function uploadMultipart(door: S3Door, t: MultipartTarget, data: Readable): Promise<UploadResult> {
  checkStartable(data, t.signal, t.remote);
  const partSize = partSizeFor(t.size, door.opt.chunkSize, door.opt.maxUploadParts);
  return new MultipartUpload(door, t, data, partSize).run();
}

/** An unfinished multipart upload as ListMultipartUploads describes it. */
export type PendingUpload = ListedUpload & { Key: string; UploadId: string };

/** Every unfinished multipart upload below bucket/prefix (whose key starts with prefix, with exactKey). */
export async function listUploads(door: S3Door, bucket: string, prefix: string, signal: AbortSignal | undefined, exactKey = false): Promise<PendingUpload[]> {
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  const seen = new Set<string>();
  const out: PendingUpload[] = [];
  for (;;) {
    const res = await door.send<{
      Uploads?: ListedUpload[];
      IsTruncated?: boolean;
      NextKeyMarker?: string;
      NextUploadIdMarker?: string;
    }>(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix === '' ? undefined : exactKey ? prefix : `${prefix}/`, KeyMarker: keyMarker, UploadIdMarker: idMarker }), bucket, 'list unfinished uploads of', { signal });
    for (const u of res.Uploads ?? []) if (u.Key && u.UploadId) out.push(u as PendingUpload);
    if (!res.IsTruncated) return out;
    const next = `${res.NextKeyMarker ?? ''}\u0000${res.NextUploadIdMarker ?? ''}`;
    if (seen.has(next) || (!res.NextKeyMarker && !res.NextUploadIdMarker)) {
      throw fsError('other', `list unfinished uploads of ${door.name}:${bucket}: the server's listing repeats itself (the same marker again, or none)`, { retry: 'noRetry' });
    }
    seen.add(next);
    keyMarker = res.NextKeyMarker;
    idMarker = res.NextUploadIdMarker;
  }
}

/**
 * Removes what interrupted uploads left below bucket/prefix (rclone's cleanup, plus nclone's
 * journals). "Old" is started at least maxAgeMs ago (every upload when maxAgeMs is not given).
 * - A journal whose upload is no longer on the server is deleted.
 * - A journaled upload is aborted (and its journal deleted) when it is old or its source
 *   file is gone; a younger one whose source is still there is kept, for the next run to resume.
 * - An upload with no journal here (another tool's, or nclone's on another machine) is
 *   aborted when old, and only with `all`.
 * With dryRun, each is only logged.
 */
export async function cleanupUploads(door: S3Door, bucket: string, prefix: string, o: CleanupOptions): Promise<void> {
  const pending = await listUploads(door, bucket, prefix, o.signal);
  // A journal's head is written and renamed in a moment: an hour-old one was a killed run's.
  if (!o.dryRun) removeStaleTemps(60 * 60_000);
  const now = Date.now();
  const isOld = (since: number | undefined) => o.maxAgeMs === undefined || since === undefined || now - since >= o.maxAgeMs;
  const journals = listJournals().filter(
    (j) => j.head.remote === door.name && j.head.endpoint === door.opt.endpoint && j.head.bucket === bucket && (prefix === '' || j.head.key.startsWith(`${prefix}/`)),
  );
  const byId = new Map(journals.map((j) => [j.head.uploadId, j]));
  const live = new Set(pending.map((u) => u.UploadId));
  for (const j of journals) {
    if (live.has(j.head.uploadId)) continue;
    if (o.dryRun) logNotice(j.head.key, 'Skipped removing the journal of an upload no longer on the server as --dry-run is set');
    else {
      deleteJournal(j);
      logInfo(j.head.key, 'Removed the journal of an upload that is no longer on the server');
    }
  }
  for (const u of pending) {
    const j = byId.get(u.UploadId);
    const since = u.Initiated?.getTime() ?? j?.head.created;
    let why: string;
    if (j) {
      const gone = !sourceExists(j.head.origin);
      if (!gone && !isOld(since)) {
        logInfo(u.Key, `Kept an interrupted upload of ${j.head.origin} younger than the maximum age: the next run of the same copy resumes it`);
        continue;
      }
      why = gone ? `its source ${j.head.origin} is gone` : 'it is older than the maximum age';
    } else {
      if (!o.all || !isOld(since)) {
        logDebug(u.Key, 'Left an unfinished upload alone (not old enough, or not started by nclone here)');
        continue;
      }
      why = 'it is older than the maximum age';
    }
    if (o.dryRun) {
      logNotice(u.Key, `Skipped aborting the unfinished upload (${why}) as --dry-run is set`);
      continue;
    }
    await door.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }), u.Key, 'abort upload of', { signal: o.signal });
    if (j) deleteJournal(j);
    logInfo(u.Key, `Aborted an unfinished multipart upload: ${why}`);
  }
}
