// esbuild options for Node-side bundles (CLI, library, test fixtures): one
// place, so every bundle resolves packages and CommonJS globals the same way.

/** Shared esbuild options for an ESM bundle that runs on plain Node 20. */
export const nodeBundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // keytar is a native addon: loaded from node_modules at run time, never bundled.
  external: ['keytar'],
  // Prefer ESM builds: UMD builds (jsonc-parser) hide their requires from the bundler.
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into ESM still expect require/__filename/__dirname.
  banner: {
    js: [
      "import { createRequire as __cpwCreateRequire } from 'node:module';",
      "import { fileURLToPath as __cpwFileURLToPath } from 'node:url';",
      'const require = __cpwCreateRequire(import.meta.url);',
      'const __filename = __cpwFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join('\n'),
  },
  logLevel: 'error',
};
