import type { CommandDef } from '../cli/command.js';
import { transferTo } from './transfer-common.js';

export const copyto: CommandDef = {
  name: 'copyto',
  args: ['source:path', 'dest:path'],
  summary: "Copy one file to a new name, or a directory's contents like copy.",
  description:
    'When source:path is a file, copies it to the file dest:path (which may have another name), replacing what is there unless it is the same (size and modification time, or checksum with -c). On the same remote the copy is made server-side.\n\n' +
    'When source:path is a directory (or does not exist), copyto does exactly what copy does: the contents of source:path go into the directory dest:path.\n\n' +
    'Nothing is ever deleted on the destination. Filters apply to a directory copy; with a single-file source they are refused, as in rclone.',
  examples: [
    { note: 'Upload a file under another name', command: 'nclone copyto ~/report-final.pdf s3remote:my-bucket/reports/2024.pdf' },
    { note: 'Duplicate an object in place (server-side)', command: 'nclone copyto s3remote:my-bucket/a.txt s3remote:my-bucket/a-copy.txt' },
    { note: 'A directory: the same as copy', command: 'nclone copyto ~/photos s3remote:my-bucket/photos' },
  ],
  transfers: true,
  run: (env, [src, dst]) => transferTo(env, 'copy', src!, dst!),
};
