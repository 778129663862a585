import type { _Object } from '@aws-sdk/client-s3';
import { errorMessage, fsError, FsError, isKind } from '../../src/fs/errors.js';
import type { BackendCommandOptions, CallOptions, Entry } from '../../src/fs/types.js';
import { s3 } from './commands.js';
import type { S3Door } from './door.js';
import { listPages } from './listing.js';
import { S3Object } from './object.js';
import { listUploads, type PendingUpload } from './upload.js';

/** What the commands need of the S3 Fs they run on. */
export interface CommandHome {
  readonly name: string;
  readonly door: S3Door;
  /** The root's bucket, '' at the top of the remote. */
  readonly bucket: string;
  /** The root's key prefix in its bucket, no slashes at either end. */
  readonly rootKey: string;
  list(dir: string, options?: CallOptions): Promise<Entry[]>;
}

/** The S3 backend's commands (declared in index.ts); what each resolves with is printed as JSON. */
export async function runS3Command(fs: CommandHome, name: string, opts: Readonly<Record<string, string>>, options: BackendCommandOptions): Promise<unknown> {
  switch (name) {
    case 'restore':
      return restore(fs, opts, options);
    case 'restore-status':
      return restoreStatus(fs, 'all' in opts, options);
    case 'list-multipart-uploads':
      return multipartUploads(fs, options);
    default:
      throw fsError('usage', `the s3 backend has no command "${name}": see nclone backend help s3`);
  }
}

/** The classes whose objects must be restored before they can be read. */
const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE', 'INTELLIGENT_TIERING']);
const PRIORITIES = ['Standard', 'Expedited', 'Bulk'];

interface RestoreResult {
  Status: string;
  Remote: string;
}

async function restore(fs: CommandHome, opts: Readonly<Record<string, string>>, options: BackendCommandOptions): Promise<RestoreResult[]> {
  let days: number | undefined;
  if (opts.lifetime !== undefined) {
    days = Number(opts.lifetime);
    if (!/^\d+$/.test(opts.lifetime.trim()) || days < 1) throw fsError('usage', `bad lifetime "${opts.lifetime}": give the number of days the restored copy should stay, e.g. -o lifetime=7`);
  }
  let tier: string | undefined;
  if (opts.priority !== undefined) {
    tier = PRIORITIES.find((p) => p.toLowerCase() === opts.priority!.trim().toLowerCase());
    if (!tier) throw fsError('usage', `bad priority "${opts.priority}": use ${PRIORITIES.join(', ')}`);
  }
  const out: RestoreResult[] = [];
  await options.forEachObject(async (obj) => {
    // Pushed now, so the list keeps the listing's order whatever order the requests end in.
    const result: RestoreResult = { Status: 'OK', Remote: obj.remote };
    out.push(result);
    if (!(obj instanceof S3Object)) {
      result.Status = 'Not an S3 object';
      return;
    }
    const storageClass = obj.tier();
    if (!ARCHIVED.has(storageClass)) {
      result.Status = 'Not GLACIER, DEEP_ARCHIVE or INTELLIGENT_TIERING storage class';
      return;
    }
    if (await options.skip(obj.remote, 'restore')) {
      result.Status = 'Skipped';
      return;
    }
    try {
      await fs.door.send(
        s3('RestoreObject', {
          Bucket: obj.bucket,
          Key: obj.key,
          RestoreRequest: {
            // Intelligent-Tiering brings objects back for good: S3 refuses a lifetime for them.
            Days: storageClass === 'INTELLIGENT_TIERING' ? undefined : days,
            GlacierJobParameters: tier ? { Tier: tier as never } : undefined,
            Description: opts.description,
          },
        }),
        obj.remote,
        'restore',
        { signal: options.signal },
      );
    } catch (err) {
      // Neither is a failure: the object is on its way back, or (Intelligent-Tiering) readable as it is.
      if (codeOf(err) === 'RestoreAlreadyInProgress') {
        result.Status = 'Restore already in progress';
        return;
      }
      if (codeOf(err) === 'InvalidObjectState' && storageClass === 'INTELLIGENT_TIERING') {
        result.Status = 'Not in an archive tier of INTELLIGENT_TIERING: nothing to restore';
        return;
      }
      const why = explainRestore(err, `${fs.name}:${obj.bucket}/${obj.key}`);
      result.Status = errorMessage(why);
      options.report?.(obj.remote, why);
    }
  });
  return out;
}

