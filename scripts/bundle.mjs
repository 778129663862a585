// Bundles the compiled CLI (dist/, from tsc) into dist/bundle/, which bin/nclone runs when it
// is at least as new as the compiled tree. Node 20's module loader costs about a millisecond
// per file, and a command loaded 45 (version) to 75 (an S3 listing) of them. The bundle is
// split where the code loads late (each command, each backend's implementation, the sync
// engine), so a command still loads only what it uses. Of the npm packages, only the small
// ones every run loads are taken in; the rest (the AWS SDK, ssh2, inquirer, ...) load from
// node_modules when a command needs them. dist/bundle/meta.json lists the compiled files
// and packages each output file holds (test/cli-lazy-load.test.ts reads it).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'dist/src/cli/main.js' },
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
  plugins: [lazyChildProcess],
  logLevel: 'warning',
});
const holds = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) holds[file.slice('dist/bundle/'.length)] = Object.keys(out.inputs);
}
writeFileSync(`${outdir}/meta.json`, `${JSON.stringify(holds, null, 1)}\n`);
