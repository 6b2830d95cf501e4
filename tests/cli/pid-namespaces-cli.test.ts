// The CLI as a container user runs it: the same HOME and keychain from the
// host and from a pid namespace of its own (`unshare`, as root; skipped
// elsewhere; with --uts too: another host name), and journals a container,
// another version or a hand edit left behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskedHint } from '../../shared/core/credential';
import { bootId } from '../../shared/node/profile/owner';
import { openSecretStore } from '../../shared/node/secrets/open-secret-store';
import { collect } from '../helpers/children';
import { BIN, cli, hex, keychainValues, startCli } from '../helpers/cli';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';
import { makeTempHome, type TempHome } from '../helpers/temp';

const UNSHARE = ['--pid', '--fork', '--mount-proc'];
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', [...UNSHARE, '--uts', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
const journalPath = (t: TempHome) => join(dirname(t.profile), 'journal');

/** `cpw-vault args...` in a pid namespace of its own (pid 1 there), fed `input`; `kill9` kills it there. */
function startInNamespace(t: TempHome, args: string[], input: string, extra: string[] = []) {
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  const child = spawn('unshare', [...UNSHARE, ...extra, process.execPath, BIN, ...args], { cwd: t.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('close', (code) => resolve({ code, stderr }));
  });
  // unshare passes no SIGKILL on: the namespace's pid 1 (unshare's child) is killed, and the namespace with it.
  const kill9 = () => void spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
  return { done, kill9 };
}

/** Removes one value from `t`'s keychain namespace, directly. */
async function keychainDelete(t: TempHome, account: string): Promise<void> {
  const s = openSecretStore({ backend: 'keychain', namespace: t.service, env: process.env, timeoutMs: 10_000, profilePath: t.profile });
  await s.delete(account);
  s.close();
}

