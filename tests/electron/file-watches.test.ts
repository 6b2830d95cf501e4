// Main's file watches (file-watches.ts) over a real vault, with other processes (the CLI) writing while it watches.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VaultEvent } from '../../shared/core/ipc-contract';
import { openServices } from '../../shared/node/open';
import { OVERLAY_LIMITS } from '../../shared/node/profile/index-overlay';
import { watchProfile } from '../../shared/node/profile/watch';
import { AuditLog } from '../../shared/node/records/audit-log';
import { watchVaultFiles } from '../../electron/main/file-watches';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Wtch'.repeat(9)}`;
const WAIT = { timeout: 15_000, interval: 20 };

const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

/** A profile with one stored value, then main's watches over it; `sent` lists the events main sent the window. */
async function watched(before?: (t: TempHome, auditLog: string) => void) {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  const { vault, history: runs } = await openServices({ homeDir: t.home, cwd: t.cwd, env, caller: 'app', warn: () => {} });
  before?.(t, vault.auditLogPath);
  const sent: VaultEvent[] = [];
  const stop = watchVaultFiles({ vault, runs, env, events: { send: (event) => void sent.push(event) }, notifier: { notify: () => {} } });
  stops.push(stop, () => vault.close());
  const count = (event: VaultEvent) => sent.filter((e) => e === event).length;
  return { t, auditLog: vault.auditLogPath, sent, count, stop };
}

describe('main watches the audit log as it watches the profile', () => {
  it('a `cpw-vault get` in another process (no profile change) is sent as auditChanged, even when the log was not there yet', async () => {
    const w = await watched((_t, auditLog) => rmSync(auditLog));
    const profileBefore = statSync(w.t.profile).mtimeMs;
    const got = await cli(w.t, ['get', 'huggingface', 'token']);
    expect(got.code).toBe(0);
    expect(existsSync(w.auditLog)).toBe(true);
    await expect.poll(() => w.count('auditChanged'), WAIT).toBe(1);
    expect(statSync(w.t.profile).mtimeMs).toBe(profileBefore);
    expect(w.count('profileChanged')).toBe(0);
    // A second read is a second event: the watch goes on after the file it first saw appear.
    expect((await cli(w.t, ['get', 'huggingface', 'token'])).code).toBe(0);
    await expect.poll(() => w.count('auditChanged'), WAIT).toBe(2);
  });

  it('follows the log across a rotation (renamed to audit.log.1, created again) made by another process', async () => {
    // A log one line short of its 1 MiB limit: the next append rotates it.
    const line = `${JSON.stringify({ ts: '2026-01-01T00:00:00.000Z', event: 'credential_read', caller: 'cli', credential: 'huggingface.token' })}\n`;
    const w = await watched((_t, auditLog) => writeFileSync(auditLog, line.repeat(Math.floor((1024 * 1024 - 40) / line.length)), { mode: 0o600 }));
    expect((await cli(w.t, ['get', 'huggingface', 'token'])).code).toBe(0);
    expect(statSync(`${w.auditLog}.1`).size).toBeGreaterThan(1000 * 1024);
    expect(readFileSync(w.auditLog, 'utf8').trim().split('\n')).toHaveLength(1);
    await expect.poll(() => w.count('auditChanged'), WAIT).toBeGreaterThanOrEqual(1);
    const afterRotation = w.count('auditChanged');
    expect((await cli(w.t, ['get', 'huggingface', 'token'])).code).toBe(0);
    await expect.poll(() => w.count('auditChanged'), WAIT).toBe(afterRotation + 1);
  });

  it('appends that never pause for the debounce (a pipeline reading in a loop) are still sent while they go on', async () => {
    const w = await watched();
    const log = new AuditLog(w.auditLog);
    // Every 40 ms, under the 150 ms debounce, for up to 10 s (ten times AUDIT_MAX_WAIT_MS): a watch that waits for
    // quiet fails here instead of hanging.
    for (let i = 0; i < 250 && w.count('auditChanged') === 0; i++) {
      await log.append({ event: 'credential_read', caller: 'library', credential: 'huggingface.token' });
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(w.count('auditChanged')).toBeGreaterThanOrEqual(1);
  });

  it('once stopped, sends nothing more: no watch is left behind', async () => {
    const w = await watched();
    w.stop();
    // A probe with a longer debounce: when it has seen the append, a watch left running would have sent it already.
    let seen = false;
    stops.push(watchProfile(w.auditLog, () => (seen = true), 400));
    expect((await cli(w.t, ['get', 'huggingface', 'token'])).code).toBe(0);
    await expect.poll(() => seen, WAIT).toBe(true);
    expect(w.sent).toEqual([]);
  });
});

describe('main watches the index changes beside a large profile', () => {
  it('a `cpw-vault set` in another process that writes only profile.changes (the profile untouched) is sent as profileChanged', async () => {
    const w = await watched((t) => {
      // Past the size where credential changes go to the overlay (an unknown field the profile keeps).
      const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
      writeFileSync(t.profile, `${JSON.stringify({ ...doc, padding: 'p'.repeat(OVERLAY_LIMITS.fromBytes) }, null, 2)}\n`, { mode: 0o600 });
    });
    // The first command after the edit makes the lookup copy again; from then on a set writes only the overlay.
    expect((await cli(w.t, ['set', 'tmdb', 'api_key'], { input: 'a'.repeat(32) })).code).toBe(0);
    await expect.poll(() => w.count('profileChanged'), WAIT).toBeGreaterThanOrEqual(1);
    const seen = w.count('profileChanged');
    const profile = statSync(w.t.profile);
    expect((await cli(w.t, ['set', 'tmdb', 'api_key'], { input: 'b'.repeat(32) })).code).toBe(0);
    expect(statSync(w.t.profile).mtimeMs).toBe(profile.mtimeMs);
    expect(existsSync(join(dirname(w.t.profile), 'profile.changes'))).toBe(true);
    await expect.poll(() => w.count('profileChanged'), WAIT).toBe(seen + 1);
  });
});
