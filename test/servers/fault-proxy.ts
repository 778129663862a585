/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the test RGW.
 *
 * Every request is forwarded unchanged (the Host header stays as the client sent it, so
 * SigV4 and V2 signatures still verify at the RGW) and the answer streamed back, unless the
 * rule says otherwise for that request. A fake answer (`respond`, `status`) or a changed body
 * (`mutateBody`, `setHeaders`, `corrupt`) is used only where the real RGW cannot be made to
 * behave so on its own: an HTML page with status 200, a listing that claims more pages than it
 * can give, a marker that repeats, a corrupted body, the ETag and encryption headers of a
 * server that encrypts with KMS, a 500 or a 503 SlowDown. The network faults (`reset`,
 * `truncate`, `delay`) act on the real connections: the sockets are really reset (RST) or
 * closed early, the answer really held back.
 *
 * randomFaults() builds a rule that injects faults of chosen kinds into a fraction of the
 * requests, deterministically for a seed, and counts what reached the client by kind.
 */
import * as http from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: import('node:http').IncomingHttpHeaders;
  /** When the request arrived (Date.now()). */
  at?: number;
}

/** Where a `reset` fault destroys the connection. */
export type ResetPoint =
  | 'beforeRequestBody' // nothing of the request body is read, nothing forwarded
  | 'duringRequestBody' // after part of the request body (afterBytes, default half); forwarded part is abandoned
  | 'beforeResponse' // the request reached the server and was done, the answer is lost
  | 'afterResponseHeaders' // the answer's headers were sent, none of its body
  | 'duringResponseBody'; // after part of the answer's body (afterBytes, default half)

export type FaultAction =
  | { respond: { status: number; headers?: Record<string, string>; body: string | Buffer } } // answer instead of the server
  | { mutateBody: (body: Buffer) => Buffer } // forward, then change the response body before sending it (Content-Length fixed up)
  | { setHeaders: Record<string, string> } // forward, with these response headers set (e.g. what an encrypting server adds)
  | { reset: ResetPoint; afterBytes?: number } // destroy the client's connection (RST) at that point
  | { truncate: number } // forward; send only the first N bytes of the body (Content-Length as the server said), then close
  | { delay: number; afterBytes?: number } // hold N ms: before forwarding, or, with afterBytes, after that much of the answer's body
  | { status: number; code?: string; message?: string; retryAfter?: number } // an S3 error answer (XML body) instead of the server
  | { corrupt: number | true } // forward, flip one byte of the response body (at that offset, default the middle); length kept
  | { corruptRequest: number | true }; // flip one byte of the request body on its way to the server (offset, default the middle)

/** A fault; onApplied is called once it really reached the client (e.g. a truncation of an empty body never does). */
export type Fault = FaultAction & { onApplied?: () => void };

