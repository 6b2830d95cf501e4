import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileStore } from '../../shared/node/profile/store';
import { lockHolder, withFileLock } from '../../shared/node/profile/file-lock';
import { bootId, currentOwner } from '../../shared/node/profile/owner';
import { fixture, runFixture } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';
import { rejected } from '../helpers/errors';

/** Starts a process that takes the profile lock and reports it, then stays until killed. */
function holder(profile: string): Promise<{ pid: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [fixture('lock-holder'), profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.once('data', () => resolve({ pid: child.pid!, kill: () => new Promise((r) => (child.kill('SIGKILL'), child.once('close', () => r()))) }));
  });
}

describe('cross-process lock', () => {
  it('20 processes x 15 read-modify-write updates: 0 failures, all 300 updates present', async () => {
    const t = makeTempHome();
    const results = await Promise.all(Array.from({ length: 20 }, (_, w) => runFixture('profile-updater', [t.profile, String(w), '15'])));
    for (const r of results) expect(r.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(0));
    const prefs = new ProfileStore({ profilePath: t.profile, warn: () => {} }).read().profile.preferences;
    expect(Object.keys(prefs).filter((k) => /^w\d+_\d+$/.test(k))).toHaveLength(300);
    expect(existsSync(`${t.profile}.lock`)).toBe(false);
  });

  it('a lock whose holder was killed (SIGKILL) is taken over at once: the next write succeeds in well under a second', async () => {
    const t = makeTempHome();
    const store = new ProfileStore({ profilePath: t.profile, warn: () => {} });
    await store.update((p) => p);
    const h = await holder(t.profile);
    expect(JSON.parse(readFileSync(`${t.profile}.lock`, 'utf8')).pid).toBe(h.pid);
    await h.kill();
    expect(existsSync(`${t.profile}.lock`)).toBe(true); // left behind by the kill
    const started = Date.now();
    await store.update((p) => ({ ...p, user: { ...p.user, name: 'after the crash' } }));
    const took = Date.now() - started;
    console.log(`write after a killed holder: ${took} ms`);
    expect(took).toBeLessThan(1000);
    expect(store.read().profile.user.name).toBe('after the crash');
  });

  // A pipeline's subprocess.Popen that never waits: the holder killed by kill -9 stays a zombie, which answers
  // kill(pid, 0). Its lock was waited on for the whole 30 s, then PROFILE_LOCKED named a process that runs nothing.
  it('a lock whose killed holder is a zombie its parent never reaps is taken over at the first try', async (ctx) => {
    if (process.platform !== 'linux') return ctx.skip();
    const t = makeTempHome();
    const store = new ProfileStore({ profilePath: t.profile, lockWaitMs: 0, warn: () => {} });
    await store.update((p) => p);
    // sh starts the holder, then becomes `sleep`, which never waits for it.
    const parent = spawn('sh', ['-c', '"$0" "$1" "$2" & exec sleep 600', process.execPath, fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((r) => parent.stdout.once('data', r));
      const pid = JSON.parse(readFileSync(`${t.profile}.lock`, 'utf8')).pid as number;
      process.kill(pid, 'SIGKILL');
      const state = () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ').pop()![0];
      // Z, and its last thread ended too (num_threads 1): Z alone comes while its other threads are still ending.
      const threads = () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ').pop()!.split(' ')[17];
      while (state() !== 'Z' || threads() !== '1') await new Promise((r) => setTimeout(r, 20));
      expect(lockHolder(t.profile)).toBeUndefined(); // what `runs`/reports show: no holder
      await store.update((p) => ({ ...p, user: { ...p.user, name: 'after the zombie' } }));
      expect(store.read().profile.user.name).toBe('after the zombie');
      expect(state()).toBe('Z'); // still unreaped: it was taken over as a zombie, not once reaped
    } finally {
      parent.kill('SIGKILL');
    }
  });

  // /proc/<pid>/stat says Z as soon as a process's first thread has ended, while its other threads still run: the
  // thread left to end alone, or those of a process being killed that finish the system call (a write, a rename) they
  // are in. Taken over then, two writers ran at once.
  it('a holder whose first thread has ended while another of its threads still runs is waited for, not taken over', async (ctx) => {
    if (process.platform !== 'linux') return ctx.skip();
    const t = makeTempHome();
    const store = new ProfileStore({ profilePath: t.profile, lockWaitMs: 0, warn: () => {} });
    await store.update((p) => p);
    // A thread that runs until its stdin closes; the first thread then ends alone (exit(2), not exit_group: its
    // number on x86-64 and arm64).
    const exit = "{'x86_64': 60, 'aarch64': 93}[os.uname().machine]";
    const script = `import ctypes,os,sys,threading\nthreading.Thread(target=sys.stdin.read).start()\nprint(os.getpid(),flush=True)\nctypes.CDLL(None).syscall(${exit},0)`;
    const held = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const pid = Number(await new Promise<string>((r) => held.stdout.once('data', (d: Buffer) => r(d.toString()))));
      const stat = () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ').pop()!.split(' ');
      while (stat()[0] !== 'Z') await new Promise((r) => setTimeout(r, 20));
      expect(Number(stat()[17])).toBe(2); // num_threads: it still runs
      writeFileSync(`${t.profile}.lock`, JSON.stringify({ ...currentOwner(), pid, nonce: 'x', since: '' }));
      expect((await rejected(store.update((p) => p))).code).toBe('PROFILE_LOCKED');
      expect(JSON.parse(readFileSync(`${t.profile}.lock`, 'utf8')).pid).toBe(pid); // its lock left in place
      expect(lockHolder(t.profile)?.holder).toContain(`process ${pid}`); // what `runs`/reports show
    } finally {
      held.kill('SIGKILL');
    }
  });

  it('a lock from an earlier boot, or an empty one left by a holder killed mid-create, is taken over', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true });
    const store = new ProfileStore({ profilePath: t.profile, lockWaitMs: 5000, warn: () => {} });
    writeFileSync(`${t.profile}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), boot: `not-${bootId()}`, nonce: 'x', since: '' }));
    await store.update((p) => p);
    writeFileSync(`${t.profile}.lock`, '');
    await store.update((p) => p); // waits the 2 s grace of an empty lock, then takes it
    expect(existsSync(`${t.profile}.lock`)).toBe(false);
  });

  it('a live holder is waited for; past the wait the error names its pid and says what to do', async () => {
    const t = makeTempHome();
    const store = new ProfileStore({ profilePath: t.profile, lockWaitMs: 300, warn: () => {} });
    await store.update((p) => p);
    const h = await holder(t.profile);
    try {
      const e = await rejected(store.update((p) => p));
      expect(e.code).toBe('PROFILE_LOCKED');
      expect(e.message).toContain(`process ${h.pid}`);
      expect(e.fix).toContain(`ps -p ${h.pid}`);
    } finally {
      await h.kill();
    }
  });

  it('a lock file another user owns is refused with a clear error, not waited on', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true });
    writeFileSync(`${t.profile}.lock`, '{}');
    const { chownSync } = await import('node:fs');
    chownSync(`${t.profile}.lock`, 65534, 65534);
    const e = await rejected(new ProfileStore({ profilePath: t.profile, warn: () => {} }).update((p) => p));
    expect(e.code).toBe('PROFILE_PERMISSIONS');
    expect(e.message).toMatch(/another user/);
  });

  it('a lock lost while held aborts the write instead of crashing the process', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true });
    const e = await rejected(withFileLock(t.profile, async (lock) => {
      rmSync(`${t.profile}.lock`, { force: true }); // someone removes it under us
      lock.assertHeld();
    }));
    expect(e.code).toBe('PROFILE_LOCKED');
    expect(e.message).toMatch(/lost/);
  });

  it('the rm a fix line gives for a lock no holder is named in works in a folder whose name holds a space', () => {
    const t = makeTempHome();
    const target = join(dirname(t.profile), 'my vault', 'user.profile');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.lock`, 'not a lock record'); // fresh: not yet judged gone
    expect(lockHolder(target)?.fix).toContain(`rm '${target}.lock'`);
  });
});
