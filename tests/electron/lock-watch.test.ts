// Main's watch on the vault file's unlock agent (lock-watch.ts, started with main's file watches): the real CLI locks
// and unlocks the vault file while the app is open, and the app's handlers (doctor, what the screens read) follow,
// without the window doing anything.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { agentSocketPaths } from '../../shared/node/agent/socket-dir';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { afterEach, describe, expect, it } from 'vitest';
import type { VaultEvent } from '../../shared/core/ipc-contract';
import type { DoctorReport } from '../../shared/core/views';
import { watchVaultFiles } from '../../electron/main/file-watches';
import { LOCK_RECHECK_MS, watchVaultLock } from '../../electron/main/lock-watch';
import { theirFolder } from '../helpers/planted';
import { agentSockets, fileCli, killIfRunning, makeFileVaultHome, unlockAgent, type FileVaultHome } from '../helpers/file-vault';
import { setupMain } from './main-setup';

// "Within a few seconds", and under the periodic check's 5 s: a lock or unlock is seen by the file watch.
const SOON = { timeout: 3_000, interval: 20 };
// An agent killed by -9 changes no file: only the periodic check sees it.
const RECHECK = { timeout: LOCK_RECHECK_MS + 3_000, interval: 50 };

const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

/** The app open on `h`: its handlers and main's watches; `sent` lists what main sent the window. */
async function appOpen(h: FileVaultHome) {
  const m = await setupMain({ home: h, env: { XDG_RUNTIME_DIR: h.runtime, DBUS_SESSION_BUS_ADDRESS: undefined }, logN: 10 });
  const sent: Array<{ event: VaultEvent; payload: unknown }> = [];
  const stop = watchVaultFiles({ vault: m.vault, runs: m.runs, env: m.env, events: { send: (event, payload) => void sent.push({ event, payload }) }, notifier: { notify: () => {} } });
  stops.push(stop, () => m.vault.close());
  const told = () => sent.filter((e) => e.event === 'vaultLockChanged').length;
  /** What the screens are shown: doctor's keychain line, as the app reads it. */
  const state = async () => {
    const d = await m.value<DoctorReport>('doctor');
    return d.keychain.ok ? 'open' : d.keychain.code;
  };
  return { sent, told, state, stop };
}

describe('the app follows a lock or unlock of the vault file made from the CLI', () => {
  it('cpw-vault lock in a terminal reaches the open window by itself (an event carrying nothing), and the screens then read it locked', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    const app = await appOpen(h);
    expect(await app.state()).toBe('open');
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    // Before: nothing was sent, and the screens showed the vault open until an action failed.
    await expect.poll(app.told, SOON).toBeGreaterThanOrEqual(1);
    expect(await app.state()).toBe('VAULT_LOCKED');
    expect(app.sent.filter((e) => e.event === 'vaultLockChanged').every((e) => e.payload === undefined)).toBe(true);
  });

  it('cpw-vault unlock --passphrase-file in a terminal, on a vault never unlocked before (no agent folder yet): the window is told, and its locked state goes; a lock after is told too', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const app = await appOpen(h);
    expect(await app.state()).toBe('VAULT_LOCKED');
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    expect(up.code).toBe(0);
    ctx.onTestFinished(() => killIfRunning((JSON.parse(up.stdout) as { pid: number }).pid));
    // Before: the full-screen unlock form stayed, asking for the passphrase the terminal had just been given.
    await expect.poll(app.told, SOON).toBeGreaterThanOrEqual(1);
    expect(await app.state()).toBe('open');
    const unlocked = app.told();
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    await expect.poll(app.told, SOON).toBeGreaterThan(unlocked);
    expect(await app.state()).toBe('VAULT_LOCKED');
  });

  it('an unlock agent killed by -9 (its socket file left behind, no file changed): the periodic check finds nothing listens and tells the window', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    const app = await appOpen(h);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => existsSync(`/proc/${pid}`), SOON).toBe(false);
    expect(agentSockets(h)).toHaveLength(1);
    await expect.poll(app.told, RECHECK).toBeGreaterThanOrEqual(1);
    expect(await app.state()).toBe('VAULT_LOCKED');
  });

  it('stopped (the window closed), it tells nothing more: no file watch or timer is left behind', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const app = await appOpen(h);
    app.stop();
    // A second watch as the probe: once it has seen a change, a watch left running would have seen it too.
    const probe = await appOpen(h);
    const pid = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    await expect.poll(probe.told, SOON).toBeGreaterThanOrEqual(1);
    const seen = probe.told();
    process.kill(pid, 'SIGKILL');
    await expect.poll(probe.told, RECHECK).toBeGreaterThan(seen);
    expect(app.sent).toEqual([]);
  });
});

