// A small SigV4 S3 client for the harness's own set-up and checks (loading buckets, listing,
// HEAD for the stored mtime, batch deletes). It talks to the RGW directly, not through the
// counting proxy, so none of its requests count against a tool. It is not the code under test,
// and it does not load the AWS SDK, so it costs the shared 2 cores little.
import * as crypto from 'node:crypto';
import * as http from 'node:http';

const sha256 = (d) => crypto.createHash('sha256').update(d).digest('hex');
const hmac = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
// S3's canonical encoding: every byte but the unreserved ones, '/' kept in paths.
const enc = (s, keepSlash) => {
  const e = encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? e.replace(/%2F/g, '/') : e;
};

const unxml = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
const tag = (xml, name) => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unxml(m[1]) : undefined;
};

export class S3 {
  constructor({ endpoint, accessKeyId, secretAccessKey, region = 'us-east-1', concurrency = 16 }) {
    const u = new URL(endpoint);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.hostHeader = u.host;
    this.ak = accessKeyId;
    this.sk = secretAccessKey;
    this.region = region;
    this.concurrency = concurrency;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.keyCache = new Map();
  }

  signingKey(day) {
    let k = this.keyCache.get(day);
    if (!k) {
      k = hmac(hmac(hmac(hmac('AWS4' + this.sk, day), this.region), 's3'), 'aws4_request');
      this.keyCache.set(day, k);
    }
    return k;
  }

  /** One signed request; resolves { status, headers, body: Buffer }. Retries refused/reset connections a few times. */
  async request(method, bucket, key, { query = {}, headers = {}, body } = {}, attempt = 0) {
    const path = '/' + (bucket ? enc(bucket) + '/' : '') + (key ? enc(key, true) : '');
    const qs = Object.keys(query)
      .sort()
      .map((k) => `${enc(k)}=${enc(String(query[k]))}`)
      .join('&');
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const day = now.slice(0, 8);
    const h = { ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])) };
    h.host = this.hostHeader;
    h['x-amz-date'] = now;
    h['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    if (body !== undefined) h['content-length'] = String(body.length);
    const names = Object.keys(h).sort();
    const canon = [method, path, qs, ...names.map((n) => `${n}:${h[n].trim()}`), '', names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const sig = crypto.createHmac('sha256', this.signingKey(day)).update(`AWS4-HMAC-SHA256\n${now}\n${scope}\n${sha256(canon)}`).digest('hex');
    h.authorization = `AWS4-HMAC-SHA256 Credential=${this.ak}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
    try {
      return await new Promise((resolve, reject) => {
        const req = http.request({ host: this.host, port: this.port, method, path: qs ? `${path}?${qs}` : path, headers: h, agent: this.agent }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    } catch (err) {
      if (attempt < 4 && /ECONNRESET|ECONNREFUSED|socket hang up/.test(String(err))) return this.request(method, bucket, key, { query, headers, body }, attempt + 1);
      throw err;
    }
  }

  async ok(method, bucket, key, opts, allowed = []) {
    const r = await this.request(method, bucket, key, opts);
    if (r.status >= 300 && !allowed.includes(r.status)) throw new Error(`S3 ${method} /${bucket ?? ''}/${key ?? ''}: ${r.status} ${r.body.toString().slice(0, 300)}`);
    return r;
  }

  createBucket(bucket) {
    return this.ok('PUT', bucket, undefined, {}, [409]);
  }

  /** Every object of the bucket: [{ key, size, etag, lastModified }], in key order. */
  async list(bucket, prefix = '') {
    const out = [];
    let token;
    for (;;) {
      const query = { 'list-type': 2, 'max-keys': 1000 };
      if (prefix) query.prefix = prefix;
      if (token) query['continuation-token'] = token;
      const xml = (await this.ok('GET', bucket, undefined, { query })).body.toString();
      for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        out.push({ key: tag(m[1], 'Key'), size: Number(tag(m[1], 'Size')), etag: tag(m[1], 'ETag').replace(/"/g, ''), lastModified: tag(m[1], 'LastModified') });
      }
      if (tag(xml, 'IsTruncated') !== 'true') return out;
      token = tag(xml, 'NextContinuationToken');
    }
  }

  /** The stored X-Amz-Meta-Mtime in ms (rounded), or undefined. */
  async mtimeMs(bucket, key) {
    const r = await this.ok('HEAD', bucket, key);
    const v = r.headers['x-amz-meta-mtime'];
    return v === undefined ? undefined : Math.round(Number(v) * 1000);
  }

  /** mtime: ms since the epoch, or already a decimal string of seconds. */
  put(bucket, key, body, mtime) {
    const headers = { 'content-md5': crypto.createHash('md5').update(body).digest('base64') };
    if (mtime !== undefined) headers['x-amz-meta-mtime'] = typeof mtime === 'string' ? mtime : msToDecimal(mtime);
    return this.ok('PUT', bucket, key, { headers, body });
  }

  /** Deletes the keys, 1,000 per DeleteObjects request. */
  async deleteKeys(bucket, keys) {
    const batches = [];
    for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
    await pool(batches, 2, async (batch) => {
      const xml = `<Delete><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${k.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Key></Object>`).join('')}</Delete>`;
      const body = Buffer.from(xml);
      const r = await this.ok('POST', bucket, undefined, { query: { delete: '' }, headers: { 'content-md5': crypto.createHash('md5').update(body).digest('base64') }, body });
      if (r.body.includes('<Error>')) throw new Error(`DeleteObjects on ${bucket}: ${r.body.toString().slice(0, 300)}`);
    });
  }

  /** Empties and removes the bucket (a missing bucket is fine). */
  async removeBucket(bucket) {
    let objs;
    try {
      objs = await this.list(bucket);
    } catch (e) {
      if (/ 404 /.test(String(e))) return;
      throw e;
    }
    await this.abortUploads(bucket);
    await this.deleteKeys(bucket, objs.map((o) => o.key));
    await this.ok('DELETE', bucket, undefined, {}, [404]);
  }

  async abortUploads(bucket) {
    const xml = (await this.ok('GET', bucket, undefined, { query: { uploads: '' } })).body.toString();
    for (const m of xml.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)) {
      await this.ok('DELETE', bucket, tag(m[1], 'Key'), { query: { uploadId: tag(m[1], 'UploadId') } }, [404]);
    }
  }

  close() {
    this.agent.destroy();
  }
}

export function msToDecimal(ms) {
  const s = Math.floor(ms / 1000);
  return `${s}.${String(ms - s * 1000).padStart(3, '0')}`;
}

/** Runs fn over items with at most n at once. */
export async function pool(items, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
