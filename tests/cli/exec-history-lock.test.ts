// A history lock another process holds throughout (stopped mid-append, a planted lock naming a live pid) holds back
// neither the stage nor exec's exit: exec waited 2 s for the start line and 2 s for the end (~4 s past the stage's end,
// at every stage of a pipeline). Its run goes to a late file beside the history, listed at once, with its end, and
// taken into runs.jsonl, once, by the next append that gets the lock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF_TOKEN = `hf_${'Abcd1'.repeat(7)}`;

type Run = { id: string; program: string; status: string; exit_code: number | null };

/** A live process (never taken over) named as the holder of the history's lock; kill it to free the lock. */
function plantHolder(t: TempHome): { dir: string; holder: ChildProcess } {
  const dir = join(t.home, '.cp-whisperx');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'runs.jsonl.lock'), JSON.stringify({ ...currentOwner(), pid: holder.pid, nonce: 'planted', since: new Date().toISOString() }), { mode: 0o600 });
  return { dir, holder };
}

function exec(t: TempHome, stage: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', ...stage], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, HF_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function runs(t: TempHome): Promise<Run[]> {
  const r = await cli(t, ['runs', '--json'], { env: { HF_TOKEN } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).runs as Run[];
}

/** Whether the killed holder is gone: until Node reaps it, a killed child is a zombie, and its pid still shows (kill -0) as the live holder of the lock. */
const gone = (holder: ChildProcess) => () => spawnSync('kill', ['-0', String(holder.pid)]).status !== 0;

const lateFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('runs.jsonl.late-'));
const historyLines = (dir: string) => (existsSync(join(dir, 'runs.jsonl')) ? readFileSync(join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').filter(Boolean) : []);

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('exec while another process holds the history lock throughout', () => {
  it('exits at once after its stage (not ~4 s later), and the run is listed with its end, then taken into runs.jsonl', async () => {
    const t = makeTempHome();
    const { dir, holder } = plantHolder(t);
    const endedAt = join(t.root, 'ended');
    try {
      const child = exec(t, ['sh', '-c', `date +%s%N > '${endedAt}'; exit 3`]);
      const r = await collect(child);
      const past = Date.now() - Number(readFileSync(endedAt, 'utf8').trim()) / 1e6;
      expect(r.code, r.stderr).toBe(3);
      // Was ~4.2 s (2 s for the start line, 2 s for the end); now ~0.2 s at most, with room for a loaded machine.
      expect(past).toBeLessThan(1_500);
      // Recorded (beside the history): nothing to warn about.
      expect(r.stderr).not.toMatch(/could not record/);
      const late = lateFiles(dir);
      expect(late).toHaveLength(1);
      expect(statSync(join(dir, late[0]!)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, late[0]!), 'utf8')).not.toContain('Abcd1');
      // Listed while the lock is still held: its start and its end.
      expect(await runs(t)).toEqual([expect.objectContaining({ program: 'sh', status: 'failed', exit_code: 3 })]);
    } finally {
      holder.kill('SIGKILL');
    }
    await until(gone(holder), 'the holder gone');
    // The holder gone: the same, and the next run recorded takes it into runs.jsonl.
    const [first] = await runs(t);
    expect(first).toMatchObject({ status: 'failed', exit_code: 3 });
    const next = await collect(exec(t, ['true']));
    expect(next.code, next.stderr).toBe(0);
    expect(lateFiles(dir)).toEqual([]);
    expect(historyLines(dir).filter((l) => l.includes(first!.id))).toHaveLength(1);
    // Both listed, whatever their order in the file (taken in after the start of the run that took it in).
    const after = await runs(t);
    expect(after.map((r) => [r.id === first!.id, r.status, r.exit_code]).sort()).toEqual([[false, 'succeeded', 0], [true, 'failed', 3]]);
  }, 60_000);

  it('doctor names the live process holding the history\'s lock and how to see and stop it; once it is gone, says nothing', async () => {
    const t = makeTempHome();
    const before = await cli(t, ['doctor']);
    expect(before.stderr).not.toMatch(/history's lock/);
    const { dir, holder } = plantHolder(t);
    try {
      const r = await cli(t, ['doctor']);
      expect(r.code).toBe(before.code);
      expect(r.stderr).toContain(`The run history's lock ${join(dir, 'runs.jsonl.lock')} is held by process ${holder.pid} (since `);
      expect(r.stderr).toMatch(/each exec waits 100 ms for it, then records its run in a file of its own beside the history/);
      expect(r.stderr).toContain(`fix: See what it is with: ps -p ${holder.pid} -o pid,etime,args. If it is stuck, stop it (kill ${holder.pid})`);
      const json = await cli(t, ['doctor', '--json']);
      expect(JSON.parse(json.stdout).history_lock).toMatchObject({ path: join(dir, 'runs.jsonl.lock'), holder: expect.stringContaining(`process ${holder.pid}`) });
    } finally {
      holder.kill('SIGKILL');
    }
    await until(gone(holder), 'the holder gone');
    const after = await cli(t, ['doctor']);
    expect(after.stderr).not.toMatch(/history's lock/);
    // Only looked: the lock of the gone holder is left for the next writer to take over.
    expect(existsSync(join(dir, 'runs.jsonl.lock'))).toBe(true);
  }, 60_000);

  it('the late start of an exec killed -9 mid-stage is listed as interrupted and taken in once, not twice, even when read again', async () => {
    const t = makeTempHome();
    const { dir, holder } = plantHolder(t);
    let killed: Run;
    let leftover: { name: string; text: string };
    try {
      const stagePid = join(t.root, 'stage.pid');
      const child = exec(t, ['sh', '-c', `echo $$ > '${stagePid}'; exec sleep 600`]);
      const closed = collect(child);
      await until(() => lateFiles(dir).length === 1 && readFileSync(join(dir, lateFiles(dir)[0]!), 'utf8').endsWith('\n'), 'the start in a late file');
      const name = lateFiles(dir)[0]!;
      leftover = { name, text: readFileSync(join(dir, name), 'utf8') };
      const stage = (await runs(t))[0]!;
      expect(stage).toMatchObject({ program: 'sh', status: 'running' });
      child.kill('SIGKILL');
      await closed;
      await until(() => existsSync(stagePid), 'the stage');
      process.kill(Number(readFileSync(stagePid, 'utf8')), 'SIGKILL'); // its orphaned stage
      killed = (await runs(t))[0]!;
      expect(killed).toMatchObject({ id: stage.id, status: 'interrupted' });
    } finally {
      holder.kill('SIGKILL');
    }
    // A mid-CI run on a loaded machine started the next exec while the holder was still a zombie: the lock looked held.
    await until(gone(holder), 'the holder gone');
    for (let i = 0; i < 2; i++) {
      const r = await collect(exec(t, ['true']));
      expect(r.code, r.stderr).toBe(0);
      expect(lateFiles(dir)).toEqual([]);
    }
    expect(historyLines(dir).filter((l) => l.includes(killed.id))).toHaveLength(1);
    const listed = await runs(t);
    expect(listed.map((r) => r.status).sort()).toEqual(['interrupted', 'succeeded', 'succeeded']);
    // An exec killed after taking the late file in but before removing it: the file is read, and taken in, again.
    writeFileSync(join(dir, leftover.name), leftover.text, { mode: 0o600 });
    expect(await runs(t)).toEqual(listed);
    expect((await collect(exec(t, ['true']))).code).toBe(0);
    expect(lateFiles(dir)).toEqual([]);
    expect((await runs(t)).filter((r) => r.id === killed.id)).toEqual([expect.objectContaining({ status: 'interrupted' })]);
    expect(await runs(t)).toHaveLength(4);
  }, 60_000);

  it('a start that could not be recorded at all (a fifo at the lock\'s name) is written whole with the end: the warning is taken back', async () => {
    const t = makeTempHome();
    const dir = join(t.home, '.cp-whisperx');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = join(dir, 'runs.jsonl.lock');
    expect(spawnSync('mkfifo', ['-m', '600', lock]).status).toBe(0);
    // The stage runs until the fifo is gone (removed once exec says the start was not recorded): its end is recorded.
    const child = exec(t, ['sh', '-c', `while [ -e '${lock}' ]; do sleep 0.05; done`]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('could not record the run')) rmSync(lock, { force: true });
    });
    const r = await collect(child);
    expect(r.code, stderr).toBe(0);
    expect(stderr).toMatch(/could not record the run[^\n]*\n(.*\n)*warning: the run is recorded after all, with its end, in /);
    expect(await runs(t)).toEqual([expect.objectContaining({ program: 'sh', status: 'succeeded', exit_code: 0 })]);
    // One line, the start holding the end: no update of a run the history never saw.
    expect(historyLines(dir).map((l) => JSON.parse(l).op)).toEqual(['start']);
    expect(lateFiles(dir)).toEqual([]);
  }, 60_000);
});
