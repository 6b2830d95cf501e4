// A container with a pid namespace of its own shares the host's kernel (its
// boot id), often its home folder, and with `--network host` its host name,
// yet its pid 40 is not the host's pid 40. A lock, a journal transaction or
// a run recorded on one side must never be judged gone by probing its pid
// from the other: a live holder's lock would be taken over (two writers), a
// running stage shown as interrupted and compacted so for good. The real
// cases run in real pid namespaces (`unshare`, as root; skipped elsewhere).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../shared/node/profile/file-lock';
import { bootId, pidNamespace } from '../../shared/node/profile/owner';
import { RunHistory } from '../../shared/node/records/run-history';
import { sidecarPath, resolveProfilePaths } from '../../shared/node/profile/paths';
import { collect, fixture } from '../helpers/children';
import { BIN } from '../helpers/cli';
import { rejected } from '../helpers/errors';
import { makeTempHome, type TempHome } from '../helpers/temp';

const UNSHARE = ['--pid', '--fork', '--mount-proc'];
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', [...UNSHARE, 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** `node args...` in a pid namespace of its own (pid 1 there), with `home`'s HOME. */
function inNamespace(home: TempHome, args: string[]) {
  return collect(spawn('unshare', [...UNSHARE, process.execPath, ...args], { env: { ...process.env, HOME: home.home }, stdio: ['pipe', 'pipe', 'pipe'] }), '');
}

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

/** Starts the lock-holder fixture (optionally in a namespace of its own); resolves once it holds the lock. */
function holder(profile: string, own: boolean): Promise<{ kill: () => Promise<void> }> {
  const argv = [process.execPath, fixture('lock-holder'), profile];
  const child = own ? spawn('unshare', [...UNSHARE, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // unshare --fork passes SIGKILL to nobody: killing unshare leaves pid 1 of the namespace; --kill-child is not in every
    // util-linux, so the holder is stopped by killing the whole namespace through its pid 1 (our direct child's child).
    const kill = () => new Promise<void>((r) => {
      child.once('close', () => r());
      spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
      child.kill('SIGKILL');
    });
    child.stdout!.once('data', () => resolve({ kill }));
  });
}

/** Ages the lock file's last sign of life by `ms`. */
function age(profile: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(`${profile}.lock`, then, then);
}

describe('owners in another pid namespace (a container on this host)', () => {
  it('a lock whose holder names another pid namespace is waited for while it is refreshed, and the error says where it is', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const owner = { pid: deadPid(), host: hostname(), boot: bootId(), pidns: 'pid:[1]', nonce: 'n1', since: new Date().toISOString() };
    writeFileSync(`${t.profile}.lock`, JSON.stringify(owner), { mode: 0o600 });
    const e = await rejected(withFileLock(t.profile, async () => 'got', { waitMs: 300 }));
    expect(e.code).toBe('PROFILE_LOCKED');
    expect(e.message).toContain(`process ${owner.pid} in another pid namespace`);
    expect(e.fix).not.toContain('ps -p'); // a pid of another namespace means nothing here
    expect(e.fix).toContain('stop it where it runs (inside its container');
    // Not refreshed for longer than the stale window: taken over.
    age(t.profile, 20_000);
    await expect(withFileLock(t.profile, async () => 'got', { waitMs: 300 })).resolves.toBe('got');
  });

  it('a lock held from another host (a home shared over NFS): the fix says to stop it on that host, its name clipped and without control characters', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const owner = { pid: 4242, host: `gpu-01\u001b[2J${'x'.repeat(100)}`, boot: 'another-boot', nonce: 'n1', since: new Date().toISOString() };
    writeFileSync(`${t.profile}.lock`, JSON.stringify(owner), { mode: 0o600 });
    const e = await rejected(withFileLock(t.profile, async () => 'got', { waitMs: 300 }));
    expect(e.message).toContain('process 4242 on gpu-01?[2J');
    expect(e.fix).toMatch(/stop it where it runs \(on gpu-01\?\[2Jx+…\); never by its pid here/);
    expect(e.fix).not.toMatch(/container|ps -p|[\u0000-\u001f]/);
  });

  it('a live holder on the host is not taken over by a cpw-vault in a container, and the reverse', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    // Host holds; the container waits 1.5 s and gives up (it used to probe the host's pid in its own namespace: gone).
    let h = await holder(t.profile, false);
    try {
      const r = await inNamespace(t, [fixture('lock-try'), t.profile, '1500']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^PROFILE_LOCKED: .*in another pid namespace/);
    } finally {
      await h.kill();
    }
    // The holder is gone but the container cannot see that: once its lock stops being refreshed, it is taken over.
    age(t.profile, 20_000);
    expect((await inNamespace(t, [fixture('lock-try'), t.profile, '1500'])).stdout).toMatch(/^got \(pid \d+\)/);
    // The container holds; the host waits and names it.
    h = await holder(t.profile, true);
    try {
      const e = await rejected(withFileLock(t.profile, async () => 'got', { waitMs: 1500 }));
      expect(e.code).toBe('PROFILE_LOCKED');
      expect(e.message).toMatch(/in another pid namespace/);
    } finally {
      await h.kill();
    }
  });

  it('a run the host is running shows as running to `cpw-vault runs` in a container (not interrupted, nor compacted so)', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    const t = makeTempHome();
    const paths = resolveProfilePaths({ homeDir: t.home, env: {} });
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const runs = new RunHistory(sidecarPath(paths, 'runs.jsonl'), { dedicatedDir: true, bounds: () => ({ maxRuns: 500, maxAgeDays: 90 }), warn: () => {} });
    await runs.start({ workflow: 'transcribe', program: 'host-stage', credentials: [], status: 'running' }, new Date());
    const r = await inNamespace(t, [BIN, 'runs', '--json']);
    expect(r.stderr).toBe('');
    const listed = (JSON.parse(r.stdout) as { runs: { program: string; status: string }[] }).runs;
    expect(listed.map((x) => [x.program, x.status])).toEqual([['host-stage', 'running']]);
    // And the host still sees it running after the container's reads (nothing was written as interrupted).
    expect(runs.list().map((x) => x.status)).toEqual(['running']);
    expect(pidNamespace()).not.toBe('');
  });
});
