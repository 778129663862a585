import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { deleteObject, deleteTree } from '../operations/delete.js';
import { removeEmptyDirs } from '../operations/rmdirs.js';
import { withQuestions } from './transfer-common.js';

export const deleteCmd: CommandDef = {
  name: 'delete',
  args: ['remote:path'],
  summary: 'Delete the files below the path that the filters select; keep directories.',
  description:
    'Deletes every file below the path that the filters select; directories are left in place (with --rmdirs, those left empty are removed too, except the path itself). ' +
    'Unlike purge it obeys --include, --exclude, --min-size, --max-age and the other filters, so it can delete selectively. If the path names a file, only that file is deleted.\n\n' +
    'On S3 the files go in batches of up to 1000 per request. A file that can\'t be deleted is logged and the others are still deleted; --rmdirs is then skipped. ' +
    'With --max-delete or --max-delete-size, the files are counted first and nothing is deleted if they are over the limit.\n\n' +
    'Check what would go with --dry-run (-n), or answer for each file with --interactive (-i).',
  flags: [{ spec: '--rmdirs', help: 'Also remove the directories left empty (the path itself stays)' }],
  examples: [
    { note: 'See which files over 100 MiB would go, then delete them', command: 'nclone delete -n --min-size 100Mi s3remote:my-bucket/media' },
    { command: 'nclone delete --min-size 100Mi s3remote:my-bucket/media' },
    { note: 'Empty a tree of its .tmp files and the directories that leaves empty', command: "nclone delete --include '*.tmp' --rmdirs ~/build" },
  ],
  retries: true,
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    const rmdirs = env.flags.rmdirs === true;
    if (file !== undefined) {
      // As rclone: a named file with filters would be deleted or kept by rules the user did not mean for it.
      if (env.ctx.filter.active) throw fsError('usage', `can't delete the single file ${path} when filters are given: drop the filter flags, or give its directory`);
      if (rmdirs) throw fsError('usage', `${path} is a file: --rmdirs needs a directory`);
      const obj = await fs.newObject(file, { signal: env.ctx.signal });
      return withQuestions(env, (ctx) => deleteObject(ctx, obj));
    }
    await withQuestions(env, async (ctx) => {
      await deleteTree(ctx, fs);
      if (rmdirs) await removeEmptyDirs(ctx, fs, { leaveRoot: true });
    });
  },
};
