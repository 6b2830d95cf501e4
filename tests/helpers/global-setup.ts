import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { nodeBundleOptions } from '../../scripts/node-bundle.mjs';
import { buildCli, buildLibrary } from '../../scripts/build-cli.mjs';
import { buildApp } from '../../scripts/build-app.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of the bundled child-process fixtures (plain .mjs runnable with node). */
    fixturesDir: string;
  }
}

/**
 * Refuses to run outside `npm test` (which provides a throwaway HOME and
 * keyring), then bundles tests/fixtures/*.child.ts so tests can spawn them
 * as real processes with plain `node`.
 */
export default async function setup(project: TestProject): Promise<void> {
  if (!process.env['CPW_TEST_ROOT'] || process.env['CPW_KEYCHAIN_SERVICE'] !== 'cp-whisperx-test') {
    throw new Error('Run the tests with `npm test`: it provides a throwaway HOME, D-Bus session and keyring. Running vitest directly could touch your real keyring.');
  }
  const root = resolve(import.meta.dirname, '../..');
  // Inside the repo so `keytar` (native, external) resolves from node_modules. One folder per
  // checkout: worktrees share node_modules, and one checkout's fixtures must never run another's tests.
  const outdir = join(root, 'node_modules', '.cache', `cpw-vault-tests-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
  mkdirSync(outdir, { recursive: true });
  const entries = readdirSync(join(root, 'tests', 'fixtures')).filter((f) => f.endsWith('.child.ts'));
  // The CLI, library and app bundles under test are built from the current sources.
  const bundles = Promise.all([buildCli(), buildLibrary(), buildApp({ quiet: true })]);
  await build({
    entryPoints: entries.map((f) => join(root, 'tests', 'fixtures', f)),
    outdir,
    outExtension: { '.js': '.mjs' },
    ...nodeBundleOptions,
  });
  await bundles;
  project.provide('fixturesDir', outdir);
}
