/**
 * Trees for the check and checksum tests: a source and a destination that differ in each
 * way check reports (one file only in each, a size, a content of the same size), with
 * what --combined should say about them.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';

export const SRC_FILES: Record<string, string> = {
  'same.txt': 'same\n',
  'only-src.txt': 'only in the source\n',
  'size.txt': 'aaaa\n',
  'content.txt': 'abc\n',
  'sub dir/same #2.txt': 'nested\n',
};

export const DST_FILES: Record<string, string> = {
  'same.txt': 'same\n',
  'only-dst.txt': 'only in the destination\n',
  'size.txt': 'aaaaaaaa\n',
  'content.txt': 'xyz\n',
  'sub dir/same #2.txt': 'nested\n',
};

/** The --combined report for SRC_FILES against DST_FILES, sorted. */
export const COMBINED = ['* content.txt', '* size.txt', '+ only-src.txt', '- only-dst.txt', '= same.txt', '= sub dir/same #2.txt'];

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, data] of Object.entries(files)) {
    const p = path.join(root, rel);
    nfs.mkdirSync(path.dirname(p), { recursive: true });
    nfs.writeFileSync(p, data);
  }
}

/** Non-empty lines, sorted. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '').sort();
}

/** stderr's log lines without their time stamps. */
export function logLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, ''));
}
