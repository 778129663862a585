import type { CommandDef } from '../cli/command.js';
import { logNotice } from '../lib/log.js';
import { byteUnit, countSuffix } from '../list/format-size.js';
import { countObjects } from '../operations/list-count.js';

export const size: CommandDef = {
  name: 'size',
  args: ['remote:path'],
  summary: 'Print how many files are below the path and their total size.',
  description:
    'Counts the objects below the path (recursively; --max-depth 1 for the top directory only) and adds up their sizes. Prints "Total objects: 1.234k (1234)" and "Total size: 1.964 KiB (2011 Byte)": the human-readable form and the exact number, whatever --human-readable says (as rclone). ' +
    'With --json prints {"count":N,"bytes":N,"sizeless":N} instead. Objects of unknown size are counted as empty, with a notice and a third line. Filters apply.',
  flags: [
    { spec: '--json', help: 'Format output as JSON' },
    { spec: '--human-readable', help: 'Accepted for rclone compatibility; the output always shows both forms' },
  ],
  examples: [
    { command: 'nclone size s3remote:my-bucket' },
    { note: 'Only the PDFs, as JSON', command: "nclone size --json --include '*.pdf' ~/docs" },
  ],
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    const r = await countObjects(env.ctx, fs, file);
    if (r.sizeless > 0) logNotice(String(fs), `Size may be underestimated due to ${r.sizeless} objects with unknown size`);
    if (env.flags.json === true) {
      await env.out(JSON.stringify({ count: r.count, bytes: r.bytes, sizeless: r.sizeless }));
      return;
    }
    await env.out(`Total objects: ${countSuffix(r.count)} (${r.count})`);
    await env.out(`Total size: ${byteUnit(r.bytes)} (${r.bytes} Byte)`);
    if (r.sizeless > 0) await env.out(`Total objects with unknown size: ${countSuffix(r.sizeless)} (${r.sizeless})`);
  },
};
