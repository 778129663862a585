import type { CommandDef } from '../cli/command.js';
import { HASHSUM_FLAGS, hashsumHelp, runHashsum } from './hashsum.js';

export const sha1sum: CommandDef = {
  name: 'sha1sum',
  args: ['remote:path?'],
  summary: 'Print the SHA-1 of every file below the path, as sha1sum(1) does.',
  description: hashsumHelp('sha1sum') + '\n\nnclone sha1sum PATH is nclone hashsum sha1 PATH.',
  flags: HASHSUM_FLAGS,
  examples: [
    { command: 'nclone sha1sum ~/photos' },
    { note: 'S3 keeps no SHA-1: read the data', command: 'nclone sha1sum --download s3remote:my-bucket/photos' },
  ],
  run: (env, [path]) => runHashsum(env, 'sha1', path),
};
