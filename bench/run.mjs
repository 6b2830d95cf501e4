#!/usr/bin/env node
// `npm run bench`: the figures, ratios and curves of cpw-vault on a real
// (throwaway) keychain, each with its target and verdict. Not a test: these
// machines are shared and noisy, so commands are timed in alternation and
// ratios matter more than milliseconds; read the figures, rerun if odd.
// BENCH_ONLY=startup,scale,inprocess,file,masking,parsers,migration,keychain picks sections; BENCH_RUNS sets the runs.
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { missingTools, runInSession, startKeyring, throwawayEnv } from '../scripts/throwaway-keyring.mjs';
import { RUNS } from './lib.mjs';

// The sections that fill the keyring with thousands of items (migration, keychain) run last: gnome-keyring's
// every call slows as its collection grows, and the others would measure that instead of cpw-vault.
const SECTIONS = {
  startup: async () => (await import('./startup.mjs')).startup(),
  scale: async () => (await import('./scale.mjs')).scale(),
  inprocess: async () => (await import('./inprocess.mjs')).inProcess(),
  file: async () => (await import('./file-backend.mjs')).fileBackend(),
  masking: async () => (await import('./masking.mjs')).masking(),
  parsers: async () => (await import('./parsers.mjs')).parserFigures(),
  migration: async () => (await import('./migration.mjs')).migration(),
  keychain: async () => (await import('./scale.mjs')).scaleKeychain(),
};

async function inside() {
  await startKeyring();
  const only = process.env.BENCH_ONLY?.split(',');
  console.log(`cpw-vault benchmark: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}; medians of ${RUNS} runs unless said`);
  for (const [name, run] of Object.entries(SECTIONS)) if (!only || only.includes(name)) await run();
}

if (process.argv[2] === '--inside') {
  await inside();
} else {
  const missing = missingTools();
  if (missing.length) {
    console.error(`the benchmark needs: ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
    process.exit(1);
  }
  const { env } = throwawayEnv('cpw-vault-bench-', 'cp-whisperx-bench');
  process.exit(await runInSession(fileURLToPath(import.meta.url), [], env));
}
