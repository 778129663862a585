import type { CommandDef } from '../cli/command.js';
import { parseHashType } from '../operations/hashsum.js';
import { REPORT_FLAGS, REPORT_HELP, openSumFile, reportFiles, runCheckSum } from './check.js';

export const checksum: CommandDef = {
  name: 'checksum',
  args: ['hash', 'sumfile', 'src:path'],
  summary: 'Verify the files below a path against a file of md5sum or sha1sum lines.',
  description:
    'Checks every file below src:path against its line in sumfile, a file in the format md5sum and sha1sum write (what nclone md5sum prints): the hash, two spaces (or a space and *), the path relative to src:path. ' +
    'hash names the type of the hashes in the file (md5 or sha1, in any case). Hashes in the file may be upper or lower case. sumfile may be on any remote. Nothing is changed.\n\n' +
    'A file with no line in sumfile is reported as missing on the source (-), a line with no file as missing on the destination (+), unless the filters exclude that path. ' +
    'By default the hash is asked of the backend (an S3 multipart upload stored without its MD5 has none: it is counted as "could not check hash"); ' +
    'with --download each file is read and hashed, which works for any backend and checks the data itself.\n\n' +
    REPORT_HELP,
  flags: [{ spec: '--download', help: 'Check by hashing the contents' }, ...REPORT_FLAGS!],
  examples: [
    { note: 'Verify a bucket against the MD5s taken of the local originals', command: 'nclone md5sum ~/photos > photos.md5 && nclone checksum md5 photos.md5 s3remote:my-bucket/photos' },
    { note: 'Read the data, listing the files that differ', command: 'nclone checksum sha1 --download --differ - SHA1SUMS /mnt/backup' },
  ],
  run: async (env, [hash, sumPath, path]) => {
    const type = parseHashType(hash!);
    const sumObj = await openSumFile(env, sumPath!);
    await runCheckSum(env, { type, sumObj, dstPath: path!, files: reportFiles(env.flags), oneWay: env.flags.oneWay === true, download: env.flags.download === true });
  },
};
