import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { parseTouchTime, touch as touchPath } from '../operations/touch.js';
import { splitLeaf } from './transfer-common.js';

export const touch: CommandDef = {
  name: 'touch',
  args: ['remote:path'],
  summary: "Set a file's modification time, creating an empty file if it is missing.",
  description:
    'Sets the modification time of the file at remote:path to now, or to the time given with -t. A file that does not exist is created empty, unless -C or -R is given.\n\n' +
    'When remote:path is a directory, the files directly in it are touched, and with -R every file below it; filters apply, and --dry-run and -i show or ask first. Directories themselves are not touched.\n\n' +
    '-t takes YYMMDD (e.g. 171030), YYYY-MM-DDTHH:MM:SS (e.g. 2006-01-02T15:04:05) or YYYY-MM-DDTHH:MM:SS.SSS with up to 9 digits of fraction; the time is UTC unless --localtime is given.',
  examples: [
    { note: 'Create an empty marker object', command: 'nclone touch s3remote:my-bucket/jobs/done' },
    { note: 'Set a file to a given time (UTC)', command: 'nclone touch -t 2024-01-31T12:00:00 ~/notes.txt' },
    { note: 'Touch every existing file below a directory, creating none', command: 'nclone touch -R s3remote:my-bucket/site' },
  ],
  flags: [
    { spec: '-C, --no-create', help: 'Do not create the file if it does not exist (implied with --recursive)' },
    { spec: '-t, --timestamp <time>', help: 'Use this time instead of the current time of day (YYMMDD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SS.SSS)' },
    { spec: '--localtime', help: 'Read the --timestamp in the local time zone, not UTC' },
    { spec: '-R, --recursive', help: 'Touch every file below the directory' },
  ],
  // As rclone: re-run by --retries, and -i asks before each change.
  retries: true,
  interactive: true,
  run: async (env, [path]) => {
    const f = env.flags;
    const stamp = f.timestamp === undefined ? undefined : String(f.timestamp);
    if (stamp === '') throw fsError('usage', '--timestamp is empty: give a time such as 2006-01-02T15:04:05, or leave it out for now');
    const time = stamp === undefined ? BigInt(Date.now()) * 1_000_000n : parseTouchTime(stamp, f.localtime === true);
    let { parent, leaf } = splitLeaf(path!);
    // "dir/." and "dir/.." name directories, not files to create.
    if (leaf === '.' || leaf === '..') [parent, leaf] = [path!, ''];
    const dir = await env.fs(parent);
    if (dir.file !== undefined) throw fsError('usage', `can't touch ${path}: ${parent} is a file, not a directory`);
    // commander reads --no-create as create=false.
    await touchPath(env.ctx, dir.fs, leaf, { time, noCreate: f.create === false, recursive: f.recursive === true });
  },
};
