/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the test RGW.
 *
 * Every request is forwarded unchanged (the Host header stays as the client sent it, so
 * SigV4 and V2 signatures still verify at the RGW) and the answer streamed back, unless the
 * rule says otherwise for that request. A fake answer (`respond`) or a changed body
 * (`mutateBody`, `setHeaders`) is used only where the real RGW cannot be made to behave so on
 * its own: an HTML page with status 200, a listing that claims more pages than it can give,
 * a marker that repeats, a corrupted body, the ETag and encryption headers of a server that
 * encrypts with KMS. Everything else the client sees comes from the real server.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: import('node:http').IncomingHttpHeaders;
}

export type Fault =
  | { respond: { status: number; headers?: Record<string, string>; body: string | Buffer } } // answer instead of the server
  | { mutateBody: (body: Buffer) => Buffer } // forward, then change the response body before sending it (Content-Length fixed up)
  | { setHeaders: Record<string, string> }; // forward, with these response headers set (e.g. what an encrypting server adds)

export interface FaultProxy {
  endpoint: string /* http://127.0.0.1:PORT */;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

// Per-hop headers: they describe the client's connection to the proxy, not the request.
// None of them is signed (SigV4 and V2 both leave them out).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'expect', 'upgrade']);

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function startFaultProxy(target: string, rule?: (req: ProxiedRequest) => Fault | undefined): Promise<FaultProxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:' || upstream.hostname !== '127.0.0.1') throw new Error(`the fault proxy only fronts http://127.0.0.1 servers, not ${target}`);
  const agent = new http.Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const seen: ProxiedRequest = { method: req.method ?? 'GET', path: decodePath(url.pathname), query: url.searchParams, headers: req.headers };
    requests.push(seen);
    let fault: Fault | undefined;
    try {
      fault = rule?.(seen);
    } catch (err) {
      // A broken rule must show up in the test, not as a hang.
      res.writeHead(599, { 'content-type': 'text/plain' }).end(`fault proxy rule threw: ${String(err)}`);
      return;
    }
    if (fault && 'respond' in fault) {
      req.resume();
      const body = typeof fault.respond.body === 'string' ? Buffer.from(fault.respond.body) : fault.respond.body;
      res.writeHead(fault.respond.status, { ...fault.respond.headers, 'content-length': String(body.length) });
      res.end(seen.method === 'HEAD' ? undefined : body);
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      const mutate = fault && 'mutateBody' in fault ? fault.mutateBody : undefined;
      if (!mutate) {
        const set = fault && 'setHeaders' in fault ? fault.setHeaders : {};
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...Object.fromEntries(Object.entries(set).map(([k, v]) => [k.toLowerCase(), v])) });
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('error', (err) => res.destroy(err));
      answer.on('end', () => {
        let body: Buffer;
        try {
          body = mutate(Buffer.concat(chunks));
        } catch (err) {
          res.writeHead(599, { 'content-type': 'text/plain' }).end(`fault proxy mutateBody threw: ${String(err)}`);
          return;
        }
        const h: http.OutgoingHttpHeaders = { ...answer.headers, 'content-length': String(body.length) };
        delete h['transfer-encoding'];
        delete h['content-md5'];
        res.writeHead(answer.statusCode ?? 502, h);
        res.end(body);
      });
    });
    out.on('error', (err) => {
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: ${err.message}`);
    });
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
            agent.destroy();
          }),
      });
    });
  });
}
