import type { BackendDef } from '../../src/fs/registry.js';

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
  load: () => import('./fs.js'),
};
