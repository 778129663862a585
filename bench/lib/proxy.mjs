// The counting proxy between the tools and the RGW. It works at the TCP level: each client
// connection gets its own connection to the RGW and bytes are passed through unchanged both
// ways (so the Host header and SigV4 signatures are untouched, and keep-alive on one side is
// keep-alive on the other). It reads just enough of the client's stream to find where each
// request starts (its head, then Content-Length or chunked framing of its body), counts it by
// method and kind, counts the connections opened, and can hold each request back a fixed time before passing it on (a WAN's
// latency, workload 8). An HTTP-level proxy in Node cost about 0.5–1 ms of CPU per request
// here, as much as a tool's own CPU per request; this costs a few microseconds.
// It runs in a child process of its own, so its CPU (from /proc) can be recorded per run apart
// from the tools' and the harness's; the harness asks it for the counts over IPC.
import { fork } from 'node:child_process';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';

export function emptyCounts() {
  return { connections: 0, total: 0, GET: 0, PUT: 0, HEAD: 0, POST: 0, DELETE: 0, other: 0, list: 0, copy: 0, batchDelete: 0 };
}

const CRLF2 = Buffer.from('\r\n\r\n');

function count(c, head) {
  const line = head.slice(0, head.indexOf('\r\n'));
  const [m, url = ''] = line.split(' ');
  c.total++;
  if (m === 'GET' || m === 'PUT' || m === 'HEAD' || m === 'POST' || m === 'DELETE') c[m]++;
  else c.other++;
  // Kinds beside the method: a service- or bucket-level GET is a listing; a PUT naming a copy
  // source is a server-side copy (or a metadata update); POST ?delete is DeleteObjects.
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  const slash = p.indexOf('/', 1);
  if (m === 'GET' && (slash < 0 || slash === p.length - 1)) c.list++;
  else if (m === 'PUT' && /\r\nx-amz-copy-source:/i.test(head)) c.copy++;
  else if (m === 'POST' && q >= 0 && /[?&]delete(=|&|$)/.test(url.slice(q))) c.batchDelete++;
}

/** Where each request of one client connection starts and ends. */
class Framer {
  constructor(onHead) {
    this.onHead = onHead;
    this.mode = 'head'; // head | body | chunkSize | chunkData | chunkEnd | trailer
    this.pending = null; // bytes of an unfinished head or chunk-size line
    this.left = 0;
  }
  /** True when this chunk starts a new request (nothing of it seen yet). */
  atStart() {
    return this.mode === 'head' && this.pending === null;
  }
  feed(buf) {
    let i = 0;
    while (i < buf.length) {
      if (this.mode === 'body' || this.mode === 'chunkData') {
        const n = Math.min(this.left, buf.length - i);
        i += n;
        this.left -= n;
        if (this.left === 0) this.mode = this.mode === 'body' ? 'head' : 'chunkEnd';
        continue;
      }
      // Line-oriented states: gather bytes up to the terminator.
      const sep = this.mode === 'head' || this.mode === 'trailer' ? CRLF2 : CRLF2.subarray(0, 2);
      let data = buf.subarray(i);
      if (this.pending) data = Buffer.concat([this.pending, data]);
      // A trailer section that is just CRLF ends at once.
      if (this.mode === 'trailer' && data.length >= 2 && data[0] === 13 && data[1] === 10) {
        i += 2 - (this.pending ? this.pending.length : 0);
        this.pending = null;
        this.mode = 'head';
        continue;
      }
      const at = data.indexOf(sep);
      if (at < 0) {
        this.pending = data;
        return;
      }
      const consumed = at + sep.length - (this.pending ? this.pending.length : 0);
      const text = data.subarray(0, at).toString('latin1');
      this.pending = null;
      i += consumed;
      if (this.mode === 'head') {
        if (text.length === 0) continue; // stray CRLF between requests
        this.onHead(text + '\r\n');
        const te = /\r\ntransfer-encoding:[^\r]*chunked/i.test(text + '\r\n');
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (te) this.mode = 'chunkSize';
        else if (cl && Number(cl[1]) > 0) {
          this.mode = 'body';
          this.left = Number(cl[1]);
        }
      } else if (this.mode === 'chunkSize') {
        const size = parseInt(text, 16);
        if (size === 0) this.mode = 'trailer';
        else {
          this.mode = 'chunkData';
          this.left = size;
        }
      } else if (this.mode === 'chunkEnd') {
        this.mode = 'chunkSize';
      } else {
        this.mode = 'head'; // trailer done
      }
    }
  }
}

async function serve(target) {
  const up = new URL(target);
  const state = { counts: emptyCounts(), delayMs: 0 };
  const conns = new Set();

  const server = net.createServer((client) => {
    const server = net.connect({ host: up.hostname, port: Number(up.port), noDelay: true });
    client.setNoDelay(true);
    conns.add(client);
    conns.add(server);
    state.counts.connections++;
    const framer = new Framer((head) => count(state.counts, head));
    const pass = (chunk) => {
      framer.feed(chunk);
      if (server.write(chunk)) return true;
      client.pause();
      server.once('drain', () => client.resume());
      return false;
    };
    client.on('data', (chunk) => {
      if (state.delayMs > 0 && framer.atStart()) {
        client.pause();
        setTimeout(() => {
          if (pass(chunk)) client.resume();
        }, state.delayMs);
      } else pass(chunk);
    });
    server.pipe(client);
    const done = () => {
      conns.delete(client);
      conns.delete(server);
      client.destroy();
      server.destroy();
    };
    client.on('end', () => server.end());
    client.on('error', done);
    server.on('error', done);
    client.on('close', done);
    server.on('close', () => {
      if (!client.destroyed) client.end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    /** Starts a new count; returns the old one. */
    reset() {
      const old = state.counts;
      state.counts = emptyCounts();
      return old;
    },
    setDelay(ms) {
      state.delayMs = ms;
    },
    close() {
      for (const s of conns) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts the proxy in a child process; resolves { endpoint, pid, reset(), setDelay(ms), close() }. */
export function startProxy(target) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', target], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  child.on('message', (m) => waiting.shift()?.(m));
  const ask = (msg) =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error('the bench proxy has exited'));
      waiting.push(resolve);
      child.send(msg);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench proxy exited (${code})`)));
    waiting.push(({ endpoint }) =>
      resolve({
        endpoint,
        pid: child.pid,
        reset: () => ask({ cmd: 'reset' }),
        setDelay: (ms) => ask({ cmd: 'delay', ms }),
        close: () => {
          child.kill('SIGTERM');
          return Promise.resolve();
        },
      }),
    );
  });
}

if (process.argv[2] === '--serve' && process.send) {
  const p = await serve(process.argv[3]);
  process.on('message', (m) => {
    if (m.cmd === 'reset') process.send(p.reset());
    else if (m.cmd === 'delay') process.send({ ok: p.setDelay(m.ms) ?? true });
  });
  // The harness gone means the proxy's job is over.
  process.on('disconnect', () => process.exit(0));
  process.send({ endpoint: p.endpoint });
}
