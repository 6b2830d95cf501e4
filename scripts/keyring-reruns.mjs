// gnome-keyring-daemon aborts now and then under the suite's SIGKILLs (an
// upstream assertion; see throwaway-keyring.mjs). The harness keeper starts it
// again and logs the instant, and the four kill tests run their body again
// themselves. But a death also fails whichever OTHER test was talking to the
// keychain at that instant (a CI run lost tests/cli/closed-stdout.test.ts
// that way: its migrate answered "keychain did not answer"). So after the run:
// when every failed file was running while the daemon died, those files run
// once more, and their second result is the one that counts. A failure with no
// death in its window, a file that fails again, or a run that broke before
// reporting stays a failure.

/** A death this long before a file's first test or after its last one still counts (the keeper logs it after a bus check; hooks run outside the tests' times). */
const BEFORE_MS = 60_000;
const AFTER_MS = 20_000;

/** The instants (epoch ms) of the daemon deaths the keeper logged (`<ISO time> <signal or code>` per line). */
export function deathTimes(logText) {
  return logText
    .split('\n')
    .map((line) => Date.parse(line.split(' ')[0] ?? ''))
    .filter((t) => Number.isFinite(t));
}

/**
 * The failed files to run again: every failed file, when each of them was running while the daemon died; otherwise
 * none (one failure the keychain's death does not explain fails the run as it is, and nothing is re-run).
 */
export function filesToRerun(results, deaths) {
  if (!results || !Array.isArray(results.testResults) || (results.numRuntimeErrorTestSuites ?? 0) > 0) return [];
  const failed = results.testResults.filter((f) => f.status === 'failed');
  if (failed.length === 0) return [];
  const explained = (f) => Number.isFinite(f.startTime) && Number.isFinite(f.endTime) && deaths.some((d) => d >= f.startTime - BEFORE_MS && d <= f.endTime + AFTER_MS);
  return failed.every(explained) ? failed.map((f) => f.name) : [];
}

const counts = (file) => ({
  passed: file.assertionResults.filter((a) => a.status === 'passed').length,
  failed: file.assertionResults.filter((a) => a.status === 'failed').length,
});

/** The first run's report with each re-run file's entry replaced by its second result, and the totals recounted. */
export function mergeRerun(first, second) {
  const again = new Map(second.testResults.map((f) => [f.name, f]));
  const testResults = first.testResults.map((f) => again.get(f.name) ?? f);
  let passed = 0;
  let failed = 0;
  for (const f of testResults) {
    const c = counts(f);
    passed += c.passed;
    failed += c.failed;
  }
  const failedFiles = testResults.filter((f) => f.status === 'failed').length;
  return {
    ...first,
    numPassedTests: passed,
    numFailedTests: failed,
    numRuntimeErrorTestSuites: second.numRuntimeErrorTestSuites ?? 0,
    success: failed === 0 && failedFiles === 0 && (second.numRuntimeErrorTestSuites ?? 0) === 0,
    testResults,
    rerun: [...again.keys()],
  };
}