/** Waits until `cond` holds (polling), at most `ms`. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
}

describe('a damaged journal (another version, a container, a hand edit)', () => {
  it('ops that are not credential changes never crash a command; the rest of the transaction is recovered and the entry dropped', async () => {
    const t = makeTempHome();
    const value = hex(32);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: value })).code).toBe(0);
    const owner = { pid: 999_999, host: hostname(), boot: bootId(), pidns: 'pid:[1]' }; // another namespace, over an hour ago: abandoned
    writeFileSync(join(t.cwd, 'keep-me'), 'mine');
    const started = new Date(Date.now() - 2 * 3_600_000).toISOString();
    writeFileSync(journalPath(t), JSON.stringify({ transactions: [{ id: 'abc', owner, started_at: started, ops: [1, null, 'x', { id: { a: 1 }, kind: 'set' }, { id: 'tmdb.api_key', kind: 'set', label: 7 }], files: 'keep-me' },
      // No readable start: no sign of life at all (it used to stay in the journal for ever).
      { id: 'def', owner, started_at: 'not a time', ops: [{ id: 'tmdb.api_key', kind: 'set' }] }] }), { mode: 0o600 });
    const got = await cli(t, ['get', 'tmdb', 'api_key']);
    expect(got.stderr).not.toContain('INTERNAL');
    expect([got.code, got.stdout.trim()]).toEqual([0, value]);
    const doctor = await cli(t, ['doctor']);
    expect(doctor.stderr).not.toContain('INTERNAL');
    expect(existsSync(journalPath(t))).toBe(false); // recovered, not left to be retried at every start
    expect(existsSync(join(t.cwd, 'keep-me'))).toBe(true); // `files` that is not a list names nothing to remove (it was removed as a path relative to the cwd)
    expect((await cli(t, ['list'])).code).toBe(0);
  });
});

describe('the CLI on the host and in a container with its own pid namespace, one HOME', () => {
  it('parallel sets from both sides (one with its own host name): every acknowledged value stored, profile and keychain agree', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    const runs = Array.from({ length: 8 }, (_, i) => {
      const id = `svc${i}.api_key`;
      const value = `v-${hex(24)}`;
      const args = ['set', `svc${i}`, 'api_key', '--env-var', `SVC${i}_API_KEY`];
      return { id, value, run: i % 2 ? startCli(t, args, value) : startInNamespace(t, args, value, i % 4 === 0 ? ['--uts'] : []) };
    });
    for (const r of runs) {
      const end = await r.run.done;
      expect(end.code, end.stderr).toBe(0);
    }
    const values = await keychainValues(t);
    const meta = JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata as Record<string, unknown>;
    for (const r of runs) expect(values[r.id], r.id).toBe(r.value);
    expect(Object.keys(meta).sort()).toEqual(Object.keys(values).sort());
  }, 120_000);
});

describe('sets and deletes from both sides, one key shared, the container\'s killed at random instants', () => {
  // A killed writer of the shared key holds its turn for up to 10 s (it cannot be seen from the host): rounds may wait.
  it('3 rounds of 10: once the killed writers\' hour has passed (their starts moved back), profile and keychain agree, value by value', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    // SIGKILLs mid-request can abort gnome-keyring itself (an upstream bug): such a run is repeated, never counted.
    await againIfKeyringRestarted('namespace writes', async () => {
      const t = makeTempHome();
      expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
      const stats = { runs: 0, killed: 0, ok: 0, left: 0 };
      for (let round = 0; round < 3; round++) {
        const runs = Array.from({ length: 10 }, (_, i) => {
          const key = i % 3 === 0 ? 'shared' : `k${round}x${i}`;
          const args = i % 5 === 4 ? ['delete', key, 'api_key', '--yes'] : ['set', key, 'api_key', '--env-var', `${key.toUpperCase()}_API_KEY`];
          if (i % 2) return { run: startCli(t, args, `v-${hex(24)}`), timer: undefined };
          const run = startInNamespace(t, args, `v-${hex(24)}`, i % 4 === 0 ? ['--uts'] : []);
          return { run, timer: i % 3 !== 1 ? setTimeout(run.kill9, 150 + Math.random() * 900) : undefined };
        });
        for (const r of runs) {
          const end = await r.run.done;
          clearTimeout(r.timer);
          stats.runs++;
          if (end.code === 0) stats.ok++;
          else {
            // unshare reports its killed child last. Before it: at most the notice of a wait for the lock, or, for a
            // kill that lands as the command ends, its own success line (a CI run: "✓ Stored ...", then unshare's
            // "sigprocmask unblock failed"); never a cpw-vault error.
            const said = end.stderr.replace(/^cpw-vault: waiting for .*\n/gm, '');
            expect(said, 'only a kill may fail a command').toMatch(/^(✓ [^\n]*\n)?unshare: [^\n]*\n?$/);
            stats.killed++;
          }
        }
        if (existsSync(journalPath(t))) {
          stats.left++;
          const doc = JSON.parse(readFileSync(journalPath(t), 'utf8')) as { transactions: { started_at: string }[] };
          for (const tx of doc.transactions) tx.started_at = new Date(Date.now() - 2 * 3_600_000).toISOString();
          writeFileSync(journalPath(t), JSON.stringify(doc), { mode: 0o600 });
        }
        expect((await cli(t, ['doctor', '--repair'])).stderr).not.toContain('has not finished');
        expect(existsSync(journalPath(t))).toBe(false);
        const values = await keychainValues(t);
        const meta = JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata as Record<string, { hint: string }>;
        expect(Object.keys(meta).sort()).toEqual(Object.keys(values).sort());
        for (const [id, value] of Object.entries(values)) expect(meta[id]!.hint, id).toBe(maskedHint(value));
      }
      console.log(`namespace writes: ${stats.runs} runs, ${stats.killed} killed, ${stats.ok} acknowledged, ${stats.left} rounds left a journal`);
    });
  }, 300_000);
});

describe('a cpw-vault killed in a container in the middle of a set', () => {
  it('its change is left for the hour (never rolled forward under a writer that may still run), doctor says so and when it ends; the host writes meanwhile', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    // Killed once its transaction is in the journal; again (another credential) when the set finished first.
    let id = '';
    for (let attempt = 0; attempt < 30 && !existsSync(journalPath(t)); attempt++) {
      id = `box${attempt}.api_key`;
      const run = startInNamespace(t, ['set', `box${attempt}`, 'api_key', '--env-var', `BOX${attempt}_API_KEY`], `v-${hex(24)}`);
      await until(() => existsSync(journalPath(t)), 20_000);
      run.kill9();
      await run.done;
    }
    const journal = JSON.parse(readFileSync(journalPath(t), 'utf8')) as { transactions: { owner: { pid: number; pidns?: string }; started_at: string }[] };
    expect(journal.transactions).toHaveLength(1);
    expect(journal.transactions[0]!.owner.pidns).toMatch(/^pid:\[\d+\]$/);
    const started = Date.parse(journal.transactions[0]!.started_at);

    // The host writes meanwhile (a lock the killed writer left is taken over once stale: 10 s).
    const t0 = Date.now();
    const other = await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) });
    expect(other.code, other.stderr).toBe(0);
    const waited = Date.now() - t0;

    // Doctor names the unfinished change, who runs it and from when it is finished here; even --repair leaves it.
    const json = await cli(t, ['doctor', '--json']);
    const unfinished = (JSON.parse(json.stdout) as { unfinished?: { credentials: string[]; owner: string; abandoned_at?: string }[] }).unfinished;
    expect(unfinished).toHaveLength(1);
    expect(unfinished![0]!.credentials).toEqual([id]);
    expect(unfinished![0]!.owner).toMatch(/^process 1 in another pid namespace \(a container\)$/);
    expect(Date.parse(unfinished![0]!.abandoned_at!)).toBe(started + 3_600_000);
    const text = await cli(t, ['doctor', '--repair']);
    expect(text.stderr).toContain(`a change to ${id} started at ${journal.transactions[0]!.started_at} by process 1 in another pid namespace (a container) has not finished`);
    expect(text.stderr).toContain(`Until ${unfinished![0]!.abandoned_at} the keychain may hold values the index does not list yet; if it was stopped, any cpw-vault command finishes it after then, or run: cpw-vault doctor --repair\n`);
    expect(existsSync(journalPath(t))).toBe(true);

    // An hour later (its start moved back): finished by the next command, the index matching the keychain.
    const doc = JSON.parse(readFileSync(journalPath(t), 'utf8')) as { transactions: { started_at: string }[] };
    doc.transactions[0]!.started_at = new Date(started - 3_700_000).toISOString();
    writeFileSync(journalPath(t), JSON.stringify(doc), { mode: 0o600 });
    const repaired = await cli(t, ['doctor', '--repair']); // finished as the vault opens, before the repair itself
    expect(repaired.stderr).not.toContain('has not finished');
    expect(existsSync(journalPath(t))).toBe(false);
    const values = await keychainValues(t);
    const meta = JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata as Record<string, unknown>;
    expect(Object.keys(meta).sort()).toEqual(Object.keys(values).sort());
    console.log(`killed in a namespace: the host's next set waited ${waited} ms`);
  }, 120_000);
});

describe('a change a container is making (its transaction in the journal, another pid namespace, within the hour)', () => {
  it('the start-up census leaves its credential to it: not indexed from the keychain under it, nor dropped; doctor names it', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    // The container wrote the new value and has not committed: it may still roll back (Ctrl-C), deleting the value.
    const s = openSecretStore({ backend: 'keychain', namespace: t.service, env: process.env, timeoutMs: 10_000, profilePath: t.profile });
    await s.set('openai.api_key', `sk-${hex(40)}`);
    s.close();
    const owner = { pid: 1, host: hostname(), boot: bootId(), pidns: 'pid:[1]' };
    writeFileSync(journalPath(t), JSON.stringify({ transactions: [{ id: 'abc', owner, started_at: new Date().toISOString(), ops: [{ id: 'openai.api_key', kind: 'set' }, { id: 'tmdb.api_key', kind: 'delete' }] }] }), { mode: 0o600 });
    await keychainDelete(t, 'tmdb.api_key'); // and deleted another, not yet committed either
    const list = await cli(t, ['list']);
    expect(list.stderr).not.toContain('re-indexed');
    const meta = () => Object.keys(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata as object);
    expect(meta()).toEqual(['tmdb.api_key']); // neither indexed under the writer nor dropped
    const repair = await cli(t, ['doctor', '--repair']);
    expect(repair.stderr).toContain('repair: nothing to do');
    expect(repair.stderr).toContain('a change to openai.api_key, tmdb.api_key started at');
    expect(meta()).toEqual(['tmdb.api_key']);
    expect(existsSync(journalPath(t))).toBe(true);
  });
});

describe('the keychain provider, from a container that uses the host\'s session bus', () => {
  it('doctor does not name a process of the container as the provider (the bus gives pids of its own namespace)', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    const t = makeTempHome();
    const asked = spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'string:org.freedesktop.secrets'], { encoding: 'utf8' });
    const daemon = Number(/uint32 (\d+)/.exec(asked.stdout ?? '')?.[1]);
    if (!daemon) return ctx.skip(); // no dbus-send
    // In the namespace, `sleep` gets the keyring daemon's host pid (ns_last_pid): /proc there shows it under that pid.
    const script = `echo ${daemon - 1} > /proc/sys/kernel/ns_last_pid; sleep 60 & "$0" "$1" doctor; kill $!`;
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const r = await collect(spawn('unshare', [...UNSHARE, 'sh', '-c', script, process.execPath, BIN], { cwd: t.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }), '');
    expect(r.stderr).toContain('✓ keychain Secret Service');
    expect(r.stderr).not.toContain('provider: sleep');
    expect((await cli(t, ['doctor'])).stderr).toContain('provider: gnome-keyring'); // on the host it is named
  });
});
