import type { CommandDef } from '../cli/command.js';
import { HASHSUM_FLAGS, hashsumHelp, runHashsum } from './hashsum.js';

export const md5sum: CommandDef = {
  name: 'md5sum',
  args: ['remote:path?'],
  summary: 'Print the MD5 of every file below the path, as md5sum(1) does.',
  description: hashsumHelp('md5sum') + '\n\nnclone md5sum PATH is nclone hashsum md5 PATH.',
  flags: HASHSUM_FLAGS,
  examples: [
    { note: 'MD5s of a bucket, as S3 knows them', command: 'nclone md5sum s3remote:my-bucket/photos' },
    { note: 'Read and hash every file, into a file', command: 'nclone md5sum --download --output-file photos.md5 s3remote:my-bucket/photos' },
    { note: 'Check local files against a sum file', command: 'nclone md5sum -C photos.md5 ~/photos' },
  ],
  run: (env, [path]) => runHashsum(env, 'md5', path),
};
