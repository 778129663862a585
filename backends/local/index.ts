import type { BackendDef } from '../../src/fs/registry.js';
import type { MetadataHelp } from '../../src/fs/metadata.js';

const time = { type: 'RFC 3339', example: '2006-01-02T15:04:05.999999999Z' };
/** The system metadata keys -M reads and writes (metadata.ts), for help and docs. */
export const LOCAL_METADATA: Record<string, MetadataHelp> = {
  atime: { help: 'Time of last access', ...time },
  btime: { help: 'Time of file birth (creation), where the file system keeps it', ...time, readOnly: true },
  gid: { help: 'Group ID of owner', type: 'decimal number', example: '500' },
  mode: { help: 'File type and mode', type: 'octal, unix style', example: '100664' },
  mtime: { help: 'Time of last modification', ...time },
  rdev: { help: 'Device ID (if special file)', type: 'hexadecimal', example: '1abc', readOnly: true },
  uid: { help: 'User ID of owner', type: 'decimal number', example: '500' },
};

export const localBackend: BackendDef = {
  name: 'local',
  description: 'Local disk',
  options: [
    {
      name: 'copy_links',
      help: 'Follow symlinks and copy the pointed-to item.',
      type: 'bool',
      default: false,
      advanced: true,
      flag: { name: 'copy-links', short: 'L' },
    },
    {
      name: 'links',
      help: 'Translate symlinks to and from regular files with a ".rclonelink" extension.',
      type: 'bool',
      default: false,
      advanced: true,
      flag: { name: 'links', short: 'l' },
    },
    {
      name: 'skip_links',
      help: "Don't warn about skipped symlinks.",
      type: 'bool',
      default: false,
      advanced: true,
      flag: { name: 'skip-links' },
    },
  ],
  // file:///abs/path, percent-decoded.
  url: { schemes: ['file'], parse: (rest) => ({ root: decodeURIComponent(rest.replace(/^localhost(?=\/)/, '')), params: {}, warnings: [] }) },
  metadata: LOCAL_METADATA,
  load: () => import('./fs.js'),
};
