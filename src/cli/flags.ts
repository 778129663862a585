/**
 * Global flags as data, with rclone's names, meanings and defaults. Each is also read
 * from NCLONE_<NAME> (dashes as underscores), as rclone reads RCLONE_<NAME>.
 */
export type FlagType = 'bool' | 'count' | 'string' | 'strings' | 'int' | 'size' | 'duration';

export interface FlagDef {
  name: string;
  short?: string;
  type: FlagType;
  help: string;
  /** Shown in help as the value placeholder. */
  arg?: string;
  default?: string | number | boolean;
  group: 'general' | 'logging' | 'copy' | 'sync' | 'filter' | 'listing';
}

export const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'config', type: 'string', arg: 'FILE', help: 'Config file (default $NCLONE_CONFIG or ~/.config/nclone/nclone.conf)', group: 'general' },
  { name: 'password-command', type: 'string', arg: 'COMMAND', help: 'Command whose output is the config file password (else $NCLONE_CONFIG_PASS, else a prompt)', group: 'general' },
  { name: 'verbose', short: 'v', type: 'count', help: 'Print lots more stuff (repeat for more)', group: 'logging' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'Print as little stuff as possible', group: 'logging' },
  { name: 'log-level', type: 'string', arg: 'LEVEL', help: 'Log level DEBUG|INFO|NOTICE|ERROR (default NOTICE)', group: 'logging' },
  { name: 'log-file', type: 'string', arg: 'FILE', help: 'Log everything to this file', group: 'logging' },
  { name: 'progress', short: 'P', type: 'bool', help: 'Show progress during transfer (plain lines every second when stderr is not a terminal)', group: 'logging' },
  { name: 'progress-terminal-title', type: 'bool', help: 'Show progress on the terminal title (with -P)', group: 'logging' },
  { name: 'stats', type: 'duration', arg: 'DURATION', default: '1m', help: 'Interval between printing stats at INFO level (0 to disable)', group: 'logging' },
  { name: 'stats-one-line', type: 'bool', help: 'Make the stats fit on one line', group: 'logging' },
  { name: 'stats-log-level', type: 'string', arg: 'LEVEL', default: 'INFO', help: 'Log level of the --stats lines and the final summary DEBUG|INFO|NOTICE|ERROR (NOTICE with --dry-run)', group: 'logging' },
  { name: 'stats-unit', type: 'string', arg: 'UNIT', default: 'bytes', help: "Show the data rate in stats as 'bits' or 'bytes' per second", group: 'logging' },
  { name: 'use-json-log', type: 'bool', help: 'Write each log line as one JSON object (level, msg, object, time, stats)', group: 'logging' },
  { name: 'log-file-max-size', type: 'size', arg: 'SIZE', default: 'off', help: 'Rotate --log-file to FILE.1 when it would grow past this size (default off)', group: 'logging' },
  { name: 'summary-json', type: 'string', arg: 'FILE', help: 'At the end of the run write a JSON summary (counts, errors, exit code) to FILE, atomically', group: 'logging' },
  { name: 'lock-file', type: 'string', arg: 'FILE', help: 'Refuse to start (exit code 12) while another run holds FILE; a lock left by a dead process is taken over', group: 'general' },
  { name: 'dry-run', short: 'n', type: 'bool', help: 'Do a trial run with no permanent changes', group: 'general' },
  { name: 'interactive', short: 'i', type: 'bool', help: 'Ask on the terminal before each copy, delete and directory change', group: 'general' },
  { name: 'transfers', type: 'int', arg: 'N', default: 4, help: 'Number of file transfers to run in parallel', group: 'copy' },
  { name: 'checkers', type: 'int', arg: 'N', default: 8, help: 'Number of checkers to run in parallel', group: 'copy' },
  { name: 'checksum', short: 'c', type: 'bool', help: 'Check for changes with size & checksum (if available, or fallback to size only)', group: 'copy' },
  { name: 'size-only', type: 'bool', help: 'Skip based on size only, not modification time or checksum', group: 'copy' },
  { name: 'ignore-size', type: 'bool', help: 'Ignore size when skipping, use modification time or checksum', group: 'copy' },
  { name: 'ignore-times', short: 'I', type: 'bool', help: "Don't skip items that match size and time - transfer all unconditionally", group: 'copy' },
  { name: 'ignore-checksum', type: 'bool', help: 'Skip post copy check of checksums', group: 'copy' },
  { name: 'update', short: 'u', type: 'bool', help: 'Skip files that are newer on the destination', group: 'copy' },
  { name: 'ignore-existing', type: 'bool', help: 'Skip all files that exist on destination', group: 'copy' },
  { name: 'modify-window', type: 'duration', arg: 'DURATION', default: '1ns', help: 'Max time diff to be considered the same', group: 'copy' },
  { name: 'max-transfer', type: 'size', arg: 'SIZE', default: 'off', help: 'Maximum size of data to transfer (default off)', group: 'copy' },
  { name: 'bwlimit', type: 'string', arg: 'RATE', default: 'off', help: 'Bandwidth limit for all transfers together in bytes/s, e.g. 10M (default off)', group: 'copy' },
  { name: 'retries', type: 'int', arg: 'N', default: 3, help: 'Retry operations this many times if they fail', group: 'copy' },
  { name: 'retries-sleep', type: 'duration', arg: 'DURATION', default: '0', help: 'Interval between retrying operations if they fail, e.g. 10s (0 to disable)', group: 'copy' },
  { name: 'low-level-retries', type: 'int', arg: 'N', default: 10, help: 'Number of low level retries to do', group: 'copy' },
  { name: 'tpslimit', type: 'string', arg: 'N', default: 0, help: 'Limit HTTP transactions per second to this, over every remote (0 for no limit)', group: 'general' },
  { name: 'tpslimit-burst', type: 'int', arg: 'N', default: 1, help: 'Max burst of transactions for --tpslimit', group: 'general' },
  { name: 'timeout', type: 'duration', arg: 'DURATION', default: '5m', help: 'IO idle timeout: a connection silent this long is dropped and the request retried', group: 'general' },
  { name: 'contimeout', type: 'duration', arg: 'DURATION', default: '1m', help: 'Connect timeout', group: 'general' },
  { name: 'no-check-certificate', type: 'bool', help: "Do not verify the server's TLS certificate (insecure)", group: 'general' },
  { name: 'ca-cert', type: 'strings', arg: 'FILE', help: 'CA certificate (PEM) used to verify servers, in place of the system ones', group: 'general' },
  { name: 'multi-thread-streams', type: 'int', arg: 'N', default: 4, help: 'Ranged streams used to download one large file to local disk (0 or 1 to turn off)', group: 'copy' },
  { name: 'multi-thread-cutoff', type: 'size', arg: 'SIZE', default: '250Mi', help: 'Files at least this large are downloaded to local disk with several streams', group: 'copy' },
  { name: 'metadata', short: 'M', type: 'bool', help: 'Copy metadata (S3 headers and user metadata, file mode and owner) with each file (see docs/metadata.md)', group: 'copy' },
  { name: 'metadata-set', type: 'strings', arg: 'KEY=VALUE', help: 'Add this metadata to every file uploaded with -M (may be repeated)', group: 'copy' },
  { name: 'check-first', type: 'bool', help: 'Do every check before starting any transfer', group: 'copy' },
  { name: 'no-traverse', type: 'bool', help: "Don't list the destination: look each source file up in it (copy and move; ignored by sync)", group: 'copy' },
  { name: 'max-duration', type: 'duration', arg: 'DURATION', default: '0', help: 'Stop transferring after this long, e.g. 1h30m; 0 for no limit (see --cutoff-mode)', group: 'copy' },
  { name: 'cutoff-mode', type: 'string', arg: 'MODE', default: 'hard', help: 'How --max-transfer and --max-duration stop: hard (at once), soft (running transfers finish), cautious (soft, and start nothing that could pass --max-transfer)', group: 'copy' },
  { name: 'max-backlog', type: 'int', arg: 'N', default: 10000, help: 'Checks and transfers that may wait in each queue (about N kB of memory; negative for no limit)', group: 'copy' },
  { name: 'order-by', type: 'string', arg: 'ORDER', help: 'Order of the transfers: size|name|modtime[,ascending|descending|mixed[,PERCENT]], e.g. size,descending', group: 'copy' },
  { name: 'error-on-no-transfer', type: 'bool', help: 'Sets exit code 9 if no files are transferred', group: 'copy' },
  { name: 'fast-list', type: 'bool', help: 'Use recursive list if available; uses more memory but fewer transactions', group: 'listing' },
  { name: 'create-empty-src-dirs', type: 'bool', help: 'Create empty source dirs on destination after copy', group: 'copy' },
  { name: 'max-depth', type: 'int', arg: 'N', default: -1, help: 'If set limits the recursion depth to this', group: 'listing' },
  { name: 'max-delete', type: 'int', arg: 'N', default: -1, help: "When synchronizing, limit the number of deletes (default off)", group: 'sync' },
  { name: 'max-delete-size', type: 'size', arg: 'SIZE', default: 'off', help: 'When synchronizing, limit the total size of deletes (default off)', group: 'sync' },
  { name: 'allow-empty-source', type: 'bool', help: 'Let sync delete everything on the destination when the source has no files', group: 'sync' },
  { name: 'delete-before', type: 'bool', help: 'When synchronizing, delete files on destination before transferring', group: 'sync' },
  { name: 'delete-during', type: 'bool', help: 'When synchronizing, delete files during transfer', group: 'sync' },
  { name: 'delete-after', type: 'bool', help: 'When synchronizing, delete files on destination after transferring (default)', group: 'sync' },
  { name: 'delete-excluded', type: 'bool', help: 'Delete files on dest excluded from sync', group: 'sync' },
  { name: 'compare-dest', type: 'strings', arg: 'DIR', help: 'Also compare with DIR (may be repeated): a file identical there is not copied', group: 'sync' },
  { name: 'copy-dest', type: 'strings', arg: 'DIR', help: 'Like --compare-dest, but a file identical in DIR is server-side copied from there into the destination', group: 'sync' },
  { name: 'track-renames', type: 'bool', help: 'When syncing, move renamed files on the destination instead of deleting and sending them again', group: 'sync' },
  { name: 'track-renames-strategy', type: 'string', arg: 'LIST', default: 'hash', help: 'What --track-renames matches files on: hash, modtime, leaf (comma separated; the size always)', group: 'sync' },
  { name: 'backup-dir', type: 'string', arg: 'DIR', help: 'Make backups into hierarchy based in DIR', group: 'sync' },
  { name: 'suffix', type: 'string', arg: 'SUFFIX', help: 'Suffix to add to changed files', group: 'sync' },
  { name: 'include', type: 'strings', arg: 'PATTERN', help: 'Include files matching pattern', group: 'filter' },
  { name: 'exclude', type: 'strings', arg: 'PATTERN', help: 'Exclude files matching pattern', group: 'filter' },
  { name: 'filter', short: 'f', type: 'strings', arg: 'RULE', help: 'Add a file filtering rule ("+ pattern" or "- pattern")', group: 'filter' },
  { name: 'include-from', type: 'strings', arg: 'FILE', help: 'Read file include patterns from file', group: 'filter' },
  { name: 'exclude-from', type: 'strings', arg: 'FILE', help: 'Read file exclude patterns from file', group: 'filter' },
  { name: 'filter-from', type: 'strings', arg: 'FILE', help: 'Read file filtering patterns from a file', group: 'filter' },
  { name: 'files-from', type: 'strings', arg: 'FILE', help: 'Read list of source-file names from file', group: 'filter' },
  { name: 'exclude-if-present', type: 'strings', arg: 'NAME', help: 'Exclude directories (and everything below) that hold a file of this name', group: 'filter' },
  { name: 'hash-filter', type: 'string', arg: 'K/N', help: 'Only files in partition K of N by a hash of their path (@/N: a random partition); N runs with K = 0..N-1 split a tree with no overlap', group: 'filter' },
  { name: 'ignore-case', type: 'bool', help: 'Ignore case in filters (case insensitive)', group: 'filter' },
  { name: 'min-size', type: 'size', arg: 'SIZE', default: 'off', help: 'Only transfer files bigger than this in KiB or suffix B|K|M|G|T|P', group: 'filter' },
  { name: 'max-size', type: 'size', arg: 'SIZE', default: 'off', help: 'Only transfer files smaller than this in KiB or suffix B|K|M|G|T|P', group: 'filter' },
  { name: 'min-age', type: 'string', arg: 'DURATION', help: 'Only transfer files older than this in s or suffix ms|s|m|h|d|w|M|y', group: 'filter' },
  { name: 'max-age', type: 'string', arg: 'DURATION', help: 'Only transfer files younger than this in s or suffix ms|s|m|h|d|w|M|y', group: 'filter' },
];

/** "dry-run" -> "dryRun", the key commander stores a flag under. */
export function flagKey(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function flagEnvName(name: string): string {
  return `NCLONE_${name.toUpperCase().replace(/-/g, '_')}`;
}
