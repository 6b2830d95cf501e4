import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeBundleOptions } from '../../scripts/node-bundle.mjs';

const root = resolve(import.meta.dirname, '../..');

/** The files (relative to the repo) a bundle of `entry` built with the shared options takes code from. */
async function bundledFrom(entry: string): Promise<string[]> {
  const r = await build({ ...nodeBundleOptions, entryPoints: [join(root, entry)], write: false, metafile: true, outfile: join(root, 'dist/probe.mjs') });
  const [output] = Object.values(r.metafile!.outputs);
  return Object.entries(output!.inputs)
    .filter(([, i]) => i.bytesInOutput > 0)
    .map(([path]) => path);
}

describe('what the Node bundles take in', () => {
  // Built at load for jsonc-parser's formatter (1,200 strings of line breaks and indents, ~340 KB of heap and
  // ~0.4 ms at every start of doctor and the full CLI), which nothing here calls: only its parser is used.
  it("JSON parsing takes jsonc-parser's parser, not its formatter's string cache", async () => {
    const inputs = await bundledFrom('shared/core/json.ts');
    expect(inputs.some((p) => p.endsWith('jsonc-parser/lib/esm/impl/parser.js'))).toBe(true);
    expect(inputs.filter((p) => /jsonc-parser\/lib\/esm\/impl\/(string-intern|format|edit)\.js$/.test(p))).toEqual([]);
  });

  it("the whole CLI and the library take none of it either", async () => {
    for (const entry of ['shared/cli/bin.ts', 'shared/index.ts']) {
      expect([entry, (await bundledFrom(entry)).filter((p) => p.includes('string-intern'))]).toEqual([entry, []]);
    }
  });
});
