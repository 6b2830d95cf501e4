#!/usr/bin/env node
// Builds what `npm install` needs for the `cpw-vault` command and the library:
//   dist/cli.cjs     the CLI, one CommonJS bundle (CommonJS starts faster than ESM on Node 20)
//   dist/fast.cjs    the read commands pipelines call in loops (get, env, list, which, check, exec)
//                    without the argument parser, prompts, the schema library or the writer
//   dist/light-doctor.cjs  a plain `doctor`: the light bundle plus doctor and the profile schema
//   dist/*.cache     V8's code caches of the three CLI bundles (scripts/code-cache.mjs, read by bin/load-bundle.cjs)
//   dist/agent.cjs   the unlock agent of the age vault file backend (started by `cpw-vault unlock`)
//   dist/index.mjs   the library, ESM, for `import ... from 'cpw-vault'`
//   dist/types/      its type declarations
// Runs on `npm install`/`npm ci` (prepare) and before the tests.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCodeCaches } from './code-cache.mjs';
import { nodeBundleOptions } from './node-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { banner: _esmBanner, ...common } = nodeBundleOptions;

const cjs = {
  ...common,
  // undici (verify's HTTP client) is required from node_modules when verify runs, so the
  // other commands do not parse its half a megabyte at every start.
  external: [...common.external, 'undici'],
  format: 'cjs',
  // Code that resolves native modules from its own location uses import.meta.url. Made when first asked:
  // node:url's pathToFileURL costs ~0.25 ms at every start, and `get` never asks.
  define: { 'import.meta.url': '__cpwImportMeta.url' },
  banner: { js: "const __cpwImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  // CPW_NO_MINIFY=1: readable bundles, for a CPU profile with real function names.
  minify: !process.env.CPW_NO_MINIFY,
  legalComments: 'none',
};

export async function buildCli() {
  await Promise.all([
    build({ ...cjs, entryPoints: [join(root, 'shared/cli/bin.ts')], outfile: join(root, 'dist/cli.cjs') }),
    // The light path; it requires ./cli.cjs only to hand over.
    // age-encryption stays out of the fast bundle: `get` through the agent never loads it (from node_modules when needed).
    build({ ...cjs, entryPoints: [join(root, 'shared/cli/fast.ts')], outfile: join(root, 'dist/fast.cjs'), external: [...cjs.external, './cli.cjs', 'age-encryption'] }),
    build({ ...cjs, entryPoints: [join(root, 'shared/cli/fast-doctor.ts')], outfile: join(root, 'dist/light-doctor.cjs'), external: [...cjs.external, './cli.cjs', 'age-encryption'] }),
    build({ ...cjs, entryPoints: [join(root, 'shared/node/agent/main.ts')], outfile: join(root, 'dist/agent.cjs') }),
  ]);
  buildCodeCaches();
}

export async function buildLibrary() {
  await build({ ...nodeBundleOptions, entryPoints: [join(root, 'shared/index.ts')], outfile: join(root, 'dist/index.mjs') });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'shared/tsconfig.lib.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('declaration build failed');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildCli(), buildLibrary()]);
}
