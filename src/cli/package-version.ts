import { readFileSync } from 'node:fs';

/** nclone's version, from package.json: the one place it is written. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
