// The app's "Fix it" for a profile others can read (profileFixPermissions -> tightenProfile) opened the profile with
// O_RDONLY | O_NOFOLLOW alone: a FIFO at the profile's path (swapped in after the problem screen read the file) held
// that open, in Electron's main process, until someone wrote to it: the whole app frozen, not even closable. It opens
// as every data open does now (READ_DATA_NOFOLLOW: never blocking, never taking a terminal) and refuses it at once.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { collect, fixture } from '../helpers/children';
import { until } from '../helpers/lock-stop';
import { makeTempHome } from '../helpers/temp';

/** What `pid` sleeps in: `wait_for_partner` is a FIFO's open waiting for its other end. */
function wchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return '';
  }
}

describe.runIf(process.platform === 'linux')('Fix it on a profile path that is a FIFO', () => {
  it('is refused as not a regular file, at once: the open never waits for a writer', async () => {
    const t = makeTempHome();
    const profile = join(t.home, 'user.profile');
    execFileSync('mkfifo', ['-m', '600', profile]);
    const child = spawn(process.execPath, [fixture('open-as-data'), 'profile mode fix', profile], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let exited = false;
    const done = collect(child).finally(() => (exited = true));
    // Either it finishes, or it sleeps in the FIFO's open (where it stayed before the fix, until a writer came).
    await until(() => exited || wchan(child.pid!) === 'wait_for_partner');
    expect(wchan(child.pid!), 'the open waits for a writer of the FIFO').not.toBe('wait_for_partner');
    expect((await done).code).toBe(0);
  });
});
