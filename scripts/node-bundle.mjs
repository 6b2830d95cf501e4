// esbuild options for Node-side bundles (CLI, library, test fixtures): one
// place, so every bundle resolves packages and CommonJS globals the same way.

import { join } from 'node:path';

/**
 * jsonc-parser's string-intern.js builds 1,200 strings of line breaks and indents when loaded, for its formatter,
 * which nothing here uses (only its parser): ~340 KB of heap and ~0.4 ms at every start of a bundle that parses JSON
 * (doctor, the full CLI). Declared free of side effects, it is dropped with the formatter.
 */
const jsoncFormatterCache = {
  name: 'jsonc-formatter-cache',
  setup(build) {
    build.onResolve({ filter: /^\.\/string-intern(\.js)?$/ }, (args) =>
      /[\\/]jsonc-parser[\\/]/.test(args.importer) ? { path: join(args.resolveDir, 'string-intern.js'), sideEffects: false } : undefined,
    );
  },
};

/** Shared esbuild options for an ESM bundle that runs on plain Node 20. */
export const nodeBundleOptions = {
  plugins: [jsoncFormatterCache],
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
