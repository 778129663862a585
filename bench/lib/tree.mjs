// Deterministic file trees (seeded sizes, contents and mtimes) and the checks that a tool's
// result holds exactly them: names, sizes, mtimes to the millisecond, and contents (MD5).
import * as crypto from 'node:crypto';
import { mkdirSync, openSync, writeSync, closeSync, utimesSync, readdirSync, statSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pool } from './s3.mjs';

/** mulberry32: a small seeded PRNG, so every run makes the same tree. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes of a file: an AES-CTR keystream keyed by the seed and a label (fast and repeatable). */
export function content(size, seed, label) {
  const key = crypto.createHash('sha256').update(`${seed}:${label}`).digest().subarray(0, 16);
  return crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const BASE_S = 1_600_000_000; // 2020-09-13, whole seconds; the ms part below varies per file

/**
 * The spec of a tree: files, dirs, sizes in [minSize, maxSize].
 * Returns [{ name, size, mtimeMs, label }] sorted by name; contents come from content(size, seed, label).
 */
export function makeSpec({ files, dirs, minSize, maxSize, seed }) {
  const r = prng(seed);
  const w = String(files - 1).length;
  const dw = String(dirs - 1).length;
  const out = [];
  for (let i = 0; i < files; i++) {
    const size = minSize + Math.floor(r() * (maxSize - minSize + 1));
    const mtimeMs = (BASE_S + i * 37) * 1000 + Math.floor(r() * 1000);
    out.push({ name: `d${String(i % dirs).padStart(dw, '0')}/f${String(i).padStart(w, '0')}.bin`, size, mtimeMs, label: `f${i}` });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function md5(buf) {
  return crypto.createHash('md5').update(buf).digest('hex');
}

/** Writes the spec's files under root (creating directories) and sets their mtimes. Adds md5 to each entry. */
export function writeTree(root, spec, seed) {
  const made = new Set();
  for (const f of spec) {
    const p = path.join(root, f.name);
    const d = path.dirname(p);
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
    writeFile(p, f, seed);
  }
}

export function writeFile(p, f, seed) {
  const data = content(f.size, seed, f.label);
  const fd = openSync(p, 'w');
  writeSync(fd, data);
  closeSync(fd);
  utimesSync(p, f.mtimeMs / 1000, f.mtimeMs / 1000);
  f.md5 = md5(data);
  // The file's mtime to the ns as the kernel keeps it (a ms value passed as float seconds lands
  // a few hundred ns off): objects the harness loads get exactly this, as a tool would write it.
  const ns = statSync(p, { bigint: true }).mtimeNs;
  f.mtimeDecimal = `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

/** Every file under root: Map name -> { size, mtimeMs, md5? } (names with '/'). */
export function scanLocal(root, withMd5) {
  const out = new Map();
  const walk = (dir, rel) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else {
        const st = statSync(p);
        out.set(r, { size: st.size, mtimeMs: Math.round(st.mtimeMs), md5: withMd5 ? md5(readFileSync(p)) : undefined });
      }
    }
  };
  walk(root, '');
  return out;
}

/**
 * Every object under bucket/prefix: Map name -> { size, mtimeMs, md5 }. The mtime needs a HEAD
 * per object; `memo` (per bucket) skips it for objects whose ETag and LastModified are those of
 * an earlier HEAD (an object rewritten or given new metadata gets a new LastModified).
 */
export async function scanBucket(s3, bucket, memo = new Map()) {
  const objs = await s3.list(bucket);
  const out = new Map();
  await pool(objs, 16, async (o) => {
    const id = `${o.etag} ${o.lastModified}`;
    let m = memo.get(o.key);
    if (!m || m.id !== id) {
      m = { id, mtimeMs: await s3.mtimeMs(bucket, o.key) };
      memo.set(o.key, m);
    }
    out.set(o.key, { size: o.size, mtimeMs: m.mtimeMs, md5: /^[0-9a-f]{32}$/.test(o.etag) ? o.etag : undefined });
  });
  for (const k of memo.keys()) if (!out.has(k)) memo.delete(k);
  return out;
}

/**
 * Differences between what a destination holds and what it should (spec entries with md5 set,
 * or without to skip the content check). Returns a list of short strings, empty when equal.
 */
export function diffTree(got, spec, { prefix = '' } = {}) {
  const bad = [];
  const want = new Map(spec.map((f) => [prefix + f.name, f]));
  for (const [name, f] of want) {
    const g = got.get(name);
    if (!g) bad.push(`missing ${name}`);
    else if (g.size !== f.size) bad.push(`${name}: size ${g.size}, want ${f.size}`);
    else if (g.mtimeMs !== f.mtimeMs) bad.push(`${name}: mtime ${g.mtimeMs === undefined ? 'none' : new Date(g.mtimeMs).toISOString()}, want ${new Date(f.mtimeMs).toISOString()}`);
    else if (f.md5 && g.md5 && g.md5 !== f.md5) bad.push(`${name}: contents differ (md5 ${g.md5}, want ${f.md5})`);
  }
  for (const name of got.keys()) if (!want.has(name)) bad.push(`extra ${name}`);
  return bad;
}