function codeOf(err: unknown): string | undefined {
  return err instanceof FsError ? (err.cause as { name?: string } | undefined)?.name : undefined;
}

/**
 * Servers without archive classes answer 501 with no words (Ceph RGW to v4), or, Ceph RGW
 * to v2, take the POST for a browser form upload and complain about its Content-Type: say
 * what either means.
 */
function explainRestore(err: unknown, where: string): unknown {
  const formUpload = codeOf(err) === 'InvalidArgument' && /multipart\/form-data/.test(errorMessage(err));
  if (!isKind(err, 'notSupported') && !formUpload) return err;
  const answer = formUpload ? 'InvalidArgument, taking it for a form upload' : (codeOf(err) ?? 'HTTP 501');
  return fsError('notSupported', `restore ${where}: the server does not support restoring objects (RestoreObject answered ${answer})`, { cause: err, retry: 'noRetry' });
}

interface RestoreStatusEntry {
  Remote: string;
  VersionID: string | null;
  RestoreStatus: { IsRestoreInProgress: boolean | null; RestoreExpiryDate: string | null } | null;
  StorageClass: string;
}

/** What the listing says about restores below the root; with all, every object. */
async function restoreStatus(fs: CommandHome, all: boolean, options: BackendCommandOptions): Promise<RestoreStatusEntry[]> {
  const { bucket, prefix, strip } = listingPlace(fs, options, 'restore-status');
  const out: RestoreStatusEntry[] = [];
  await listPages(
    fs.door,
    bucket,
    prefix,
    undefined,
    options.signal,
    async (objects: _Object[]) => {
      for (const o of objects) {
        if (o.Key!.endsWith('/')) continue; // a folder marker, not an object
        if (options.file !== undefined && o.Key !== prefix) continue;
        const status = o.RestoreStatus;
        if (!all && !status) continue;
        out.push({
          Remote: o.Key!.slice(strip),
          VersionID: null,
          RestoreStatus: status ? { IsRestoreInProgress: status.IsRestoreInProgress ?? null, RestoreExpiryDate: status.RestoreExpiryDate ? goTime(status.RestoreExpiryDate) : null } : null,
          StorageClass: o.StorageClass ?? '',
        });
      }
    },
    { OptionalObjectAttributes: ['RestoreStatus'] },
  );
  return out;
}

/** The bucket and key prefix a listing command covers, and how much of each key to cut to make it relative to the root. */
function listingPlace(fs: CommandHome, options: BackendCommandOptions, command: string): { bucket: string; prefix: string; strip: number } {
  if (fs.bucket === '') throw fsError('usage', `backend ${command} needs a bucket: give remote:bucket or remote:bucket/path`);
  const dir = fs.rootKey === '' ? '' : `${fs.rootKey}/`;
  return { bucket: fs.bucket, prefix: dir + (options.file ?? ''), strip: dir.length };
}

/**
 * Unfinished multipart uploads by bucket, as rclone prints them: every bucket at the top of
 * the remote, else the root's bucket, the uploads whose key starts with the root's path.
 */
async function multipartUploads(fs: CommandHome, options: BackendCommandOptions): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  if (fs.bucket !== '') {
    const prefix = [fs.rootKey, options.file].filter((p) => p !== undefined && p !== '').join('/');
    out[fs.bucket] = (await listUploads(fs.door, fs.bucket, prefix, options.signal, true)).map(uploadJson);
    return out;
  }
  for (const b of await fs.list('', { signal: options.signal })) {
    try {
      out[b.remote] = (await listUploads(fs.door, b.remote, '', options.signal, true)).map(uploadJson);
    } catch (err) {
      // One unreadable bucket (someone else's policy) does not hide the others.
      out[b.remote] = [];
      options.report?.(b.remote, err);
    }
  }
  return out;
}

/** One upload with rclone's fields in rclone's order, null where the server said nothing. */
function uploadJson(u: PendingUpload): unknown {
  const who = (p: { DisplayName?: string; ID?: string } | undefined) => (p ? { DisplayName: p.DisplayName ?? null, ID: p.ID ?? null } : null);
  return {
    ChecksumAlgorithm: u.ChecksumAlgorithm ?? null,
    Initiated: u.Initiated ? goTime(u.Initiated) : null,
    Initiator: who(u.Initiator),
    Key: u.Key,
    Owner: who(u.Owner),
    StorageClass: u.StorageClass ?? null,
    UploadId: u.UploadId,
  };
}

/** A time as Go writes one in JSON (RFC 3339, trailing zeros of the fraction dropped). */
export function goTime(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}
