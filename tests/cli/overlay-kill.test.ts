// A large profile (past the size where sets and deletes go to the index
// overlay beside it, index-overlay.ts) written by parallel `cpw-vault`
// commands, a third of them killed at random instants, with full profile
// writes (which take the overlay in) among them: every acknowledged value is
// in the keychain and the index, the index names exactly what the keychain
// holds, and no two credentials share an env var.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskedHint } from '../../shared/core/credential';
import { OVERLAY_LIMITS } from '../../shared/node/profile/index-overlay';
import { cli, hex, keychainValues, startCli } from '../helpers/cli';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';
import { makeTempHome } from '../helpers/temp';

interface Listed {
  id: string;
  stored: boolean;
  meta?: { hint: string; env_var?: string };
}

describe('the index overlay under parallel writers and SIGKILL', () => {
  it('rounds of parallel sets, deletes and profile changes, a third killed at random instants: the index and the keychain agree, names stay distinct', async () => {
    await againIfKeyringRestarted('overlay kill', async () => {
      const t = makeTempHome();
      // Large by an unknown field the profile keeps (the keychain holds no value for it, so no census runs).
      mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
      writeFileSync(t.profile, `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: {}, padding: 'p'.repeat(OVERLAY_LIMITS.fromBytes) }, null, 2)}\n`, { mode: 0o600 });
      const overlay = join(dirname(t.profile), 'profile.changes');
      expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0); // starts: the lookup copy is made
      const t0 = Date.now();
      expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
      expect(existsSync(overlay)).toBe(true);
      const span = Math.max(200, (Date.now() - t0) * 3);
      // For each key an acknowledged change named: the values the keychain may hold now (undefined: none). That
      // change's, and those of writers of the key killed since (a kill after the commit, or one rolled forward, lands).
      const possible = new Map<string, Set<string | undefined>>();
      const stats = { runs: 0, killed: 0, ok: 0, folds: 0, failed: [] as string[] };
      let profileIno = statSync(t.profile).ino;
      for (let round = 0; round < 5; round++) {
        const jobs: Array<{ id?: string; value?: string; args: string[]; input?: string }> = [];
        for (let i = 0; i < 8; i++) {
          const svc = `svc${round % 2}x${i}`;
          jobs.push({ id: `${svc}.api_key`, value: `v-${hex(24)}`, args: ['set', svc, 'api_key', '--env-var', `${svc.toUpperCase()}_KEY`] });
        }
        // Two credentials asking for one name: at most one may have it.
        jobs.push({ id: `dup${round}a.api_key`, value: `v-${hex(24)}`, args: ['set', `dup${round}a`, 'api_key', '--env-var', 'SHARED_NAME'] });
        jobs.push({ id: `dup${round}b.api_key`, value: `v-${hex(24)}`, args: ['set', `dup${round}b`, 'api_key', '--env-var', 'SHARED_NAME'] });
        jobs.push({ id: 'huggingface.token', value: `hf_${hex(34)}`, args: ['set', 'huggingface', 'token'] });
        if (round > 0) jobs.push({ id: `svc${(round - 1) % 2}x0.api_key`, args: ['delete', `svc${(round - 1) % 2}x0`, 'api_key', '--yes'] });
        // A full write: takes the overlay in.
        jobs.push({ args: ['profile', 'set', `name=Round ${round}`] });
        const runs = jobs.map((job, i) => {
          const run = startCli(t, job.args, job.value ?? '');
          const timer = i % 3 === round % 3 ? setTimeout(() => run.child.kill('SIGKILL'), Math.random() * span) : undefined;
          return { job, run, timer };
        });
        for (const r of runs) {
          const end = await r.run.done;
          clearTimeout(r.timer);
          stats.runs++;
          if (end.signal === 'SIGKILL') {
            stats.killed++;
            if (r.job.id) possible.get(r.job.id)?.add(r.job.value);
          } else if (end.code === 0) {
            stats.ok++;
            if (r.job.id) possible.set(r.job.id, new Set([r.job.value]));
          } else if (!/SHARED_NAME already belongs to/.test(end.stderr)) stats.failed.push(`${r.job.args.join(' ')}: ${end.code} ${end.stderr.trim()}`);
        }
        if (statSync(t.profile).ino !== profileIno) stats.folds++;
        profileIno = statSync(t.profile).ino;
        const list = await cli(t, ['list', '--json']);
        expect(list.code, list.stderr).toBe(0);
        const values = await keychainValues(t);
        const listed = (JSON.parse(list.stdout) as { credentials: Listed[] }).credentials;
        const hints = new Map(listed.filter((c) => c.meta).map((c) => [c.id, c.meta!]));
        // The index names exactly what the keychain holds, each with the hint of its value.
        expect([...hints.keys()].sort()).toEqual(Object.keys(values).sort());
        for (const [id, value] of Object.entries(values)) expect(hints.get(id)?.hint, id).toBe(maskedHint(value));
        // Every acknowledged change is there, or a later one of a writer killed since.
        for (const [id, may] of possible) expect(may.has(values[id]), id).toBe(true);
        const names = listed.filter((c) => c.meta?.env_var).map((c) => c.meta!.env_var!);
        expect(new Set(names).size, names.join(' ')).toBe(names.length);
      }
      const doctor = await cli(t, ['doctor', '--json']);
      expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
      const profile = readFileSync(t.profile, 'utf8');
      expect(profile).not.toMatch(/v-[0-9a-f]{24}/); // never a value in the profile
      console.log(`overlay kill: ${stats.runs} runs, ${stats.killed} killed, ${stats.ok} acknowledged, ${stats.folds} rounds with a full write landed`);
      expect(stats.failed).toEqual([]);
      expect(stats.folds).toBeGreaterThan(0);
    });
  }, 900_000);
});

describe('doctor beside a damaged index overlay', () => {
  it('reports it in its report (the profile line, with the file and the way out), exit 1, as it does a damaged profile', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    const overlay = join(dirname(t.profile), 'profile.changes');
    writeFileSync(overlay, 'not json', { mode: 0o600 });
    const doctor = await cli(t, ['doctor']);
    const report = doctor.stdout + doctor.stderr;
    expect(doctor.code, report).toBe(1);
    expect(report).toMatch(/✗ profile /);
    expect(report).toContain(`PROFILE_INVALID ${overlay} is damaged (it is not valid JSON)`);
    expect(report).toContain(`mv ${overlay} ${overlay}.aside-`);
    expect(report).toMatch(/✓ keychain /);
    const json = await cli(t, ['doctor', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('profile.changes is damaged');
  });
});
