// A heap snapshot's live memory summed by constructor (objects and closures) or node type:
// node bench/heap-summary.mjs FILE.heapsnapshot [ROWS]. Take the snapshot with
// `node --heapsnapshot-signal=SIGUSR2 bin/nclone ...` and `kill -USR2 PID` mid-run.
import fs from 'node:fs';

const [file, rows = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/heap-summary.mjs FILE.heapsnapshot [ROWS]');
const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
const meta = snap.snapshot.meta;
const width = meta.node_fields.length;
const types = meta.node_types[0];
const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => meta.node_fields.indexOf(f));
const sums = new Map();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + iType]];
  const name = type === 'object' ? snap.strings[snap.nodes[i + iName]] : type === 'closure' ? `closure ${snap.strings[snap.nodes[i + iName]]}` : `(${type})`;
  const size = snap.nodes[i + iSize];
  total += size;
  const s = sums.get(name) ?? { size: 0, count: 0 };
  s.size += size;
  s.count++;
  sums.set(name, s);
}
console.log(`${(total / 1048576).toFixed(1)} MiB live`);
for (const [name, s] of [...sums].sort((a, b) => b[1].size - a[1].size).slice(0, Number(rows))) {
  console.log(`${(s.size / 1048576).toFixed(2).padStart(8)} MiB ${String(s.count).padStart(9)}  ${name.slice(0, 80)}`);
}
