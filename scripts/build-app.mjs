#!/usr/bin/env node
// Builds the desktop app into dist/app with esbuild:
//   main.js       Electron main process (CommonJS; electron and keytar stay external)
//   preload.js    the preload, one file (a sandboxed preload can only require electron)
//   package.json  {"type": "commonjs"}: the bundles are .js (the only extension
//                 Electronegativity scans), CommonJS inside an ESM package
//   renderer/     index.html, app.js (React, minified ESM) and app.css
// Prints the renderer's gzip size against the 120 KB target.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { nodeBundleOptions } from './node-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/app');
const { banner: _esmBanner, ...node } = nodeBundleOptions;
const cjs = {
  ...node,
  format: 'cjs',
  // ES2020 output: Electronegativity's parser (an old Babel) cannot read class private fields.
  target: 'es2020',
  external: ['electron', 'keytar'],
  define: { 'import.meta.url': '__cpwImportMetaUrl' },
  banner: { js: "const __cpwImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * Electronegativity's OPEN_EXTERNAL_JS_CHECK flags, for manual review, every
 * openExternal call whose argument is not a literal. Reviewed: in main each
 * shell.openExternal call checks isAllowedExternal on the same line (a test
 * enforces it); in the renderer "openExternal" is the IPC method, which main
 * validates the same way (the renderer cannot reach shell). esbuild drops
 * comments, so the tool's own file-level directive is set as the bundles'
 * first line.
 */
const REVIEWED = '/* eng-disable OPEN_EXTERNAL_JS_CHECK (reviewed: see scripts/build-app.mjs) */';

/** Target size of the renderer's JavaScript, gzipped. */
export const RENDERER_GZIP_TARGET = 120 * 1024;

export async function buildApp({ quiet = false } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'renderer'), { recursive: true });
  await Promise.all([
    build({ ...cjs, entryPoints: [join(root, 'electron/main/index.ts')], outfile: join(out, 'main.js'), banner: { js: `${REVIEWED}\n${cjs.banner.js}` } }),
    build({ ...cjs, entryPoints: [join(root, 'electron/preload/index.ts')], outfile: join(out, 'preload.js'), banner: {}, define: {}, minify: false }),
    build({
      entryPoints: [join(root, 'renderer/main.tsx')],
      outfile: join(out, 'renderer/app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome120'],
      jsx: 'automatic',
      minify: true,
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
      banner: { js: REVIEWED },
      logLevel: 'error',
    }),
  ]);
  copyFileSync(join(root, 'renderer/index.html'), join(out, 'renderer/index.html'));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  const js = readFileSync(join(out, 'renderer/app.js'));
  const gzip = gzipSync(js, { level: 9 }).length;
  if (!quiet) {
    const verdict = gzip <= RENDERER_GZIP_TARGET ? 'within' : 'OVER';
    console.log(`renderer app.js: ${(js.length / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzip (${verdict} the ${RENDERER_GZIP_TARGET / 1024} KB target)`);
  }
  return { gzip };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildApp();
