import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import type { HashType } from '../fs/types.js';
import { escapeControls, quoteName } from '../lib/escape.js';
import { logNotice } from '../lib/log.js';
import { csvComma, csvRecord } from '../list/format-csv.js';
import { formatLsfTime } from '../list/format-time.js';
import { listJson, parseHashType, type ListItem } from '../operations/list-json.js';
import { parseBool, ValueError } from '../lib/units.js';

/** rclone's format letters that nclone has nothing to show for. */
const UNSUPPORTED: Record<string, string> = {
  i: 'object IDs',
  o: 'original object IDs',
  e: 'encrypted names (there is no crypt backend)',
  M: 'metadata',
};

export const lsf: CommandDef = {
  name: 'lsf',
  args: ['remote:path'],
  summary: 'Print files and directories one per line in a chosen format, for scripts.',
  description:
    'Prints one line per directory and object, for scripts: by default only the name, directories with a trailing "/". Lists only the top directory unless -R (or --max-depth) is given. ' +
    '--format picks the fields, in order: p path, s size (-1 for directories), t modification time ("2006-01-02 15:04:05", local time), h hash (--hash picks which, MD5 by default; empty for directories and when the object cannot tell), m MIME type, T tier (the storage class, on S3). ' +
    'Fields are joined with --separator (";"), which is not escaped inside names: put p last. --csv writes CSV instead (separator ","), quoting fields as needed. A name holding control characters is printed in double quotes with escapes, as ls does. Filters apply.',
  flags: [
    { spec: '-F, --format <letters>', help: 'Output format: p path, s size, t modtime, h hash, m MimeType, T tier (default "p")' },
    { spec: '-s, --separator <sep>', help: 'Separator for the items in the format (default ";", with --csv ",")' },
    { spec: '-d, --dir-slash [bool]', help: 'Append a slash to directory names (default true; --dir-slash=false to turn off)' },
    { spec: '--hash <type>', help: 'Use this hash when h is used in the format: MD5 or SHA-1 (default MD5)' },
    { spec: '--files-only', help: 'Only list files' },
    { spec: '--dirs-only', help: 'Only list directories' },
    { spec: '--csv', help: 'Output in CSV format' },
    { spec: '--absolute', help: 'Put a leading / in front of path names' },
    { spec: '-R, --recursive', help: 'Recurse into the listing' },
    { spec: '--human-readable', help: 'Accepted for rclone compatibility; sizes stay in bytes (as in rclone 1.60)' },
  ],
  examples: [
    { command: 'nclone lsf s3remote:my-bucket' },
    { note: 'Modification time, size and path, path last', command: 'nclone lsf --format tsp s3remote:my-bucket' },
    { note: 'Like md5sum', command: "nclone lsf -R --files-only --hash MD5 --format hp --separator '  ' ~/docs" },
    { note: 'Files changed in the last day, as a list for --files-from', command: 'nclone lsf -R --absolute --files-only --max-age 1d ~/docs' },
  ],
  run: async (env, [path]) => {
    const f = env.flags;
    const format = typeof f.format === 'string' ? f.format : 'p';
    const hashType: HashType = typeof f.hash === 'string' ? parseHashType('--hash', f.hash) : 'md5';
    const dirSlash = flagBool('--dir-slash', f.dirSlash, true);
    const csv = f.csv === true;
    const separator = typeof f.separator === 'string' ? f.separator : csv ? ',' : ';';
    const comma = csv ? csvComma(separator) : undefined;
    if (csv && comma === undefined) throw fsError('usage', `--separator ${JSON.stringify(separator)} can't separate CSV fields: use another character`);
    const absolute = f.absolute === true;

    const fields: ((item: ListItem) => string)[] = [];
    let modTime = false;
    let mime = false;
    let hash = false;
    for (const letter of format) {
      switch (letter) {
        case 'p':
          fields.push((item) => {
            let p = quoteName(item.path);
            if (absolute && !p.startsWith('/')) p = '/' + p;
            return item.isDir && dirSlash ? p + '/' : p;
          });
          break;
        case 's':
          fields.push((item) => String(item.size));
          break;
        case 't':
          modTime = true;
          fields.push((item) => (item.modTime === undefined ? '' : formatLsfTime(item.modTime)));
          break;
        case 'h':
          hash = true;
          fields.push((item) => (item.isDir ? '' : (item.hashes?.[hashType] ?? '')));
          break;
        case 'm':
          mime = true;
          fields.push((item) => escapeControls(item.mimeType));
          break;
        case 'T':
          fields.push((item) => escapeControls(item.tier));
          break;
        default:
          if (UNSUPPORTED[letter]) throw fsError('usage', `--format letter "${letter}" (${UNSUPPORTED[letter]}) is not supported by nclone: use p, s, t, h, m and T`);
          throw fsError('usage', `unknown --format character "${letter}": use p path, s size, t modtime, h hash, m MimeType, T tier`);
      }
    }

    const { fs, file } = await env.fs(path!);
    if (hash && !fs.hashes.has(hashType)) logNotice(undefined, `${fs} has no ${hashType} hashes: the hash field stays empty`);
    await listJson(
      env.ctx,
      fs,
      file,
      { recurse: f.recursive === true, noModTime: !modTime, noMimeType: !mime, hashTypes: hash ? [hashType] : undefined, dirsOnly: f.dirsOnly === true, filesOnly: f.filesOnly === true },
      async (item) => {
        const values = fields.map((field) => field(item));
        await env.out(comma !== undefined ? csvRecord(values, comma) : values.join(separator));
      },
    );
  },
};

/** A boolean flag that may be given a value (--dir-slash=false, -d=false). */
function flagBool(flag: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (value === true) return true;
  try {
    return parseBool(String(value).replace(/^=/, ''));
  } catch (err) {
    const why = err instanceof ValueError ? err.message : String(err);
    throw fsError('usage', `${flag} ${JSON.stringify(value)}: ${why} (write ${flag}=false to turn it off)`);
  }
}