export interface FaultProxy {
  endpoint: string /* http://127.0.0.1:PORT */;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

// Per-hop headers: they describe the client's connection to the proxy, not the request.
// None of them is signed (SigV4 and V2 both leave them out).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'expect', 'upgrade']);

const ERROR_TEXT: Record<number, [string, string]> = {
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['SlowDown', 'Please reduce your request rate.'],
  429: ['TooManyRequests', 'Please reduce your request rate.'],
};

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The XML body S3 sends with an error. */
export function s3ErrorXml(code: string, message: string, resource = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>tx-fault-proxy</RequestId></Error>`;
}

function contentLength(headers: http.IncomingHttpHeaders): number | undefined {
  const v = headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** RST, not FIN: the peer sees ECONNRESET. */
function resetSocket(socket: Socket | null | undefined): void {
  if (!socket || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** Passes the first `limit` bytes, then calls done() once (the rest is dropped). */
class Limit extends Transform {
  private seen = 0;
  private fired = false;
  constructor(
    private readonly limit: number,
    private readonly done: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.fired) return cb();
    const room = this.limit - this.seen;
    if (chunk.length < room) {
      this.seen += chunk.length;
      return cb(null, chunk);
    }
    this.seen = this.limit;
    this.fired = true;
    if (room > 0) this.push(chunk.subarray(0, room));
    cb();
    this.done();
  }
}

/** Flips the byte at `offset` (or the last byte, if the stream is shorter and at least one byte long). */
class FlipByte extends Transform {
  private seen = 0;
  private flipped = false;
  private last: Buffer | undefined;
  constructor(
    private readonly offset: number,
    private readonly applied: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.flipped && this.offset >= this.seen && this.offset < this.seen + chunk.length) {
      chunk = Buffer.from(chunk);
      const i = this.offset - this.seen;
      chunk[i] = chunk[i]! ^ 0x5a;
      this.flipped = true;
      this.applied();
    }
    this.seen += chunk.length;
    // Hold the last chunk back, so a stream shorter than offset can still have its last byte flipped.
    const out = this.last;
    this.last = chunk;
    cb(null, out);
  }
  override _flush(cb: TransformCallback): void {
    if (this.last && !this.flipped && this.last.length > 0) {
      this.last = Buffer.from(this.last);
      this.last[this.last.length - 1] = this.last[this.last.length - 1]! ^ 0x5a;
      this.flipped = true;
      this.applied();
    }
    cb(null, this.last);
  }
}

export function startFaultProxy(target: string, rule?: (req: ProxiedRequest) => Fault | undefined): Promise<FaultProxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:' || upstream.hostname !== '127.0.0.1') throw new Error(`the fault proxy only fronts http://127.0.0.1 servers, not ${target}`);
  const agent = new http.Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const seen: ProxiedRequest = { method: req.method ?? 'GET', path: decodePath(url.pathname), query: url.searchParams, headers: req.headers, at: Date.now() };
    requests.push(seen);
    let fault: Fault | undefined;
    try {
      fault = rule?.(seen);
    } catch (err) {
      // A broken rule must show up in the test, not as a hang.
      res.writeHead(599, { 'content-type': 'text/plain' }).end(`fault proxy rule threw: ${String(err)}`);
      return;
    }
    let appliedOnce = false;
    const applied = () => {
      if (appliedOnce) return;
      appliedOnce = true;
      fault?.onApplied?.();
    };
    const isHead = seen.method === 'HEAD';

    if (fault && 'respond' in fault) {
      req.resume();
      const body = typeof fault.respond.body === 'string' ? Buffer.from(fault.respond.body) : fault.respond.body;
      res.writeHead(fault.respond.status, { ...fault.respond.headers, 'content-length': String(body.length) });
      res.end(isHead ? undefined : body);
      applied();
      return;
    }
    if (fault && 'status' in fault) {
      req.resume();
      const [code, message] = ERROR_TEXT[fault.status] ?? ['ServiceUnavailable', 'Service unavailable.'];
      const body = Buffer.from(s3ErrorXml(fault.code ?? code, fault.message ?? message, seen.path));
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/xml', 'content-length': String(body.length), 'x-amz-request-id': 'tx-fault-proxy' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      res.writeHead(fault.status, headers);
      res.end(isHead ? undefined : body);
      applied();
      return;
    }
    if (fault && 'reset' in fault && fault.reset === 'beforeRequestBody') {
      resetSocket(req.socket);
      applied();
      return;
    }
    if (fault && 'delay' in fault && fault.afterBytes === undefined) {
      // The server is slow to answer: nothing is forwarded until the time is up, so a client
      // that gives up first leaves no trace at the server.
      req.pause();
      let gone = false;
      res.once('close', () => (gone = true));
      applied();
      later(fault.delay, () => {
        if (gone || closing) return;
        forward(undefined);
      });
      return;
    }
    forward(fault);

    function forward(f: Fault | undefined): void {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => onAnswer(answer, f));
      out.on('error', (err) => {
        if (res.destroyed || req.socket.destroyed) return;
        if (res.headersSent) res.destroy(err);
        else if (!res.destroyed) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: ${err.message}`);
      });
      // The client went away (gave up, or was reset): abandon the forwarded request too.
      res.once('close', () => {
        if (!res.writableFinished) out.destroy();
      });
      req.once('error', () => out.destroy());

      if (f && 'reset' in f && f.reset === 'duringRequestBody') {
        const declared = contentLength(req.headers) ?? 0;
        const after = Math.max(1, Math.min(f.afterBytes ?? Math.floor(declared / 2), Math.max(1, declared - 1)));
        if (declared === 0 && req.headers['transfer-encoding'] === undefined) {
          // No body to cut: the same as a reset before it.
          out.destroy();
          resetSocket(req.socket);
          applied();
          return;
        }
        req.pipe(
          new Limit(after, () => {
            out.destroy();
            resetSocket(req.socket);
            applied();
          }),
        ).pipe(out);
        return;
      }
      if (f && 'corruptRequest' in f) {
        const declared = contentLength(req.headers) ?? 0;
        const offset = f.corruptRequest === true ? Math.floor(declared / 2) : f.corruptRequest;
        req.pipe(new FlipByte(offset, applied)).pipe(out);
        return;
      }
      req.pipe(out);
    }

    function onAnswer(answer: http.IncomingMessage, f: Fault | undefined): void {
      answer.on('error', (err) => res.destroy(err));
      if (f && 'reset' in f && f.reset === 'beforeResponse') {
        answer.destroy();
        resetSocket(req.socket);
        applied();
        return;
      }
      if (f && 'mutateBody' in f) {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body: Buffer;
          try {
            body = f.mutateBody(Buffer.concat(chunks));
          } catch (err) {
            res.writeHead(599, { 'content-type': 'text/plain' }).end(`fault proxy mutateBody threw: ${String(err)}`);
            return;
          }
          const h: http.OutgoingHttpHeaders = { ...answer.headers, 'content-length': String(body.length) };
          delete h['transfer-encoding'];
          delete h['content-md5'];
          res.writeHead(answer.statusCode ?? 502, h);
          res.end(body);
          applied();
        });
        return;
      }
      const set = f && 'setHeaders' in f ? f.setHeaders : {};
      const headers = { ...answer.headers, ...Object.fromEntries(Object.entries(set).map(([k, v]) => [k.toLowerCase(), v])) };
      const declared = contentLength(answer.headers);
      const hasBody = !isHead && declared !== 0;

      if (f && 'reset' in f && f.reset === 'afterResponseHeaders') {
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.destroy();
        // The headers go out first (the write callback runs once they are on the socket), then the RST.
        res.write('', () => setImmediate(() => resetSocket(req.socket)));
        if (hasBody) applied();
        return;
      }
      if (f && (('reset' in f && f.reset === 'duringResponseBody') || 'truncate' in f) && hasBody) {
        const limit = 'truncate' in f ? f.truncate : (f.afterBytes ?? Math.floor((declared ?? 2) / 2));
        const after = declared === undefined ? limit : Math.max(0, Math.min(limit, declared - 1));
        res.writeHead(answer.statusCode ?? 502, headers);
        const cut = () => {
          answer.unpipe();
          answer.destroy();
          applied();
          // Truncate ends the connection cleanly (FIN): the client sees a body shorter than its
          // Content-Length. Reset ends it with RST.
          if ('truncate' in f) res.socket?.end();
          else resetSocket(req.socket);
        };
        if (after === 0) {
          res.write('', () => setImmediate(cut));
          return;
        }
        // (setImmediate: the bytes the limit let through reach the response before the cut.)
        answer.pipe(new Limit(after, () => setImmediate(() => res.write('', () => setImmediate(cut))))).pipe(res, { end: false });
        return;
      }
      if (f && 'delay' in f && f.afterBytes !== undefined && hasBody) {
        // A stall in the middle of the body: part of it, then silence, then the rest.
        const after = declared === undefined ? f.afterBytes : Math.max(1, Math.min(f.afterBytes, declared - 1));
        res.writeHead(answer.statusCode ?? 502, headers);
        let sent = 0;
        let stalled = false;
        let holding = false;
        answer.on('data', (chunk: Buffer) => {
          if (!stalled) {
            const room = after - sent;
            if (chunk.length < room) {
              sent += chunk.length;
              if (!res.write(chunk)) answer.pause();
              return;
            }
            res.write(chunk.subarray(0, room));
            sent = after;
            stalled = holding = true;
            answer.pause();
            applied();
            const rest = chunk.subarray(room);
            later(f.delay, () => {
              holding = false;
              if (res.destroyed) return void answer.destroy();
              if (rest.length > 0) res.write(rest);
              answer.resume();
            });
            return;
          }
          if (!res.write(chunk)) answer.pause();
        });
        res.on('drain', () => {
          if (!holding) answer.resume();
        });
        answer.on('end', () => res.end());
        return;
      }
      if (f && 'corrupt' in f && hasBody) {
        const offset = f.corrupt === true ? Math.floor((declared ?? 0) / 2) : f.corrupt;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(new FlipByte(offset, applied)).pipe(res);
        return;
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
      if (f && 'setHeaders' in f) applied();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // A client that resets in the middle of a request is expected here, not an error.
  server.on('clientError', (_err, socket) => socket.destroy());

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            for (const t of timers) clearTimeout(t);
            timers.clear();
            server.close(() => done());
            for (const s of sockets) s.destroy();
            agent.destroy();
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// A seeded random schedule of faults.

/** The kinds of fault randomFaults() can inject. */
export type FaultKind =
  | 'status500' // 500 InternalError
  | 'status503' // 503 SlowDown (with Retry-After: RandomFaultOptions.retryAfter)
  | 'status429' // 429 TooManyRequests
  | 'resetBeforeRequestBody'
  | 'resetDuringRequestBody'
  | 'resetBeforeResponse'
  | 'resetAfterResponseHeaders'
  | 'resetDuringResponseBody'
  | 'truncate' // the response body cut short (FIN), Content-Length as the server said
  | 'delay' // the answer held back past --timeout (nothing forwarded meanwhile)
  | 'stall' // part of the response body, then silence past --timeout, then the rest
  | 'corrupt' // one byte of an object's body flipped on its way to the client
  | 'corruptUpload'; // one byte of an uploaded body flipped on its way to the server

export const ALL_FAULT_KINDS: readonly FaultKind[] = [
  'status500',
  'status503',
  'status429',
  'resetBeforeRequestBody',
  'resetDuringRequestBody',
  'resetBeforeResponse',
  'resetAfterResponseHeaders',
  'resetDuringResponseBody',
  'truncate',
  'delay',
  'stall',
  'corrupt',
  'corruptUpload',
];

/** Sub-resources that make a GET or PUT on a key something other than the object's bytes. */
const SUBRESOURCES = ['uploadId', 'uploads', 'acl', 'tagging', 'legal-hold', 'retention', 'torrent', 'attributes', 'restore', 'select'];

function hasKey(req: ProxiedRequest): boolean {
  const parts = req.path.split('/');
  return parts.length >= 3 && parts.slice(2).join('/') !== '';
}

function hasRequestBody(req: ProxiedRequest): boolean {
  const n = contentLength(req.headers);
  return (n !== undefined && n > 1) || (n === undefined && req.headers['transfer-encoding'] !== undefined);
}

/** GetObject: the bytes of an object (a listing or ListParts answer is not one). */
export function isObjectGet(req: ProxiedRequest): boolean {
  return req.method === 'GET' && hasKey(req) && !SUBRESOURCES.some((s) => req.query.has(s));
}

/** PutObject or UploadPart with a body (not a server-side copy). */
export function isObjectPut(req: ProxiedRequest): boolean {
  if (req.method !== 'PUT' || !hasKey(req) || req.headers['x-amz-copy-source'] !== undefined) return false;
  if (['acl', 'tagging', 'legal-hold', 'retention'].some((s) => req.query.has(s))) return false;
  return hasRequestBody(req);
}

/** CreateMultipartUpload: losing its answer would leave an upload whose id the client never learnt. */
function isCreateUpload(req: ProxiedRequest): boolean {
  return req.method === 'POST' && req.query.has('uploads');
}

/** Whether a fault of this kind can happen to this request at all. */
export function faultApplies(kind: FaultKind, req: ProxiedRequest): boolean {
  switch (kind) {
    case 'status500':
    case 'status503':
    case 'status429':
    case 'resetBeforeRequestBody':
    case 'delay':
      return true;
    case 'resetDuringRequestBody':
      return hasRequestBody(req);
    case 'resetBeforeResponse':
      // Done at the server, answer lost. Not for CreateMultipartUpload: no client can abort an
      // upload whose id it never received, so that fault would make "no orphaned uploads" impossible.
      return !isCreateUpload(req);
    case 'resetAfterResponseHeaders':
    case 'resetDuringResponseBody':
    case 'truncate':
    case 'stall':
      return req.method === 'GET';
    case 'corrupt':
      return isObjectGet(req);
    case 'corruptUpload':
      return isObjectPut(req);
  }
}

function faultFor(kind: FaultKind, delayMs: number, retryAfter: number | null): FaultAction {
  switch (kind) {
    case 'status500':
      return { status: 500 };
    case 'status503':
      return retryAfter === null ? { status: 503 } : { status: 503, retryAfter };
    case 'status429':
      return { status: 429 };
    case 'resetBeforeRequestBody':
      return { reset: 'beforeRequestBody' };
    case 'resetDuringRequestBody':
      return { reset: 'duringRequestBody' };
    case 'resetBeforeResponse':
      return { reset: 'beforeResponse' };
    case 'resetAfterResponseHeaders':
      return { reset: 'afterResponseHeaders' };
    case 'resetDuringResponseBody':
      return { reset: 'duringResponseBody' };
    case 'truncate':
      return { truncate: 1 << 30 }; // clamped to one byte short of the body
    case 'delay':
      return { delay: delayMs };
    case 'stall':
      return { delay: delayMs, afterBytes: 1 << 30 }; // clamped to one byte short of the body
    case 'corrupt':
      return { corrupt: true };
    case 'corruptUpload':
      return { corruptRequest: true };
  }
}

/** FNV-1a, 32 bits. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Query parameters that differ between attempts of the same request (signatures, dates), or
 * between runs (a multipart upload's id is new each time).
 */
const VOLATILE = /^(x-amz-(signature|date|credential|security-token|expires)|signature|expires|awsaccesskeyid|uploadid)$/i;

/** The same request on every attempt and in every run: method, path and query without its signature or upload id. */
export function requestIdentity(req: ProxiedRequest): string {
  const q = [...req.query.entries()].filter(([k]) => !VOLATILE.test(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${req.method} ${req.path}?${q.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

export interface RandomFaultOptions {
  seed: number;
  /** The fraction of request attempts that get a fault (0..1). */
  rate: number;
  /** The kinds to choose from (each request gets one of those that apply to it). */
  kinds?: readonly FaultKind[];
  /** How long `delay` and `stall` hold the answer (make it longer than nclone's --timeout). */
  delayMs?: number;
  /**
   * At most this many faults in a row for the same request (same method, path, query); the
   * attempt after them goes through. Default: 2 below a rate of 1, unlimited at 1.
   */
  maxConsecutive?: number;
  /**
   * The Retry-After (seconds) of the 503 SlowDown answers; null for none. Default 1. A client
   * that honours it pauses the whole remote, so at high rates it dominates the run time.
   */
  retryAfter?: number | null;
  /** Only requests this accepts are considered (default: all). */
  filter?: (req: ProxiedRequest) => boolean;
}

export interface FaultSchedule {
  rule: (req: ProxiedRequest) => Fault | undefined;
  /** Faults that really reached the client, by kind. */
  injected: Record<FaultKind, number>;
  /** Faults chosen, by kind (a few may not apply in the end, e.g. a truncation of an empty body). */
  chosen: Record<FaultKind, number>;
  /** Request attempts seen by the rule. */
  seen: () => number;
  /** All faults injected. */
  total: () => number;
  /** e.g. "1234 requests, 118 faults: status500 10, ..." */
  summary: () => string;
  /** Stops injecting (the rule then forwards everything). */
  stop: () => void;
}

/**
 * A rule injecting faults at random into `rate` of the request attempts. Whether an attempt
 * gets a fault, and which, depends only on the seed, the request's identity and how many
 * times that same request was seen before: the same traffic gets the same faults, whatever
 * order concurrent requests arrive in.
 */
export function randomFaults(options: RandomFaultOptions): FaultSchedule {
  const kinds = options.kinds ?? ALL_FAULT_KINDS;
  const delayMs = options.delayMs ?? 4000;
  const retryAfter = options.retryAfter === undefined ? 1 : options.retryAfter;
  const maxConsecutive = options.maxConsecutive ?? (options.rate >= 1 ? Infinity : 2);
  const zero = () => Object.fromEntries(ALL_FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const injected = zero();
  const chosen = zero();
  const attempts = new Map<string, number>();
  const streak = new Map<string, number>();
  let seen = 0;
  let stopped = false;
  const total = () => Object.values(injected).reduce((a, b) => a + b, 0);

  const rule = (req: ProxiedRequest): Fault | undefined => {
    if (stopped || (options.filter && !options.filter(req))) return undefined;
    seen++;
    const id = requestIdentity(req);
    const n = attempts.get(id) ?? 0;
    attempts.set(id, n + 1);
    const rand = prng(hash32(`${id}#${n}`, options.seed));
    const hit = rand() < options.rate;
    const applicable = kinds.filter((k) => faultApplies(k, req));
    const run = streak.get(id) ?? 0;
    if (!hit || applicable.length === 0 || run >= maxConsecutive) {
      streak.set(id, 0);
      return undefined;
    }
    streak.set(id, run + 1);
    const kind = applicable[Math.floor(rand() * applicable.length)]!;
    chosen[kind]++;
    return { ...faultFor(kind, delayMs, retryAfter), onApplied: () => injected[kind]++ } as Fault;
  };

  return {
    rule,
    injected,
    chosen,
    seen: () => seen,
    total,
    summary: () =>
      `${seen} requests, ${total()} faults injected: ` +
      ALL_FAULT_KINDS.filter((k) => kinds.includes(k))
        .map((k) => `${k} ${injected[k]}`)
        .join(', '),
    stop: () => {
      stopped = true;
    },
  };
}
