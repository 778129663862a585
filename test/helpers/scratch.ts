import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Numbered paths and small source trees under a test file's base directory (given as a
 * function because the base is made in beforeAll).
 */
export function scratchTrees(base: () => string) {
  let n = 0;
  const fresh = (name: string): string => path.join(base(), `${++n}-${name}`);
  return {
    fresh,
    /** A directory holding the named files, each `size` bytes. */
    tree(names: string[], size = 100): string {
      const dir = fresh('src');
      mkdirSync(dir);
      names.forEach((name, i) => writeFileSync(path.join(dir, name), Buffer.alloc(size, i)));
      return dir;
    },
    /** Random (incompressible) files, big enough that a --bwlimit copy takes seconds: time to interrupt it. */
    slowTree(files: number, size: number): string {
      const dir = fresh('slow');
      mkdirSync(dir);
      for (let i = 0; i < files; i++) writeFileSync(path.join(dir, `big${i}.bin`), randomBytes(size));
      return dir;
    },
  };
}
