// The Markdown table from the samples, and writing it into bench/RESULTS.md between markers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median } from './measure.mjs';

export const START = '<!-- bench:table:start -->';
export const END = '<!-- bench:table:end -->';

const REQ_KEYS = ['PUT', 'GET', 'HEAD', 'POST', 'DELETE', 'other'];
const KIND_KEYS = { list: 'list', copy: 'copy', batchDelete: 'batch delete' };

/** Medians of one tool's samples in a row. */
export function summarize(samples) {
  if (!samples?.length) return undefined;
  const m = (f) => median(samples.map(f));
  const req = {};
  for (const k of Object.keys(samples[0].requests ?? {})) req[k] = m((s) => s.requests[k]);
  return {
    n: samples.length,
    wallS: m((s) => s.wallS),
    cpuS: m((s) => s.userS + s.sysS),
    rssMiB: m((s) => s.rssMiB),
    req,
    cpuPerReqMs: req.total ? m((s) => ((s.userS + s.sysS) / s.requests.total) * 1000) : NaN,
    serverCpuS: m((s) => s.serverCpuS),
    proxyCpuS: m((s) => s.proxyCpuS),
    uploads: req.total !== undefined ? req.PUT - req.copy : NaN,
  };
}

const f2 = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

export function reqText(req) {
  if (!req || !req.total) return req && req.total === 0 ? '0' : '–';
  const parts = REQ_KEYS.filter((k) => req[k]).map((k) => `${k} ${int(req[k])}`);
  const kinds = Object.entries(KIND_KEYS)
    .filter(([k]) => req[k])
    .map(([k, label]) => `${label} ${int(req[k])}`);
  return `${int(req.total)}: ${parts.join(' · ')}${kinds.length ? ` (${kinds.join(', ')})` : ''}; ${int(req.connections)} conn.`;
}

/** The results section: a header about the run, then one row per workload step. */
export function table(run) {
  const { meta, rows } = run;
  const lines = [];
  lines.push(`## \`npm run bench\` (${meta.date})`, '');
  lines.push(`Command: \`${meta.command}\`. Machine: ${meta.machine}. ${meta.versions}.`);
  lines.push(
    `Both tools: \`--transfers ${meta.transfers} --checkers ${meta.checkers}\` on every sync/copy, default comparison mode (size + modification time), remote \`bench:\` defined by environment variables (s3, provider Ceph, path style) pointing at a counting TCP proxy in front of a Ceph RGW on 127.0.0.1 (memstore). Medians of ${meta.rounds} rounds (workload 10: ${meta.rounds10}), the tools alternating within each round (nclone, rclone, then rclone, nclone). n = nclone, r = rclone.`,
  );
  lines.push(
    '',
    'Wall: ms clock around the run. CPU: user + sys of the tool (GNU time). RSS: peak (GNU time). Requests: counted by the proxy per run; "list" is a bucket- or service-level GET, "copy" a PUT with x-amz-copy-source (server-side copy or metadata update), "batch delete" a DeleteObjects POST; "conn." the TCP connections the tool opened. Server CPU: utime + stime of the mon, OSD and RGW during the run (/proc/PID/stat). Floor: nclone\'s server CPU / ' +
      `${meta.cores} cores, as a ratio to rclone's wall time: with the same requests nclone cannot go below it on this machine. The proxy's own CPU per request, over all runs: ${meta.proxyUsPerReq} µs.`,
    '',
  );
  lines.push('| # | step | wall n | wall r | n/r | CPU n | CPU r | n/r | CPU/req ms n | r | n/r | RSS MiB n | r | n/r | requests n | requests r | server CPU n / r | floor |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const n = summarize(row.samples.nclone);
    const r = summarize(row.samples.rclone);
    if (!n && !r) {
      lines.push(`| ${row.id} | ${row.step} | ${row.skipped ?? 'not run'} | | | | | | | | | | | | | | | |`);
      continue;
    }
    const floor = n && r && Number.isFinite(n.serverCpuS) ? ratio(n.serverCpuS / meta.cores, r.wallS) : '–';
    lines.push(
      `| ${row.id} | ${row.step} | ${f2(n?.wallS)} s | ${f2(r?.wallS)} s | **${ratio(n?.wallS, r?.wallS)}** | ${f2(n?.cpuS)} s | ${f2(r?.cpuS)} s | ${ratio(n?.cpuS, r?.cpuS)} | ${f2(n?.cpuPerReqMs)} | ${f2(r?.cpuPerReqMs)} | ${ratio(n?.cpuPerReqMs, r?.cpuPerReqMs)} | ${f2(n?.rssMiB)} | ${f2(r?.rssMiB)} | ${ratio(n?.rssMiB, r?.rssMiB)} | ${reqText(n?.req)} | ${reqText(r?.req)} | ${f2(n?.serverCpuS)} / ${f2(r?.serverCpuS)} s | ${floor} |`,
    );
  }
  const notes = rows.filter((r) => r.notes?.length);
  if (notes.length) {
    lines.push('', 'Notes:', '');
    for (const r of notes) for (const t of r.notes) lines.push(`- ${r.id} ${r.step}: ${t}`);
  }
  return lines.join('\n') + '\n';
}

/** Puts the section between the markers of FILE (adding them after the title the first time). */
export function writeSection(file, section) {
  const block = `${START}\n${section}${END}\n`;
  if (!existsSync(file)) return writeFileSync(file, `# Benchmark results\n\n${block}`);
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) return writeFileSync(file, text.slice(0, a) + block + text.slice(b + END.length).replace(/^\n/, ''));
  const nl = text.indexOf('\n');
  const head = nl < 0 ? text + '\n' : text.slice(0, nl + 1);
  writeFileSync(file, `${head}\n${block}${text.slice(head.length).replace(/^\n?/, '\n')}`);
}
