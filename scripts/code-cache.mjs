#!/usr/bin/env node
// Writes dist/<bundle>.cache (and dist/fast.cjs.read.cache), V8's code cache of each CLI bundle, for
// bin/load-bundle.cjs. Each bundle is loaded in a child process of its own
// and runs its usual commands first (in a throwaway HOME; no file outside
// the temp folder is touched), so the cache holds the functions those
// commands compile, not only the top level. Where the system has D-Bus and
// gnome-keyring (the test and bench tools), the commands read their values
// from a throwaway keyring in a private session, as a pipeline's do, so the
// cache holds the Secret Service client too (else compiled at each start;
// with the read cache below, `get` is ~1.3 ms faster); elsewhere they get
// them from env vars.
// A failure here leaves no cache (the CLI then compiles at each start, as
// before) and never fails the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { missingTools, sessionConfig, startKeyring } from './throwaway-keyring.mjs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * Each cache: its bundle, and the commands run before it is taken. A stage's
 * own read (get, env) has a cache of its own: the functions of every light
 * command make a cache ~1.5x the size, and loading it costs `get` ~1 ms more.
 * So has exec: 0.7-1.1 ms faster than with the cache of every light command
 * (interleaved medians of 61 on an idle machine; with a get warmed in too,
 * half that). list, check and which measured the same with caches of their
 * own, and keep the shared one. (exec prints no value to check which way it
 * read it: its report is `written`.)
 */
const WARM_UP = {
  'fast.cjs.read.cache': ['fast.cjs', [['get', 'huggingface', 'token'], ['env', '--workflow', 'subtitle']]],
  'fast.cjs.exec.cache': ['fast.cjs', [['exec', '--workflow', 'transcribe', '--', 'true']]],
  'fast.cjs.cache': ['fast.cjs', [['get', 'huggingface', 'token'], ['env', '--workflow', 'subtitle'], ['list'], ['check', 'subtitle'], ['which', 'huggingface', 'token'], ['exec', '--workflow', 'transcribe', '--', 'true']]],
  'light-doctor.cjs.cache': ['light-doctor.cjs', [['doctor']]],
  'cli.cjs.cache': ['cli.cjs', [['profile', 'show'], ['set', 'tmdb', 'api_key']]],
};

/** The values the commands read: from the throwaway keyring when there is one, else from these env vars. */
const VALUES = { 'huggingface.token': ['HF_TOKEN', 'hf_warmupwarmupwarmupwarmupwarmup'], 'tmdb.api_key': ['TMDB_API_KEY', '00112233445566778899aabbccddeeff'] };
const SERVICE = 'cpw-vault-code-cache';
/** The system tools of the keyring warm-up (a private session bus, the daemon, and its store and probe tools). */
const KEYRING_TOOLS = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool', 'gdbus'];
/** Longest a warm-up may take (a keyring that never answers ends it: the env var warm-up runs instead). */
const TIMEOUT_MS = 60_000;
/**
 * Longest wait for the throwaway keyring to answer (it takes well under a second): tools that are there but do
 * not work (a daemon that will not start) cost the build this much, then the env var warm-up runs. Tests shorten it.
 */
const KEYRING_WAIT_MS = Number(process.env.CPW_CODE_CACHE_KEYRING_WAIT_MS) || 20_000;

/**
 * In the child: load the bundle of cache `name`, run its commands quietly,
 * write the cache. Prints what the first `get` printed, so the parent sees
 * the read went where it should.
 */
