// The working directory removed under the CLI: a job folder a pipeline's cleanup step deleted (`mkdir d; cd d;
// rmdir "$PWD"; cpw-vault get huggingface token`). processIO took process.cwd() eagerly, which throws ENOENT
// then: every command printed only `cpw-vault: internal error` (exit 1), and the Python package raised CLI_FAILED.
// Commands that need no working directory now work; those that do (a relative path) say so.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Gone'.repeat(9)}`;
const OPENAI = `sk-${'GoneAway'.repeat(6)}`;

/** Runs the CLI in a folder removed just before it starts (the stage of `exec` inherits the missing folder). */
function inRemovedDir(t: TempHome, args: string[], input = '', env: Record<string, string> = {}) {
  const gone = mkdtempSync(join(t.root, 'job-'));
  const r = spawnSync('sh', ['-c', 'rmdir "$PWD" && exec "$0" "$@"', process.execPath, BIN, ...args], { cwd: gone, input, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^sh: \d+: getcwd\(\) failed.*\n/gm, '') };
}

async function ready(): Promise<TempHome> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  return t;
}

describe('a working directory removed under the process', () => {
  it('get, env, list, check, doctor, set and exec work from the profile in HOME', async () => {
    const t = await ready();
    expect(inRemovedDir(t, ['get', 'huggingface', 'token'])).toEqual({ code: 0, stdout: HF, stderr: '' });
    const env = inRemovedDir(t, ['env', '--workflow', 'transcribe']);
    expect([env.code, env.stderr]).toEqual([0, '']);
    expect(env.stdout).toContain(`HF_TOKEN='${HF}'`);
    const list = inRemovedDir(t, ['list']);
    expect([list.code, list.stderr]).toEqual([0, '']);
    expect(list.stdout).toMatch(/huggingface\s+token\s+keychain/);
    const check = inRemovedDir(t, ['check', 'transcribe']);
    expect(check.code, check.stderr).toBe(0);
    const doctor = inRemovedDir(t, ['doctor']);
    expect(doctor.stderr + doctor.stdout).not.toMatch(/internal error|INTERNAL/);
    expect(doctor.stderr + doctor.stdout).toContain('transcribe: ready');
    const set = inRemovedDir(t, ['set', 'openai', 'api_key'], OPENAI);
    expect(set.code, set.stderr).toBe(0);
    expect((await cli(t, ['get', 'openai', 'api_key'])).stdout).toBe(OPENAI);
    // The stage inherits the missing folder, as it would from a shell, and gets its keys.
    const marker = join(t.root, 'ran');
    const exec = inRemovedDir(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'test -n "$HF_TOKEN" && touch "$0"', marker]);
    expect([exec.code, exec.stderr]).toEqual([0, '']);
  });

  it('a relative path (--profile, migrate --from, export --to) is a clear error naming it; migrate with no --from says it needs the folder', async () => {
    const t = await ready();
    const profile = inRemovedDir(t, ['--profile', 'rel.profile', 'get', 'huggingface', 'token']);
    expect([profile.code, profile.stdout]).toEqual([1, '']);
    expect(profile.stderr).toMatch(/^error \[PROFILE_NOT_FOUND\] The profile path rel\.profile \(from --profile\) is relative, and the working directory it is relative to no longer exists\./);
    expect(inRemovedDir(t, ['--profile', 'rel.profile', 'doctor']).stderr).toContain('[PROFILE_NOT_FOUND]');
    // git-credential config names the profile as every other command does, whether --profile or CPW_PROFILE gave it
    // (it said "[INVALID_ARGUMENT] --profile rel.profile is a relative path" for both).
    const helper = inRemovedDir(t, ['git-credential', 'config'], '', { CPW_PROFILE: 'rel.profile' });
    expect([helper.code, helper.stdout]).toEqual([1, '']);
    expect(helper.stderr).toMatch(/^error \[PROFILE_NOT_FOUND\] The profile path rel\.profile \(from CPW_PROFILE\) is relative/);
    expect(inRemovedDir(t, ['--profile', 'rel.profile', 'git-credential', 'config']).stderr).toMatch(/^error \[PROFILE_NOT_FOUND\] The profile path rel\.profile \(from --profile\)/);
    const from = inRemovedDir(t, ['migrate', '--dry-run', '--from', 'config/secrets.json']);
    expect(from.code).toBe(2);
    expect(from.stderr).toMatch(/^error \[INVALID_ARGUMENT\] --from config\/secrets\.json is a relative path, and the working directory it is relative to no longer exists\./);
    // Its first source is ./config/secrets.json: another found instead (the HuggingFace token file) is not the one meant.
    mkdirSync(join(t.home, '.cache', 'huggingface'), { recursive: true });
    writeFileSync(join(t.home, '.cache', 'huggingface', 'token'), HF, { mode: 0o600 });
    const none = inRemovedDir(t, ['migrate', '--dry-run']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error \[INVALID_ARGUMENT\] Nothing to migrate from: migrate with no --from looks in the working directory first .*no longer exists\./);
    const to = inRemovedDir(t, ['export', '--to', 'out.age']);
    expect(to.code).toBe(2);
    expect(to.stderr).toMatch(/^error \[INVALID_ARGUMENT\] --to out\.age is a relative path/);
    for (const r of [profile, from, none, to]) expect(r.stderr).not.toMatch(/internal error|INTERNAL|uv_cwd|\n\s+at /);
  });

  it("the Python package's get returns the key", async () => {
    const t = await ready();
    const py = `import cpw_vault, sys; sys.stdout.write(str(cpw_vault.get("huggingface", "token")) == ${JSON.stringify(HF)} and "same" or "differs")`;
    const gone = mkdtempSync(join(t.root, 'job-'));
    const p = spawnSync('sh', ['-c', 'rmdir "$PWD" && exec /usr/bin/python3 -c "$0"', py], { cwd: gone, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, PYTHONPATH: resolve(import.meta.dirname, '../../python/src'), CPW_VAULT_BIN: `${process.execPath} ${BIN}` } });
    expect(p.stderr.replace(/^sh: \d+: getcwd\(\) failed.*\n/gm, ''), p.stdout).toBe('');
    expect([p.status, p.stdout]).toEqual([0, 'same']);
  });
});
