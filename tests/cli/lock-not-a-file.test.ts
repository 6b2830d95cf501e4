// What is at a lock's name but is not a lock file cpw-vault made (a fifo, a
// socket, a folder it cannot remove) never hangs a command: a fifo used to
// block exec for ever (SIGTERM ignored) once the stage had run, and a full
// folder made every writer retry it at full speed, for ever. Each is refused
// at once with the rm to run, and left as it was.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, startCli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { shellWord } from '../../shared/core/control-chars';

const HF = `hf_${'NotALock'.repeat(5)}`;
/** Far longer than any of these commands takes on a loaded machine; one that hung is killed there. */
const BOUND_MS = 10_000;

/** Runs `cpw-vault args` and how it ended; fails (killing it) when it has not exited by itself within BOUND_MS. */
async function bounded(t: TempHome, args: string[]) {
  const { child, done } = startCli(t, args);
  onTestFinished(() => void child.kill('SIGKILL'));
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => (child.kill('SIGKILL'), resolve('hung')), BOUND_MS)));
  const out = await Promise.race([done, hung]);
  clearTimeout(timer);
  if (out === 'hung') throw new Error(`cpw-vault ${args.join(' ')} had not ended after ${BOUND_MS / 1000} s (killed)`);
  return out;
}

/** The entries of the profile's folder left by a take-over (`<lock>.gone-<hex>`). */
const goneLeft = (t: TempHome) => readdirSync(dirname(t.profile)).filter((n) => n.includes('.gone-'));

function mkfifo(path: string): void {
  expect(spawnSync('mkfifo', ['-m', '600', path]).status).toBe(0);
}

/** The fix line's command to remove `path`. */
const rmOf = (path: string) => `rm ${shellWord(path)}`;

describe('a lock path that is not a lock file', () => {
  it('a fifo at runs.jsonl.lock: exec runs the stage and ends at once, saying why the run was not recorded; doctor says it too; after rm it is', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const lock = join(dirname(t.profile), 'runs.jsonl.lock');
    mkfifo(lock);
    const r = await bounded(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'echo stage-ran >&2']);
    expect(r.stderr).toContain('stage-ran');
    expect(r.code).toBe(0); // the stage's own status: the history is a record, never a reason to fail
    expect(r.stderr).toContain(`could not record the run`);
    expect(r.stderr).toContain(`The lock ${lock} is a named pipe (FIFO)`);
    expect(r.stderr).toContain(rmOf(lock)); // the fix, not only the message
    expect(statSync(lock).isFIFO()).toBe(true); // not ours to remove
    expect(goneLeft(t)).toEqual([]);
    // doctor said all was well (exit 0) while no run could be recorded: a problem now, with the same rm.
    const doctor = await cli(t, ['doctor']);
    expect([doctor.code, doctor.stderr]).toEqual([1, expect.stringContaining(`The lock ${lock} is a named pipe (FIFO)`)]);
    expect(doctor.stderr).toContain(rmOf(lock));
    expect(statSync(lock).isFIFO()).toBe(true);
    spawnSync('rm', [lock]);
    expect((await cli(t, ['doctor'])).code).toBe(0);
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs).toHaveLength(1);
  });

  it('a fifo at user.profile.lock: profile prefs set fails at once with the rm to run, changes nothing; after rm it succeeds', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Piper'])).code).toBe(0);
    const before = readFileSync(t.profile, 'utf8');
    const lock = `${t.profile}.lock`;
    mkfifo(lock);
    const r = await bounded(t, ['profile', 'prefs', 'set', 'history_max_runs=100']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[PROFILE_INVALID] The lock ${lock} is a named pipe (FIFO), not a lock file cpw-vault made`);
    expect(r.stderr).toContain(rmOf(lock));
    expect(r.stderr).not.toContain('waiting for');
    expect(readFileSync(t.profile, 'utf8')).toBe(before);
    expect(statSync(lock).isFIFO()).toBe(true);
    expect(goneLeft(t)).toEqual([]);
    spawnSync('rm', [lock]);
    expect((await cli(t, ['profile', 'prefs', 'set', 'history_max_runs=100'])).code).toBe(0);
    expect(readFileSync(t.profile, 'utf8')).toContain('history_max_runs');
  });

  it('a socket at user.profile.lock is refused the same way', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Piper'])).code).toBe(0);
    const lock = `${t.profile}.lock`;
    expect(spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', lock]).status).toBe(0);
    const r = await bounded(t, ['profile', 'prefs', 'set', 'history_max_runs=100']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[PROFILE_INVALID] The lock ${lock} is a socket`);
    expect(r.stderr).toContain(rmOf(lock));
    expect(statSync(lock).isSocket()).toBe(true);
  });

  it('a stale folder at user.profile.lock that is not an empty old lock folder is refused with the rm to run; an empty one is taken over', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Piper'])).code).toBe(0);
    const lock = `${t.profile}.lock`;
    mkdirSync(join(lock, 'inside'), { recursive: true });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(lock, anHourAgo, anHourAgo);
    const r = await bounded(t, ['profile', 'prefs', 'set', 'history_max_runs=100']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[PROFILE_INVALID] The lock ${lock} is a folder cpw-vault cannot remove (ENOTEMPTY)`);
    expect(r.stderr).toContain(`rm -r ${shellWord(lock)}`);
    expect(readdirSync(lock)).toEqual(['inside']);
    spawnSync('rmdir', [join(lock, 'inside')]);
    utimesSync(lock, anHourAgo, anHourAgo);
    expect((await cli(t, ['profile', 'prefs', 'set', 'history_max_runs=100'])).code).toBe(0);
    expect(readdirSync(dirname(t.profile))).not.toContain('user.profile.lock');
  });

  it('the empty lock folder of an older cpw-vault, still fresh: doctor\'s fix removes it with rmdir (its `rm` refused a folder)', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Piper'])).code).toBe(0);
    const lock = join(dirname(t.profile), 'runs.jsonl.lock');
    mkdirSync(lock);
    const r = await bounded(t, ['doctor']);
    const fix = /fix: If no cpw-vault process is running, remove the lock: (.*)$/m.exec(r.stderr)?.[1];
    expect(fix, r.stderr).toBe(`rmdir ${shellWord(lock)}`);
    // Pasted, it does what it says.
    expect(spawnSync('sh', ['-c', fix!], { encoding: 'utf8' }).status).toBe(0);
    expect(readdirSync(dirname(t.profile))).not.toContain('runs.jsonl.lock');
  });
});
