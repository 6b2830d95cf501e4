#!/usr/bin/env node
// `npm test`: the whole suite, from a plain shell.
//
// 1. Checks the system tools the keychain tests need, and fails naming the
//    Debian packages when one is missing (keychain tests are never skipped).
// 2. Makes a throwaway HOME / XDG_* tree, so a developer's real keyring and
//    ~/.cp-whisperx are never touched, and a test-only keychain service name.
// 3. Re-runs itself inside `dbus-run-session`, unlocks a throwaway
//    gnome-keyring there, and runs vitest.
// 4. Runs once more the failed files that were running when the keyring
//    daemon died under the run (keyring-reruns.mjs), if that explains every
//    failure.
// 5. Ends with a plain `N passed, N failed` line.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deathTimes, filesToRerun, mergeRerun } from './keyring-reruns.mjs';
import { missingTools, restartLog, runInSession, startKeyring, throwawayEnv } from './throwaway-keyring.mjs';

const require = createRequire(import.meta.url);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const args = process.argv.slice(2);

function summary(resultsFile, exitCode) {
  let passed = 0;
  let failed = 0;
  let rerun = [];
  if (existsSync(resultsFile)) {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    rerun = r.rerun ?? [];
    passed = r.numPassedTests ?? 0;
    failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  }
  if (exitCode !== 0 && failed === 0) failed = 1; // the run broke before reporting: never print a green line
  const again = rerun.length ? ` (${rerun.length} file(s) run twice: the keyring daemon died under their first run)` : '';
  console.log(`${passed} passed, ${failed} failed${again}`);
}

/** Runs vitest with its JSON report to `results`; resolves with its exit code. */
function vitestRun(vitestArgs, results) {
  const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...vitestArgs], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);

if (args[0] === '--inside') {
  await startKeyring();
  const results = process.env.CPW_TEST_RESULTS;
  let code = await vitestRun(args.slice(1), results);
  // How often gnome-keyring-daemon died under the run (its upstream abort) and was started again: in the CI log.
  const log = restartLog();
  const deaths = existsSync(log) ? deathTimes(readFileSync(log, 'utf8')) : [];
  if (deaths.length) console.log(`gnome-keyring-daemon was restarted ${deaths.length} time(s) during the run`);
  const again = code === 0 ? [] : filesToRerun(readJson(results), deaths);
  if (again.length) {
    console.log(`\n${again.length} failed file(s) ran while gnome-keyring-daemon died; running them once more (their second result counts):\n${again.map((f) => `  ${relative(process.cwd(), f)}`).join('\n')}\n`);
    const second = `${results}.rerun.json`;
    code = await vitestRun(again, second);
    const report = readJson(second);
    if (report) writeFileSync(results, JSON.stringify(mergeRerun(readJson(results), report)));
    else code = code || 1;
  }
  process.exit(code);
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
