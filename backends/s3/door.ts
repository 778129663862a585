import type { Readable } from 'node:stream';
import type { ObjectCannedACL, S3Client, ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { FsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import { Pacer } from '../../src/lib/pacer.js';
import { ATTEMPT, type Attempt, type AuthMode, type Made, type SdkHandle } from './client.js';
import type { S3Request } from './commands.js';
import { classifyS3, mapS3Error, type ErrorContext } from './errors.js';
import type { LeanS3 } from './lean.js';
import type { ProviderQuirks } from './providers.js';

export interface S3Options {
  provider: string;
  /** With its scheme; '' for AWS's own endpoints. */
  endpoint: string;
  region: string;
  acl: string;
  bucketAcl: string;
  locationConstraint: string;
  sse: string;
  sseKmsKeyId: string;
  storageClass: string;
  uploadCutoff: number;
  chunkSize: number;
  maxUploadParts: number;
  uploadConcurrency: number;
  copyCutoff: number;
  disableChecksum: boolean;
  listChunk: number;
  listVersion: 1 | 2;
  noCheckBucket: boolean;
  leavePartsOnError: boolean;
  /** Use the local metadata cache (metacache.ts). */
  metaCache: boolean;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** What a 404 means for this request. */
  notFound?: ErrorContext['notFound'];
}

type Command = Parameters<S3Client['send']>[0];


/**
 * The one way an S3 request leaves nclone: S3Fs and its helpers (objects, uploads, copies,
 * listings) all send through the remote's door, which paces and retries through the
 * remote's Pacer (the SDK's own retries are off) and maps failures onto the core's errors
 * naming the remote and the action. It also holds what every request needs to know about
 * the remote: its options and the headers every write carries.
 */
export class S3Door {
  readonly pacer: Pacer;

  readonly auth: AuthMode;
  /** Sends the hottest requests without the SDK's middleware, when the remote suits it. */
  readonly lean?: LeanS3;

  constructor(
    /** The remote's name, for messages. */
    readonly name: string,
    private readonly made: Made,
    readonly opt: S3Options,
    readonly quirks: ProviderQuirks,
    readonly globals: BackendGlobals,
  ) {
    this.auth = made.auth;
    this.lean = made.lean;
    this.pacer = new Pacer({ attempts: globals.lowLevelRetries, classify: classifyS3, tps: globals.tps });
  }

  /** The SDK's client, loaded on the first request the direct path does not send. */
  sdk(): Promise<SdkHandle> {
    return this.made.sdk();
  }

  destroy(): void {
    this.made.destroy();
  }

  /** How requests are signed, for URLs signed ahead of time (link.ts). */
  get signing(): { v2: boolean; credentials?: AwsCredentialIdentityProvider } {
    return { v2: this.made.v2Auth, credentials: this.made.credentials };
  }

  /**
   * Sends a command through the pacer. `where` names the object for messages when the
   * input has no bucket. A request whose body is a stream is paced but not retried here
   * (the stream is spent): the transfer layer starts it again from a fresh one.
   */
  async send<T>(cmd: S3Request | { input: unknown }, where: string, what: string, o?: SendOptions): Promise<T>;
  async send(cmd: S3Request | Command, where: string, what: string, o: SendOptions = {}): Promise<unknown> {
    const input = cmd.input as { Bucket?: string; Key?: string; Prefix?: string; Body?: unknown };
    const replayable = !isStream(input.Body);
    const of = replayable ? this.globals.lowLevelRetries : 1;
    const plain = 'op' in cmd;
    const op = plain ? (cmd as S3Request).op : cmd.constructor.name.replace(/Command$/, '');
    const lean = this.lean?.accepts(op, input as Record<string, unknown>) ? this.lean : undefined;
    let command: Command | undefined = plain ? undefined : (cmd as Command);
    try {
      return await this.pacer.call(
        async (attempt) => {
          if (lean) return lean.send(op as never, input as Record<string, unknown>, { signal: o.signal, attempt: { attempt, of } });
          const sdk = await this.sdk();
          command ??= new (sdk.module as unknown as Record<string, new (i: unknown) => Command>)[`${op}Command`]!(input);
          (input as { [ATTEMPT]?: Attempt })[ATTEMPT] = { attempt, of };
          return sdk.client.send(command, { abortSignal: o.signal });
        },
        { signal: o.signal, replayable, what: where },
      );
    } catch (err) {
      // A stopped run fails with its own reason ("interrupted by SIGINT", a fatal error).
      if (o.signal?.aborted && o.signal.reason instanceof FsError) throw o.signal.reason;
      // Name the bucket and key the request was about, whatever the caller's root.
      const at = input.Bucket ? [input.Bucket, input.Key ?? input.Prefix ?? ''].filter((p) => p !== '').join('/') : where;
      throw mapS3Error(err, this.errorContext(at, what, o.notFound));
    }
  }

  /** For mapS3Error: where is a path below the remote (bucket/key). */
  errorContext(where: string, what: string, notFound?: ErrorContext['notFound']): ErrorContext {
    return { remote: `${this.name}:${where}`, what, anonymous: this.auth === 'anonymous', region: this.opt.region, notFound, endpoint: this.opt.endpoint || undefined };
  }

  /** The headers every write carries: ACL, storage class, encryption. */
  writeParams(bucket: string, key: string) {
    return {
      Bucket: bucket,
      Key: key,
      ACL: (this.opt.acl || undefined) as ObjectCannedACL | undefined,
      StorageClass: (this.opt.storageClass || undefined) as StorageClass | undefined,
      ServerSideEncryption: (this.opt.sse || undefined) as ServerSideEncryption | undefined,
      SSEKMSKeyId: this.opt.sseKmsKeyId || undefined,
    };
  }

  /** With SSE-KMS (DSSE-KMS too) the ETag is not the MD5 of the data. */
  get sseChangesEtag(): boolean {
    return this.opt.sse.startsWith('aws:kms');
  }
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}
