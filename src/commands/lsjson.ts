import type { CommandDef } from '../cli/command.js';
import { digitsForPrecision, formatRfc3339 } from '../list/format-time.js';
import { jsonString } from '../list/format-json.js';
import { listJson, parseHashType, type ListItem } from '../operations/list-json.js';
import { ALL_HASHES, type HashType } from '../fs/types.js';

export const lsjson: CommandDef = {
  name: 'lsjson',
  args: ['remote:path'],
  summary: "Print files and directories as a JSON array with rclone's field names.",
  description:
    'Prints a JSON array with one object per directory and file, one per line, with rclone\'s fields: Path (relative to the path given), Name, Size (-1 for directories), MimeType, ModTime (RFC 3339 in local time, with as many fractional digits as the remote keeps), IsDir, Hashes (with --hash or --hash-type), Tier (the storage class, on S3) IsBucket (for buckets at the root of a bucket-based remote) and, with -M, Metadata (see docs/metadata.md). ' +
    'Lists only the top directory unless -R (or --max-depth) is given. On S3, MimeType and ModTime each cost a request per object unless they are cached: --no-mimetype and --no-modtime skip them (ModTime is then ""). Filters apply.',
  flags: [
    { spec: '-R, --recursive', help: 'Recurse into the listing' },
    { spec: '--hash', help: 'Include hashes in the output (may take longer)' },
    { spec: '--hash-type <type>', help: 'Show only this hash type, md5 or sha1 (implies --hash; several as md5,sha1)' },
    { spec: '--no-modtime', help: "Don't read the modification time (can speed things up)" },
    { spec: '--no-mimetype', help: "Don't read the mime type (can speed things up)" },
    { spec: '--files-only', help: 'Show only files in the listing' },
    { spec: '--dirs-only', help: 'Show only directories in the listing' },
  ],
  examples: [
    { command: 'nclone lsjson s3remote:my-bucket/photos' },
    { note: 'Every file below the path with its MD5, without the per-object requests for time and type', command: 'nclone lsjson -R --files-only --hash-type md5 --no-modtime --no-mimetype s3remote:my-bucket' },
  ],
  run: async (env, [path]) => {
    const f = env.flags;
    const hashTypes = requestedHashes(f);
    const { fs, file } = await env.fs(path!);
    // rclone shows each hash the remote supports; with --hash-type only those named.
    const types = hashTypes ?? (f.hash === true ? ALL_HASHES.filter((t) => fs.hashes.has(t)) : undefined);
    // A local disk keeps nanoseconds when it reads a time, whatever it can set.
    const digits = digitsForPrecision(fs.features.isLocal ? 1n : fs.precision);
    // "[" waits for the first listing to succeed: a path that is not there prints nothing.
    let opened = false;
    let previous: string | undefined;
    await listJson(
      env.ctx,
      fs,
      file,
      { recurse: f.recursive === true, noModTime: f.modtime === false, noMimeType: f.mimetype === false, hashTypes: types, dirsOnly: f.dirsOnly === true, filesOnly: f.filesOnly === true, metadata: env.ctx.opt.metadata },
      async (item) => {
        if (!opened) {
          opened = true;
          await env.out('[');
        }
        if (previous !== undefined) await env.out(previous + ',');
        previous = itemJson(item, digits);
      },
    );
    if (!opened) await env.out('[');
    if (previous !== undefined) await env.out(previous);
    await env.out(']');
  },
};

function requestedHashes(f: Record<string, unknown>): HashType[] | undefined {
  if (typeof f.hashType !== 'string') return undefined;
  const types = f.hashType.split(',').map((name) => parseHashType('--hash-type', name));
  return [...new Set(types)];
}

/** One item with rclone's field names, in rclone's order, leaving out what rclone leaves out. */
function itemJson(item: ListItem, digits: number): string {
  const parts = [`"Path":${jsonString(item.path)}`, `"Name":${jsonString(item.name)}`, `"Size":${item.size}`];
  if (item.mimeType !== '') parts.push(`"MimeType":${jsonString(item.mimeType)}`);
  parts.push(`"ModTime":${item.modTime === undefined ? '""' : jsonString(formatRfc3339(item.modTime, digits))}`);
  parts.push(`"IsDir":${item.isDir}`);
  const hashes = Object.entries(item.hashes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (hashes.length > 0) parts.push(`"Hashes":{${hashes.map(([k, v]) => `${jsonString(k)}:${jsonString(v)}`).join(',')}}`);
  if (item.tier !== '') parts.push(`"Tier":${jsonString(item.tier)}`);
  if (item.isBucket) parts.push('"IsBucket":true');
  if (item.metadata) parts.push(`"Metadata":{${Object.keys(item.metadata).sort().map((k) => `${jsonString(k)}:${jsonString(item.metadata![k]!)}`).join(',')}}`);
  return `{${parts.join(',')}}`;
}
