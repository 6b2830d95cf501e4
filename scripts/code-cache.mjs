#!/usr/bin/env node
// Writes dist/<bundle>.cache, V8's code cache of each CLI bundle, for
// bin/load-bundle.cjs. Each bundle is loaded in a child process of its own
// and runs its usual commands first (in a throwaway HOME, values from env
// vars, a D-Bus address that leads nowhere: no keychain, no file outside the
// temp folder is touched), so the cache holds the functions those commands
// compile, not only the top level. A failure here leaves no cache (the CLI
// then compiles at each start, as before) and never fails the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The commands each bundle runs before its cache is taken. */
const WARM_UP = {
  'fast.cjs': [['get', 'huggingface', 'token'], ['env', '--workflow', 'subtitle'], ['list'], ['check', 'subtitle'], ['which', 'huggingface', 'token'], ['exec', '--workflow', 'transcribe', '--', 'true']],
  'light-doctor.cjs': [['doctor']],
  'cli.cjs': [['profile', 'show'], ['set', 'tmdb', 'api_key']],
};

/** In the child: load `bundle`, run its commands quietly, write its cache beside it. */
async function one(bundle, home, dist) {
  const { produceCache } = require('../bin/load-bundle.cjs');
  const file = join(dist, bundle);
  const now = new Date().toISOString();
  mkdirSync(join(home, '.cp-whisperx'), { mode: 0o700 });
  writeFileSync(join(home, '.cp-whisperx', 'user.profile'), `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: { 'huggingface.token': { created_at: now, updated_at: now, hint: '••••warm', storage: 'keychain' } } }, null, 2)}\n`, { mode: 0o600 });
  const io = {
    out() {},
    err() {},
    env: process.env,
    cwd: home,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    color: false,
    readStdin: async () => '00112233445566778899aabbccddeeff',
    prompts: async () => {
      throw new Error('no prompts while warming up');
    },
  };
  const cache = await produceCache(file, async ({ main }) => {
    for (const argv of WARM_UP[bundle]) await main(argv, io).catch(() => {});
  });
  const temp = `${file}.cache.tmp-${process.pid}`;
  writeFileSync(temp, cache);
  renameSync(temp, `${file}.cache`);
}

/** Writes the cache of each bundle in `dist` (the package's, or a benchmark's build of the same bundles). */
export function buildCodeCaches(dist = join(root, 'dist')) {
  for (const bundle of Object.keys(WARM_UP)) {
    const cacheFile = join(dist, `${bundle}.cache`);
    rmSync(cacheFile, { force: true });
    if (!existsSync(join(dist, bundle))) continue; // a benchmark's build has only some of them
    const home = mkdtempSync(join(tmpdir(), 'cpw-vault-code-cache-'));
    try {
      const env = {
        PATH: '/usr/bin:/bin',
        HOME: home,
        XDG_RUNTIME_DIR: home,
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}`,
        CPW_KEYCHAIN_SERVICE: 'cpw-vault-code-cache',
        HF_TOKEN: 'hf_warmupwarmupwarmupwarmupwarmup',
        TMDB_API_KEY: '00112233445566778899aabbccddeeff',
      };
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', bundle, home, dist], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      if (r.status !== 0) process.stderr.write(`code cache of ${bundle} not written (the CLI works without it): ${String(r.stderr).trim().split('\n').pop() ?? r.signal}\n`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--one') {
    await one(process.argv[3], process.argv[4], process.argv[5]);
    process.exit(0);
  }
  buildCodeCaches();
}
