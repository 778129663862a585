import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { skipDestructiveAsk } from '../operations/context.js';
import { forEachObject } from './backend.js';

export const settier: CommandDef = {
  name: 'settier',
  args: ['tier', 'remote:path'],
  summary: 'Change the storage class of objects in place.',
  description: [
    'Moves the object at remote:path, or every object below the directory, to another storage class (S3: STANDARD, STANDARD_IA, GLACIER, DEEP_ARCHIVE and the others the provider offers; the name is not case sensitive). The data, metadata and content type stay as they are: on S3 each object is copied onto itself with the new class, keeping its grants unless the remote sets an acl.',
    'Filters choose the objects; --dry-run shows what would change. Objects already in the class are left alone (S3 refuses such a copy). Moving to an archive class (GLACIER, DEEP_ARCHIVE) makes objects unreadable until restored (`nclone backend restore`).',
    'Each failure is logged and counted, and the others go on; the exit code says whether any failed (rclone exits 0 even then). Backends without tiers (local paths) fail with exit code 1.',
  ].join('\n\n'),
  examples: [
    { note: 'One object', command: 'nclone settier STANDARD_IA s3remote:bucket/big.iso' },
    { note: 'Only the .log files below a directory', command: "nclone settier GLACIER --include '*.log' s3remote:bucket/logs" },
  ],
  // Re-run by --retries (objects done already are skipped), and -i asks before each change.
  transfers: true,
  run: async (env, [tier, path]) => {
    const name = tier!.trim();
    if (name === '' || /\s/.test(name)) throw fsError('usage', `invalid tier "${tier}": give a storage class name such as STANDARD_IA`);
    const { fs, file } = await env.fs(path!);
    if (!fs.setTier) throw fsError('usage', `settier is not supported by ${fs} (its backend has no storage classes)`);
    await forEachObject(env, fs, file, async (obj) => {
      if (await skipDestructiveAsk(env.ctx, obj.remote, `set tier to ${name}`)) return;
      await fs.setTier!(obj, name, { signal: env.ctx.signal });
    });
    // q at an -i question stops the walk without an error of its own: the run did not finish.
    if (env.ctx.signal?.aborted) throw env.ctx.signal.reason;
  },
};