async function one(name, home, dist) {
  const { produceCache } = require('../bin/load-bundle.cjs');
  const [bundle, commands] = WARM_UP[name];
  const file = join(dist, bundle);
  const now = new Date().toISOString();
  const metadata = Object.fromEntries(Object.keys(VALUES).map((id) => [id, { created_at: now, updated_at: now, hint: '••••warm', storage: 'keychain' }]));
  mkdirSync(join(home, '.cp-whisperx'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.cp-whisperx', 'user.profile'), `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: metadata }, null, 2)}\n`, { mode: 0o600 });
  let printed;
  const io = {
    out(text) {
      printed ??= text;
    },
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
    for (const argv of commands) await main(argv, io).catch(() => {});
  });
  const temp = join(dist, `${name}.tmp-${process.pid}`);
  writeFileSync(temp, cache);
  renameSync(temp, join(dist, name));
  if (printed !== undefined) process.stdout.write(printed);
}

/** In the private session: starts the throwaway keyring, stores the values as cpw-vault does (keytar's schema), makes each cache. */
async function inSession(home, dist, caches) {
  let timer;
  const gaveUp = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the throwaway keyring did not answer')), KEYRING_WAIT_MS)));
  await Promise.race([startKeyring(), gaveUp]);
  clearTimeout(timer);
  for (const [id] of Object.entries(VALUES)) {
    const r = spawnSync('secret-tool', ['store', `--label=${SERVICE}/${id}`, 'xdg:schema', 'org.freedesktop.Secret.Generic', 'service', SERVICE, 'account', id], { input: VALUES[id][1], timeout: 10_000 });
    if (r.status !== 0) throw new Error(`the throwaway keyring did not store ${id}`);
  }
  const report = {};
  for (const name of caches) report[name] = warm(name, home, dist, { ...process.env, PATH: '/usr/bin:/bin' });
  process.stdout.write(JSON.stringify(report));
}

/** Runs the child that makes cache `name`; returns 'keyring' or 'env' (where its `get` found the value), or the failure. */
function warm(name, home, dist, env) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', name, home, dist], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
  if (r.status !== 0) return `not written (the CLI works without it): ${String(r.stderr).trim().split('\n').pop() || r.signal}`;
  return String(r.stdout) === VALUES['huggingface.token'][1] ? (env.HF_TOKEN ? 'env' : 'keyring') : 'written';
}

/**
 * Writes the caches of the bundles in `dist` (the package's, or a
 * benchmark's build of some of them). Returns how each was warmed: `keyring`
 * (its `get` read the throwaway keyring), `env` (from env vars: no keyring
 * tools), `written` (no `get` among its commands), or why it was not written.
 */
export function buildCodeCaches(dist = join(root, 'dist')) {
  const caches = Object.keys(WARM_UP).filter((name) => existsSync(join(dist, WARM_UP[name][0])));
  for (const name of Object.keys(WARM_UP)) rmSync(join(dist, name), { force: true });
  const home = mkdtempSync(join(tmpdir(), 'cpw-vault-code-cache-'));
  try {
    const env = { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: join(home, 'run'), CPW_KEYCHAIN_SERVICE: SERVICE };
    mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
    let report = missingTools().some(([tool]) => KEYRING_TOOLS.includes(tool)) ? undefined : inKeyringSession(home, dist, caches, env);
    // No keyring (or one that did not answer): the values from env vars, and a D-Bus address that leads nowhere.
    report ??= Object.fromEntries(caches.map((name) => [name, warm(name, home, dist, { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}`, ...Object.fromEntries(Object.values(VALUES)) })]));
    for (const [name, how] of Object.entries(report)) if (how.startsWith('not written')) process.stderr.write(`code cache ${name} ${how}\n`);
    return report;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The warm-up in a private D-Bus session with a throwaway keyring; undefined when that could not be done. The
 * session runs under coreutils' `timeout`, in a process group of its own that `timeout` kills whole at the
 * deadline: the bus, the keeper and the daemon with it. (spawnSync's own timeout signals its child alone, and a
 * killed dbus-run-session left its bus, and the keeper that restarts the daemon while the bus answers, for ever.)
 */
function inKeyringSession(home, dist, caches, env) {
  const timeout = ['/usr/bin/timeout', '/bin/timeout'].find((p) => existsSync(p));
  if (!timeout) return undefined;
  const config = sessionConfig(mkdtempSync(join(env.XDG_RUNTIME_DIR, 'bus-')));
  const budget = Number(process.env.CPW_CODE_CACHE_SESSION_MS) || KEYRING_WAIT_MS + TIMEOUT_MS * caches.length;
  const session = ['dbus-run-session', `--config-file=${config}`, '--', process.execPath, fileURLToPath(import.meta.url), '--in-session', home, dist, ...caches];
  // The tools as this process found them (its PATH); the warm-ups themselves keep the fixed one.
  const r = spawnSync(timeout, ['-s', 'KILL', `${Math.ceil(budget / 1000)}s`, ...session], { env: { ...env, PATH: process.env.PATH ?? env.PATH, CPW_CODE_CACHE_KEYRING_WAIT_MS: String(KEYRING_WAIT_MS) }, stdio: ['ignore', 'pipe', 'ignore'], timeout: budget + 10_000 });
  try {
    const report = JSON.parse(String(r.stdout));
    return Object.values(report).some((how) => how.startsWith('not written')) ? undefined : report;
  } catch {
    return undefined;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--one') {
    await one(process.argv[3], process.argv[4], process.argv[5]);
    process.exit(0);
  }
  if (process.argv[2] === '--in-session') {
    await inSession(process.argv[3], process.argv[4], process.argv.slice(5));
    process.exit(0);
  }
  buildCodeCaches();
}
