/**
 * The fault proxy itself (test/servers/fault-proxy.ts), in front of a plain HTTP server on
 * 127.0.0.1: each fault does to the client what it says (a reset is ECONNRESET, a truncated
 * body is shorter than its Content-Length, a corrupted one has the same length and one byte
 * different, ...), and the random schedule is deterministic for a seed, hits about the rate
 * asked, and never faults the same request more than maxConsecutive times in a row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALL_FAULT_KINDS, randomFaults, startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../servers/fault-proxy.js';

const BODY = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) & 0xff));

let upstream: http.Server;
let proxy: FaultProxy;
let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
/** What the upstream server received as request bodies. */
const received: Buffer[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) });
      res.end(BODY);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startFaultProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, (req) => rule(req));
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((r) => upstream.close(() => r()));
});

interface Got {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body: Buffer;
  error?: string;
  ms: number;
}

function request(method: string, path: string, body?: Buffer): Promise<Got> {
  const start = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let headers: http.IncomingHttpHeaders | undefined;
    const done = (error?: string) => resolve({ status, headers, body: Buffer.concat(chunks), error, ms: Date.now() - start });
    const req = http.request({ host: '127.0.0.1', port: Number(new URL(proxy.endpoint).port), method, path, agent: false, headers: body ? { 'content-length': String(body.length) } : {} }, (res) => {
      status = res.statusCode;
      headers = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done());
      res.on('aborted', () => done('aborted'));
      res.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    });
    req.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    req.end(body);
  });
}

describe('each fault does what it says', () => {
  it('no fault: forwarded unchanged', async () => {
    rule = () => undefined;
    const got = await request('GET', '/b/key');
    expect(got.status).toBe(200);
    expect(got.body.equals(BODY)).toBe(true);
  });

  it('reset before the request body: the client sees ECONNRESET, nothing reaches the server', async () => {
    received.length = 0;
    rule = () => ({ reset: 'beforeRequestBody' });
    const got = await request('PUT', '/b/key', BODY);
    expect(got.error).toMatch(/ECONNRESET|EPIPE/);
    expect(received).toEqual([]);
  });

  it('reset during the request body: ECONNRESET, the server never gets the whole body', async () => {
    received.length = 0;
    rule = () => ({ reset: 'duringRequestBody', afterBytes: 1000 });
    const got = await request('PUT', '/b/key', BODY);
    expect(got.error).toMatch(/ECONNRESET|EPIPE/);
    await new Promise((r) => setTimeout(r, 100));
    expect(received.every((b) => b.length < BODY.length)).toBe(true);
  });

  it('reset before the response: the server got the request, the client ECONNRESET', async () => {
    received.length = 0;
    rule = () => ({ reset: 'beforeResponse' });
    const got = await request('PUT', '/b/key', BODY);
    expect(got.error).toMatch(/ECONNRESET|socket hang up/);
    expect(received.length).toBe(1);
    expect(received[0]!.equals(BODY)).toBe(true);
  });

  it('reset after the response headers: status seen, then the connection is gone', async () => {
    rule = () => ({ reset: 'afterResponseHeaders' });
    const got = await request('GET', '/b/key');
    expect(got.status).toBe(200);
    expect(got.error).toBeDefined();
    expect(got.body.length).toBe(0);
  });

  it('reset during the response body: part of the body, then ECONNRESET/aborted', async () => {
    rule = () => ({ reset: 'duringResponseBody', afterBytes: 5000 });
    const got = await request('GET', '/b/key');
    expect(got.error).toBeDefined();
    expect(got.body.length).toBeLessThan(BODY.length);
  });

  it('truncate: Content-Length as the server said, fewer bytes, then the connection closes', async () => {
    rule = () => ({ truncate: 1234 });
    const got = await request('GET', '/b/key');
    expect(got.headers?.['content-length']).toBe(String(BODY.length));
    expect(got.error).toBeDefined();
    expect(got.body.length).toBe(1234);
    expect(got.body.equals(BODY.subarray(0, 1234))).toBe(true);
  });

  it('delay: the answer comes that much later, complete', async () => {
    rule = () => ({ delay: 400 });
    const got = await request('GET', '/b/key');
    expect(got.ms).toBeGreaterThanOrEqual(390);
    expect(got.body.equals(BODY)).toBe(true);
  });

  it('stall (delay after some bytes): part of the body, silence, then the rest', async () => {
    rule = () => ({ delay: 400, afterBytes: 100 });
    const got = await request('GET', '/b/key');
    expect(got.ms).toBeGreaterThanOrEqual(390);
    expect(got.body.equals(BODY)).toBe(true);
  });

  it('status: S3 error XML, Retry-After when asked, no body for HEAD', async () => {
    rule = () => ({ status: 503, retryAfter: 3 });
    const got = await request('GET', '/b/key');
    expect(got.status).toBe(503);
    expect(got.headers?.['retry-after']).toBe('3');
    expect(got.body.toString()).toContain('<Code>SlowDown</Code>');
    rule = () => ({ status: 500 });
    expect((await request('GET', '/b/key')).body.toString()).toContain('<Code>InternalError</Code>');
    rule = () => ({ status: 429 });
    const head = await request('HEAD', '/b/key');
    expect(head.status).toBe(429);
    expect(head.body.length).toBe(0);
  });

  it('corrupt: same length, exactly one byte different', async () => {
    rule = () => ({ corrupt: true });
    const got = await request('GET', '/b/key');
    expect(got.body.length).toBe(BODY.length);
    expect([...got.body].filter((b, i) => b !== BODY[i]).length).toBe(1);
  });

  it('corruptRequest: the server gets the body with exactly one byte different', async () => {
    received.length = 0;
    rule = () => ({ corruptRequest: true });
    const got = await request('PUT', '/b/key', BODY);
    expect(got.status).toBe(200);
    expect(received[0]!.length).toBe(BODY.length);
    expect([...received[0]!].filter((b, i) => b !== BODY[i]).length).toBe(1);
  });
});

