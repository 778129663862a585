import { readFileSync } from 'node:fs';

/**
 * nclone's version, from package.json: the one place it is written. The file is two levels up
 * from the bundle (dist/bundle/) and three from the compiled module (dist/src/cli/).
 */
export function packageVersion(): string {
  // dist/ has no package.json of its own: the first one found is the package's.
  for (const up of ['../../', '../../../']) {
    let pkg: { version?: unknown };
    try {
      pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (typeof pkg.version === 'string') return pkg.version;
  }
  throw new Error("nclone's package.json is not beside its code: reinstall it (npm ci)");
}
