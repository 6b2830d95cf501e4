// list's cache (shared/cli/list-cache.ts) under attack: processes killed at
// chosen system calls (strace's fault injection, so the instant is exact, not
// a guess of timing), and what a kept listing leaves behind. Each case ends
// by comparing list with what a list without the cache prints.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { cachePath, dirOf, fresh, ok, olderThanRacy, quiet } from '../helpers/list-cache';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'ListAttack'.repeat(4)}`;

const tempsOf = (t: TempHome) => readdirSync(dirOf(t)).filter((f) => f.startsWith('profile.listing.tmp-'));

/** Runs cpw-vault under strace, which sends SIGKILL when `syscall` is entered for the `when`-th time. */
function killedAt(t: TempHome, args: string[], syscall: string, when: number) {
  const log = join(t.root, `strace-${syscall}-${when}.log`);
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=KILL:when=${when}`, process.execPath, BIN, ...args], {
    cwd: t.cwd,
    env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service },
    encoding: 'utf8',
  });
  return { status: r.status, signal: r.signal, calls: readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(`${syscall}(`)) };
}

describe('list cache, attacked', () => {
  it('a read killed while it marks a credential used never leaves list printing the old last use', async () => {
    const t = makeTempHome();
    await ok(t, ['set', 'huggingface', 'token'], HF);
    await ok(t, ['get', 'huggingface', 'token']);
    const mark = join(dirOf(t), 'usage', 'huggingface.token');
    // Kill the read at each of the times it sets (the mark's and its folder's), one run each.
    for (let when = 1; ; when++) {
      // Its last use long ago (a read now marks it again), then a kept listing that says so.
      spawnSync('touch', ['-d', '2020-01-01T00:00:00Z', mark]);
      await quiet(t);
      rmSync(cachePath(t), { force: true });
      await ok(t, ['list']);
      expect(existsSync(cachePath(t))).toBe(true);
      const run = killedAt(t, ['get', 'huggingface', 'token'], 'utimensat', when);
      if (run.signal !== 'SIGKILL') {
        expect(when, 'a read sets times twice or more (mark, folder)').toBeGreaterThan(2);
        break;
      }
      const out = (await cli(t, ['list'])).stdout;
      expect(out, `killed at its time-setting call ${when}: ${run.calls.join('\n')}`).toBe(await fresh(t));
    }
  });

  it('a list killed as it puts its cache in place leaves no copy of the table behind, once another list writes', async () => {
    const t = makeTempHome();
    await ok(t, ['set', 'huggingface', 'token'], HF);
    await quiet(t);
    const run = killedAt(t, ['list'], 'rename', 1);
    expect(run.signal).toBe('SIGKILL');
    const [temp] = tempsOf(t);
    expect(temp, 'the killed list had written its temp file').toBeDefined();
    expect(readFileSync(join(dirOf(t), temp!), 'utf8')).toContain('huggingface');
    // Older than any write in progress: the next list that writes the cache removes it.
    await olderThanRacy([join(dirOf(t), temp!)]);
    const r = await ok(t, ['list']);
    expect(existsSync(cachePath(t))).toBe(true);
    expect(tempsOf(t)).toEqual([]);
    expect(r.stdout).toBe(await fresh(t));
  });

  it('a delete right before a list leaves no kept listing holding what the profile no longer does', async () => {
    const t = makeTempHome();
    const org = 'org-DeletedOrgName77';
    await ok(t, ['set', 'openai', 'organization_id'], org);
    await ok(t, ['set', 'huggingface', 'token'], HF);
    await quiet(t);
    await ok(t, ['list']);
    expect(readFileSync(cachePath(t), 'utf8')).toContain(org);
    await ok(t, ['delete', 'openai', 'organization_id', '--yes']);
    expect(readFileSync(t.profile, 'utf8')).not.toContain(org);
    // The list comes within the racy margin of a change (here the profile's time put ahead, so the margin holds
    // however slow this machine is): it keeps no listing, and leaves none that shows the deleted organization ID.
    const ahead = new Date(Date.now() + 3_600_000);
    utimesSync(t.profile, ahead, ahead);
    const out = (await ok(t, ['list'])).stdout;
    expect(out).not.toContain(org);
    expect(existsSync(cachePath(t)) ? readFileSync(cachePath(t), 'utf8') : '').not.toContain(org);
    expect(out).toBe(await fresh(t));
  });
});