describe('randomFaults', () => {
  const reqs: ProxiedRequest[] = Array.from({ length: 4000 }, (_, i) => ({
    method: i % 3 === 0 ? 'PUT' : 'GET',
    path: `/bucket/key-${i % 1000}`,
    query: new URLSearchParams(i % 5 === 0 ? { partNumber: '1', uploadId: `id-${i}` } : {}),
    headers: i % 3 === 0 ? { 'content-length': '5000' } : {},
  }));
  const decisions = (seed: number) => {
    const s = randomFaults({ seed, rate: 0.1 });
    return { picks: reqs.map((r) => Object.keys(s.rule(r) ?? {}).filter((k) => k !== 'onApplied')[0] ?? '-').join(','), s };
  };

  it('is deterministic for a seed and differs between seeds', () => {
    expect(decisions(7).picks).toBe(decisions(7).picks);
    expect(decisions(7).picks).not.toBe(decisions(8).picks);
  });

  it('faults about the rate asked, with every kind that applies', () => {
    const { s } = decisions(7);
    const chosen = Object.values(s.chosen).reduce((a, b) => a + b, 0);
    expect(chosen).toBeGreaterThan(300);
    expect(chosen).toBeLessThan(500);
    for (const k of ALL_FAULT_KINDS) expect(s.chosen[k], k).toBeGreaterThan(0);
  });

  it('never faults the same request more than maxConsecutive times in a row; at rate 1 always', () => {
    const s = randomFaults({ seed: 1, rate: 0.9, maxConsecutive: 2 });
    const same: ProxiedRequest = { method: 'GET', path: '/bucket/k', query: new URLSearchParams(), headers: {} };
    let run = 0;
    for (let i = 0; i < 200; i++) {
      run = s.rule(same) ? run + 1 : 0;
      expect(run).toBeLessThanOrEqual(2);
    }
    const all = randomFaults({ seed: 1, rate: 1 });
    for (let i = 0; i < 50; i++) expect(all.rule(same)).toBeDefined();
  });
});
