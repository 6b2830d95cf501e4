// The harness's second chance (scripts/keyring-reruns.mjs): only failed files that were running while the keyring
// daemon died run again, only when that explains every failure, and the second result replaces the first.
import { describe, expect, it } from 'vitest';
import { deathTimes, filesToRerun, mergeRerun } from '../../scripts/keyring-reruns.mjs';

const T0 = Date.parse('2026-12-03T06:50:00.000Z');
const test = (status: string) => ({ status, title: status });
const file = (name: string, status: string, start: number, end: number, tests: string[]) => ({ name, status, startTime: start, endTime: end, assertionResults: tests.map(test), message: '' });

/** A run of three files: a (0-100 s) passed, b (100-400 s) and c (400-420 s) as given. */
function run(b: string, c: string) {
  const testResults = [file('/r/a.test.ts', 'passed', T0, T0 + 100_000, ['passed', 'passed']), file('/r/b.test.ts', b, T0 + 100_000, T0 + 400_000, [b]), file('/r/c.test.ts', c, T0 + 400_000, T0 + 420_000, ['passed', c])];
  const all = testResults.flatMap((f) => f.assertionResults);
  return { numPassedTests: all.filter((t) => t.status === 'passed').length, numFailedTests: all.filter((t) => t.status === 'failed').length, numRuntimeErrorTestSuites: 0, testResults };
}

describe('which failed files run again after a keyring daemon death', () => {
  it('reads the death instants the keeper logged, skipping lines that are not one', () => {
    expect(deathTimes('2026-12-03T06:55:00.000Z SIGTRAP\n\ngarbage\n2026-12-03T06:58:00.000Z 1\n')).toEqual([T0 + 300_000, T0 + 480_000]);
  });

  it('every failed file ran while the daemon died: those files, none other', () => {
    expect(filesToRerun(run('failed', 'failed'), [T0 + 200_000, T0 + 410_000])).toEqual(['/r/b.test.ts', '/r/c.test.ts']);
    // A death just after a file's last test (the keeper logs it after a bus check) still counts.
    expect(filesToRerun(run('passed', 'failed'), [T0 + 425_000])).toEqual(['/r/c.test.ts']);
  });

  it('one failure with no death in its window: nothing runs again (the run fails as it is)', () => {
    expect(filesToRerun(run('failed', 'failed'), [T0 + 200_000])).toEqual([]);
    expect(filesToRerun(run('failed', 'passed'), [])).toEqual([]);
    expect(filesToRerun(run('failed', 'passed'), [T0 + 900_000])).toEqual([]);
  });

  it('a run that broke (a file that could not load, no report) or one with no failure: nothing runs again', () => {
    expect(filesToRerun({ ...run('failed', 'passed'), numRuntimeErrorTestSuites: 1 }, [T0 + 200_000])).toEqual([]);
    expect(filesToRerun(undefined, [T0 + 200_000])).toEqual([]);
    expect(filesToRerun(run('passed', 'passed'), [T0 + 200_000])).toEqual([]);
  });

  it('the second result replaces the first and the totals are recounted: a pass, or a failure that stays', () => {
    const first = run('failed', 'failed');
    const passedAgain = mergeRerun(first, { numRuntimeErrorTestSuites: 0, testResults: [file('/r/b.test.ts', 'passed', T0, T0, ['passed']), file('/r/c.test.ts', 'passed', T0, T0, ['passed', 'passed'])] });
    expect(passedAgain).toMatchObject({ numPassedTests: 5, numFailedTests: 0, success: true, rerun: ['/r/b.test.ts', '/r/c.test.ts'] });
    const failedAgain = mergeRerun(first, { numRuntimeErrorTestSuites: 0, testResults: [file('/r/b.test.ts', 'passed', T0, T0, ['passed']), file('/r/c.test.ts', 'failed', T0, T0, ['passed', 'failed'])] });
    expect(failedAgain).toMatchObject({ numPassedTests: 4, numFailedTests: 1, success: false });
  });
});
