#!/usr/bin/env node
// Builds the desktop app into dist/app with esbuild:
//   main.cjs      Electron main process (CommonJS; electron and keytar stay external)
//   preload.cjs   the preload, one file (a sandboxed preload can only require electron)
//   renderer/     index.html, app.js (React, minified ESM) and app.css
// Prints the renderer's gzip size against the 120 KB target.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
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
  external: ['electron', 'keytar'],
  define: { 'import.meta.url': '__cpwImportMetaUrl' },
  banner: { js: "const __cpwImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/** Target size of the renderer's JavaScript, gzipped. */
export const RENDERER_GZIP_TARGET = 120 * 1024;

export async function buildApp({ quiet = false } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'renderer'), { recursive: true });
  await Promise.all([
    build({ ...cjs, entryPoints: [join(root, 'electron/main/index.ts')], outfile: join(out, 'main.cjs') }),
    build({ ...cjs, entryPoints: [join(root, 'electron/preload/index.ts')], outfile: join(out, 'preload.cjs'), banner: {}, define: {}, minify: false }),
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
      logLevel: 'error',
    }),
  ]);
  copyFileSync(join(root, 'renderer/index.html'), join(out, 'renderer/index.html'));
  const js = readFileSync(join(out, 'renderer/app.js'));
  const gzip = gzipSync(js, { level: 9 }).length;
  if (!quiet) {
    const verdict = gzip <= RENDERER_GZIP_TARGET ? 'within' : 'OVER';
    console.log(`renderer app.js: ${(js.length / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzip (${verdict} the ${RENDERER_GZIP_TARGET / 1024} KB target)`);
  }
  return { gzip };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildApp();
