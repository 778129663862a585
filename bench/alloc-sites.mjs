#!/usr/bin/env node
// Sums an allocation profile written by bench/lib/alloc-sampler.cjs by site (function, file,
// line) and by file, and prints the largest, so a memory peak can be traced to its code.
// Usage: node bench/alloc-sites.mjs FILE.heapprofile [TOP=15]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/alloc-sites.mjs FILE.heapprofile [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 15);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const bySite = new Map();
const byFile = new Map();
let total = 0;
const short = (url) => url.replace(/^.*\/(node_modules\/|dist\/)/, '$1').replace(/^node:/, '') || '(native)';
const walk = (n) => {
  const size = n.selfSize;
  total += size;
  const f = short(n.callFrame.url);
  const site = `${n.callFrame.functionName || '(anonymous)'} ${f}:${n.callFrame.lineNumber + 1}`;
  bySite.set(site, (bySite.get(site) ?? 0) + size);
  byFile.set(f, (byFile.get(f) ?? 0) + size);
  for (const c of n.children) walk(c);
};
walk(profile.head);
const mib = (b) => (b / 1048576).toFixed(1);
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${mib(v).padStart(8)} MiB ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${mib(total)} MiB allocated in all (sampled)`);
show('by site', bySite);
show('by file', byFile);
