#!/usr/bin/env node
// `npm test`: the whole suite, from a plain shell.
//
// 1. Checks the system tools the keychain tests need, and fails naming the
//    Debian packages when one is missing (keychain tests are never skipped).
// 2. Makes a throwaway HOME / XDG_* tree, so a developer's real keyring and
//    ~/.cp-whisperx are never touched, and a test-only keychain service name.
// 3. Re-runs itself inside `dbus-run-session`, unlocks a throwaway
//    gnome-keyring there, and runs vitest.
// 4. Ends with a plain `N passed, N failed` line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const args = process.argv.slice(2);

const TOOLS = [
  ['dbus-run-session', 'dbus'],
  ['dbus-send', 'dbus'],
  ['gnome-keyring-daemon', 'gnome-keyring'],
  ['secret-tool', 'libsecret-tools'],
  ['gdbus', 'libglib2.0-bin'],
];

function has(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

async function waitForKeyring(env) {
  // The daemon registers on the bus asynchronously: wait until a store+lookup round-trips.
  for (let i = 0; i < 100; i++) {
    const store = spawnSync('secret-tool', ['store', '--label=cpw-vault test probe', 'service', 'cpw-vault-probe', 'account', 'probe'], { input: 'ok', env, timeout: 5000 });
    const look = spawnSync('secret-tool', ['lookup', 'service', 'cpw-vault-probe', 'account', 'probe'], { env, timeout: 5000 });
    if (store.status === 0 && String(look.stdout) === 'ok') return true;
    await sleep(100);
  }
  return false;
}

async function inside() {
  // Inside the throwaway session bus: start and unlock the throwaway keyring.
  const daemon = spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { input: 'test-keyring-password\n', stdio: ['pipe', 'ignore', 'inherit'], timeout: 20000 });
  if (daemon.status !== 0) {
    console.error('test: gnome-keyring-daemon --unlock failed');
    process.exit(1);
  }
  if (!(await waitForKeyring(process.env))) {
    console.error('test: the throwaway gnome-keyring never answered on the session bus');
    process.exit(1);
  }
  const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${process.env.CPW_TEST_RESULTS}`, ...args], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function summary(resultsFile, exitCode) {
  let passed = 0;
  let failed = 0;
  if (existsSync(resultsFile)) {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    passed = r.numPassedTests ?? 0;
    failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
    const failedSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
    failed += failedSuites;
  }
  if (exitCode !== 0 && failed === 0) failed = 1; // the run broke before reporting: never print a green line
  console.log(`${passed} passed, ${failed} failed`);
}

async function outside() {
  const missing = TOOLS.filter(([tool]) => !has(tool));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    console.error(`npm test needs ${missing.map(([t]) => t).join(', ')} for the keychain tests (never skipped).`);
    console.error(`Install the Debian/Ubuntu packages: ${pkgs.join(' ')}   (or all system deps: sudo bash scripts/install-system-deps.sh)`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const root = mkdtempSync(join(tmpdir(), 'cpw-vault-test-'));
  const dirs = { HOME: 'home', XDG_DATA_HOME: 'data', XDG_CONFIG_HOME: 'config', XDG_CACHE_HOME: 'cache', XDG_RUNTIME_DIR: 'run' };
  const env = { ...process.env };
  for (const [name, sub] of Object.entries(dirs)) {
    env[name] = join(root, sub);
    mkdirSync(env[name], { recursive: true, mode: 0o700 });
    chmodSync(env[name], 0o700);
  }
  // No outer bus, no display: the keyring must be the throwaway one, and a prompt can never appear.
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.CPW_PROFILE;
  for (const v of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'PYANNOTE_API_TOKEN', 'TMDB_API_KEY', 'OPENAI_API_KEY', 'OPENAI_ORG_ID', 'ANTHROPIC_API_KEY', 'GOOGLE_API_KEY', 'GEMINI_API_KEY', 'YOUTUBE_API_KEY', 'VIMEO_ACCESS_TOKEN']) delete env[v];
  env.CPW_KEYCHAIN_SERVICE = 'cp-whisperx-test';
  env.CPW_TEST_ROOT = root;
  env.CPW_TEST_RESULTS = join(root, 'results.json');
  const child = spawn('dbus-run-session', ['--', process.execPath, new URL(import.meta.url).pathname, '--inside', ...args], { env, stdio: 'inherit' });
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  summary(env.CPW_TEST_RESULTS, code);
  rmSync(root, { recursive: true, force: true });
  process.exit(code);
}

if (args[0] === '--inside') {
  args.shift();
  await inside();
} else {
  await outside();
}
