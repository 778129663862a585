/** What the command-line tests of the engine's flags share: a workspace of local trees and log parsing. */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { makeBase, makeCli, type Cli } from '../s3/helpers-cli.js';

/** A file's content, or its content and mtime in seconds (1_600_000_000 when not given). */
export type Spec = string | Buffer | [string | Buffer, number];

export interface Workspace {
  cli: Cli;
  base: string;
  /** A fresh directory holding the files. */
  tree(files: Record<string, Spec>): string;
  /** A fresh path that does not exist yet. */
  fresh(): string;
}

/** Call at the top of a test file: nclone and rclone set up (the RGW as `rgw`) and a private directory. */
export function useWorkspace(label: string): Workspace {
  let n = 0;
  const ws = {} as Workspace;
  beforeAll(() => {
    ws.base = makeBase(label);
    ws.cli = makeCli(ws.base, false);
  });
  afterAll(() => nfs.rmSync(ws.base, { recursive: true, force: true }));
  ws.fresh = () => path.join(ws.base, `t${n++}`);
  ws.tree = (files) => {
    const root = ws.fresh();
    nfs.mkdirSync(root, { recursive: true });
    for (const [rel, spec] of Object.entries(files)) writeFile(root, rel, spec);
    return root;
  };
  return ws;
}

export function writeFile(root: string, rel: string, spec: Spec): void {
  const [data, mtime] = Array.isArray(spec) ? spec : [spec, 1_600_000_000];
  const p = path.join(root, rel);
  nfs.mkdirSync(path.dirname(p), { recursive: true });
  nfs.writeFileSync(p, data);
  nfs.utimesSync(p, mtime, mtime);
}

/** The names that the "<name>: <what>" log lines matching `what` name, in log order. */
export function named(stderr: string, what: RegExp): string[] {
  return stderr
    .split('\n')
    .map((l) => /^\S+ \S+ \w+\s*: (.*?): (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && what.test(m[2]!))
    .map((m) => m[1]!);
}
