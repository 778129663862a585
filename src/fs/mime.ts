import type { CallOptions, Entry } from './types.js';

/**
 * MIME types as rclone reports them: directories are "inode/directory"; an object gives
 * the type its backend stores (S3's Content-Type), and when it stores none (or has no such
 * notion, like a local disk) the type is guessed from the name's extension, as Go's
 * mime.TypeByExtension does: "text/..." types get "; charset=utf-8", and an unknown
 * extension is "application/octet-stream". The table is the mime-types package's
 * (mime-db), loaded only when a type is asked for.
 */

type Lookup = (ext: string) => string | false;
let lookup: Lookup | undefined;

async function loadLookup(): Promise<Lookup> {
  lookup ??= (await import('mime-types')).default.lookup;
  return lookup;
}

/** The extension as Go's path.Ext sees it: from the last dot of the last segment (".bashrc" -> ".bashrc"). */
function extension(remote: string): string {
  const leaf = remote.slice(remote.lastIndexOf('/') + 1);
  const dot = leaf.lastIndexOf('.');
  return dot < 0 ? '' : leaf.slice(dot);
}

/** Go's built-in types (rclone's starting point) where mime-db says otherwise. */
const GO_BUILTIN: Record<string, string> = { '.xml': 'text/xml; charset=utf-8' };

export async function mimeTypeFromName(remote: string): Promise<string> {
  const ext = extension(remote);
  if (ext.length < 2) return 'application/octet-stream';
  const builtin = GO_BUILTIN[ext.toLowerCase()];
  if (builtin) return builtin;
  const found = (await loadLookup())(ext.slice(1));
  if (!found) return 'application/octet-stream';
  return found.startsWith('text/') ? `${found}; charset=utf-8` : found;
}

export async function mimeTypeOf(entry: Entry, o: CallOptions): Promise<string> {
  if (entry.kind === 'dir') return 'inode/directory';
  const stored = entry.mimeType ? await entry.mimeType(o) : '';
  return stored !== '' ? stored : mimeTypeFromName(entry.remote);
}
