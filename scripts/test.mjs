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
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingTools, restartLog, runInSession, startKeyring, throwawayEnv } from './throwaway-keyring.mjs';

const require = createRequire(import.meta.url);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const args = process.argv.slice(2);

function summary(resultsFile, exitCode) {
  let passed = 0;
  let failed = 0;
  if (existsSync(resultsFile)) {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    passed = r.numPassedTests ?? 0;
    failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  }
  if (exitCode !== 0 && failed === 0) failed = 1; // the run broke before reporting: never print a green line
  console.log(`${passed} passed, ${failed} failed`);
}

if (args[0] === '--inside') {
  await startKeyring();
  const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${process.env.CPW_TEST_RESULTS}`, ...args.slice(1)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    // How often gnome-keyring-daemon died under the run (its upstream abort) and was started again: in the CI log.
    const log = restartLog();
    const restarts = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
    if (restarts) console.log(`gnome-keyring-daemon was restarted ${restarts} time(s) during the run`);
    process.exit(code ?? (signal ? 1 : 0));
  });
} else {
  const missing = missingTools();
  if (missing.length) {
    console.error(`npm test needs ${missing.map(([t]) => t).join(', ')} for the keychain tests (never skipped).`);
    console.error(`Install the Debian/Ubuntu packages: ${[...new Set(missing.map(([, p]) => p))].join(' ')}   (or all system deps: sudo bash scripts/install-system-deps.sh)`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const { root, env } = throwawayEnv('cpw-vault-test-', 'cp-whisperx-test');
  env.CPW_TEST_ROOT = root;
  env.CPW_TEST_RESULTS = join(root, 'results.json');
  const code = await runInSession(fileURLToPath(import.meta.url), args, env);
  summary(env.CPW_TEST_RESULTS, code);
  rmSync(root, { recursive: true, force: true });
  process.exit(code);
}