describe('a socket folder another user put in place', () => {
  /** A lock watch on a profile under a world-writable XDG_RUNTIME_DIR `name`, whose cpw-vault/ folder `plant` makes. */
  const watched = (root: string, name: string, plant: (runtime: string) => string, recheckMs = 60_000) => {
    const runtime = join(root, name);
    mkdirSync(runtime);
    chmodSync(runtime, 0o1777);
    const folder = plant(runtime);
    const deps = { vault: { profilePath: join(root, name, 'user.profile') }, env: { XDG_RUNTIME_DIR: runtime } };
    let told = 0;
    stops.push(watchVaultLock(deps, () => told++, recheckMs));
    // The name an agent of this vault file listens under, in the folder as spelled.
    const socket = join(folder, basename(agentSocketPaths(vaultFilesFor(deps.vault.profilePath).identity, deps.env)[0]!));
    return { socket, told: () => told };
  };
  const linkedToTheirs = (root: string) => (runtime: string) => {
    const theirs = theirFolder(root);
    symlinkSync(theirs, join(runtime, 'cpw-vault'));
    return theirs;
  };
  const ownFolder = (runtime: string) => {
    mkdirSync(join(runtime, 'cpw-vault'), { mode: 0o700 });
    return join(runtime, 'cpw-vault');
  };

  it('under a world-writable XDG_RUNTIME_DIR, cpw-vault/ linked to their folder: what they touch there never reaches the window; our own folder still does', async () => {
    const root = mkdtempSync(join(process.env['CPW_TEST_ROOT']!, 'lock-watch-'));
    const planted = watched(root, 'shared', linkedToTheirs(root));
    const own = watched(root, 'own', ownFolder);
    // Their file first, ours after: the watches share one event queue and one quiet time, so once ours is told, a
    // change in theirs would have been told first.
    writeFileSync(planted.socket, '');
    writeFileSync(own.socket, '');
    await expect.poll(own.told, SOON).toBeGreaterThanOrEqual(1);
    // Before: told as often as ours (the window read everything again each time).
    expect(planted.told()).toBe(0);
  });

  // The periodic check read /proc/net/unix, where a socket of theirs in the linked folder was one "of ours": listening
  // and closing it in turn made the window read everything again at each check, for as long as they liked.
  it('a socket they listen on and close in turn in their linked folder never reaches the window through the periodic check; ours does', async () => {
    const root = mkdtempSync(join(process.env['CPW_TEST_ROOT']!, 'lock-watch-'));
    const planted = watched(root, 'shared', linkedToTheirs(root), 40);
    const own = watched(root, 'own', ownFolder, 40);
    // Each change waited for until ours is told (its file watch or its check, every 40 ms): theirs, checked as often,
    // would have been told as many times.
    for (let i = 0; i < 4; i++) {
      const before = own.told();
      const servers = await Promise.all([planted.socket, own.socket].map(listenOn));
      await expect.poll(own.told, SOON).toBeGreaterThan(before);
      const listening = own.told();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      await expect.poll(own.told, SOON).toBeGreaterThan(listening);
    }
    expect(planted.told()).toBe(0);
  });
});

/** A Unix socket listening at `path`. */
function listenOn(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(path, () => resolve(server));
  });
}
