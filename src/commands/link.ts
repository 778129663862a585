import type { CommandDef } from '../cli/command.js';
import { errorMessage, fsError } from '../fs/errors.js';
import { parseDuration } from '../lib/units.js';

export const link: CommandDef = {
  name: 'link',
  args: ['remote:path'],
  summary: 'Print a time-limited URL that downloads the file without credentials.',
  description: [
    'Prints a URL that downloads the object at remote:path without credentials, for whoever has it. On S3 it is a presigned GET URL (signature v4, or v2 for remotes with v2_auth), good for --expire or, without it, for 7 days, the longest S3 allows; a longer --expire is cut to 7 days with a notice. An anonymous remote gets the plain URL of the object, which works only if the object is public.',
    'The object must exist (it is checked first); a directory or bucket has no link on S3. Backends without links (local paths) fail with exit code 1.',
  ].join('\n\n'),
  flags: [{ spec: '--expire <duration>', help: 'How long the link works, e.g. 1h or 2d (default: as long as the backend allows)' }],
  examples: [
    { note: 'A link that works for a day', command: 'nclone link --expire 1d s3remote:bucket/report.pdf' },
    { note: 'Download it elsewhere', command: 'curl -o report.pdf "$(nclone link s3remote:bucket/report.pdf)"' },
  ],
  run: async (env, [path]) => {
    const expire = expireSeconds(env.flags.expire);
    const { fs, file } = await env.fs(path!);
    if (!fs.publicLink) throw fsError('usage', `link is not supported by ${fs} (its backend has no public links)`);
    await env.out(await fs.publicLink(file ?? '', expire, { signal: env.ctx.signal }));
  },
};

/** --expire in whole seconds; undefined (the backend's longest) when absent or "off". */
function expireSeconds(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(String(raw));
  } catch (err) {
    throw fsError('usage', `invalid --expire: ${errorMessage(err)}`);
  }
  if (ms < 0) return undefined;
  if (ms < 1000) throw fsError('usage', `--expire ${String(raw)} is too short: a link must work for at least 1s`);
  return Math.floor(ms / 1000);
}
