// Bundles the compiled CLI (dist/, from tsc) into dist/bundle/, which bin/nclone runs when it
// is at least as new as the compiled tree. Node 20's module loader costs about half a
// millisecond per file, and a command loaded 45 (version) to 75 (an S3 listing) of them. The bundle is
// split where the code loads late (each command, each backend's implementation, the sync
// engine), so a command still loads only what it uses. Of the npm packages, only the small
// ones every run loads are taken in; the rest (the AWS SDK, ssh2, inquirer, ...) load from
// node_modules when a command needs them. dist/bundle/meta.json lists the compiled files
// and packages each output file holds (test/cli-lazy-load.test.ts reads it).
//
// Everything the CLI's entry imports statically loads at every start, and goes into one file.
// esbuild alone would not do that: it puts code shared by the entry and some of the late
// parts into a chunk per combination of users, so `version` loaded 21 files where it needs 5,
// each some 0.5 ms of Node's module loader (bench/RESULTS.md, "Start-up").
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
const TAKEN_IN = ['commander', 'aws4', '@aws-sdk/xml-builder'];
const { dependencies } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

// commander requires node:child_process at load for executable subcommands, which nclone has
// none of; loading it costs every run a few ms. Its one use (spawn) reaches it on first call.
const lazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = { get spawn() { return require('node:child_process').spawn; } };",
      loader: 'js',
    }));
  },
};

const ENTRY = 'dist/src/cli/main.js';
const options = {
  absWorkingDir: root,
  entryPoints: { main: ENTRY },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: Object.keys(dependencies).filter((d) => !TAKEN_IN.includes(d)),
  // The CommonJS packages taken in call require (for node: modules), which ES modules lack.
  banner: { js: "import { createRequire as __ncloneRequire } from 'node:module';\nconst require = __ncloneRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  // Through tsc's own maps back to the .ts sources, for NODE_OPTIONS=--enable-source-maps.
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
};

// First pass, not written: the module graph. The core is what the entry reaches by static
// imports (ES or require); the late parts are the targets of import() outside it.
const graph = (await build({ ...options, write: false, plugins: [lazyChildProcess] })).metafile.inputs;
const core = new Set();
for (const stack = [ENTRY]; stack.length > 0; ) {
  const file = stack.pop();
  if (core.has(file)) continue;
  core.add(file);
  for (const i of graph[file]?.imports ?? []) if (!i.external && (i.kind === 'import-statement' || i.kind === 'require-call')) stack.push(i.path);
}
const late = new Set();
for (const input of Object.values(graph)) {
  for (const i of input.imports) if (i.kind === 'dynamic-import' && !i.external && !core.has(i.path)) late.add(path.resolve(root, i.path));
}

// Each late part re-exports the whole core (all of its own modules' exports, through one
// namespace module). Every part of the core is then used by the entry and by every late part
// alike, which is what puts it in one chunk. The extra export is never read.
const CORE_ID = 'nclone-bundle-core';
const oneCore = {
  name: 'one-core-chunk',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${CORE_ID}$`) }, () => ({ path: CORE_ID, namespace: 'core' }));
    b.onLoad({ filter: /.*/, namespace: 'core' }, () => ({
      contents: [...core].filter((f) => f.startsWith('dist/')).map((f, i) => `export * as m${i} from ${JSON.stringify(path.resolve(root, f))};`).join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!late.has(args.path)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      // Before tsc's source map comment, which must stay last for the maps to chain.
      const at = text.lastIndexOf('\n//# sourceMappingURL=');
      const add = `\nexport * as __ncloneCore from '${CORE_ID}';`;
      return { contents: at < 0 ? text + add : text.slice(0, at) + add + text.slice(at), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({ ...options, plugins: [lazyChildProcess, oneCore] });
const holds = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) holds[file.slice('dist/bundle/'.length)] = Object.keys(out.inputs);
}
writeFileSync(`${outdir}/meta.json`, `${JSON.stringify(holds, null, 1)}\n`);
