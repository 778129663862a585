import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { removeEmptyDirs } from '../operations/rmdirs.js';
import { withQuestions } from './transfer-common.js';

export const rmdirs: CommandDef = {
  name: 'rmdirs',
  args: ['remote:path'],
  summary: 'Remove every empty directory below the path.',
  description:
    'Removes every empty directory below the path, deepest first, including directories that hold only empty directories; then the path itself if it is left empty, unless --leave-root is given. ' +
    'A directory holding any file stays, even a file the filters exclude; the filters (and --max-depth) only choose which empty directories may be removed.\n\n' +
    'On S3, directories inside a bucket exist only through their objects, so only an empty bucket can be removed: rmdirs on an empty bucket removes it (not with --leave-root).',
  flags: [{ spec: '--leave-root', help: 'Do not remove the path itself, even if it is empty' }],
  examples: [
    { note: 'Tidy up after deleting files', command: 'nclone rmdirs --leave-root /mnt/backup/photos' },
    { note: 'See which directories would go', command: 'nclone rmdirs -n ~/build' },
  ],
  retries: true,
  run: async (env, [path]) => {
    const { fs, file } = await env.fs(path!);
    if (file !== undefined) throw fsError('usage', `${path} is a file, not a directory: rmdirs takes a directory`);
    await withQuestions(env, (ctx) => removeEmptyDirs(ctx, fs, { leaveRoot: env.flags.leaveRoot === true }));
  },
};
