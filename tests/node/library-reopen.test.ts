// The Node library as a long-running pipeline process uses it: one process, many calls, and a failure in between.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { fileEnv, inPty, makeFileVaultHome } from '../helpers/file-vault';
import { makeTempHome } from '../helpers/temp';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');
const TMDB = '0123456789abcdef0123456789abcdef';

describe('the Node library', () => {
  // The helpers shared one opened vault, and kept it when opening failed: every later call in the process got the
  // first error again, long after its cause was gone (a worker had to be restarted).
  it('a call after a failed open opens again: the failure is not kept for the life of the process', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    // Opening fails: a writer's leftover temp file must be removed under the lock, and the lock is a planted link.
    const dir = dirname(t.profile);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'user.profile.tmp-0123456789abcdef01234567'), '{}', { mode: 0o600 });
    const victim = join(t.root, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(dir, 'user.profile.lock'));
    const script = `
      import { unlinkSync } from 'node:fs';
      import { getCredential } from ${JSON.stringify(LIBRARY)};
      const attempt = async () => { try { return (await getCredential('tmdb', 'api_key')).value.length; } catch (e) { return e.code; } };
      console.log(await attempt());
      unlinkSync(${JSON.stringify(join(dir, 'user.profile.lock'))});
      console.log(await attempt());
    `;
    const r = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('PROFILE_SYMLINK\n32\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
  });

  // A stage whose working directory was removed under it (a job folder a cleanup step deleted): opening the vault asked
  // process.cwd() for the seed's ./config/secrets.json, which the default profile never needs, and its raw ENOENT
  // (uv_cwd) came out of getCredential: no VaultError, a stack trace, no key, though the profile is in HOME.
  it('a working directory removed under the stage: its keys are read from the profile in HOME as before', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    const gone = join(t.root, 'job');
    mkdirSync(gone);
    const stage = join(t.root, 'stage.mjs');
    writeFileSync(stage, `
      import { getCredential, requireWorkflow, workflowEnv } from ${JSON.stringify(LIBRARY)};
      const attempt = async (f) => { try { return await f(); } catch (e) { return e.code ?? e.message; } };
      console.log(await attempt(async () => (await getCredential('tmdb', 'api_key')).value.length));
      console.log(await attempt(async () => (await workflowEnv('subtitle')).TMDB_API_KEY?.length));
      console.log(await attempt(async () => (await requireWorkflow('subtitle')).ready));
    `);
    // Removed before node starts, as when the cleanup ran between the stage's cd and its start (Node keeps the
    // working directory it read once, so a removal after that does not show).
    const r = await collect(spawn('sh', ['-c', 'rmdir "$PWD" && exec "$0" "$1"', process.execPath, stage], { cwd: gone, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.stderr).not.toMatch(/uv_cwd|ENOENT/);
    expect(r.stdout).toBe('32\nWORKFLOW_NOT_READY\nWORKFLOW_NOT_READY\n');
    expect(r.code).toBe(0);
  });

  // A $CPW_PROFILE naming no file (a typo in the pipeline's environment) read as an empty vault: "tmdb.api_key is not
  // set ... Run: cpw-vault set tmdb api_key", which the user's shell, without that variable, stored in the default
  // profile, and the stage failed again. The CLI's reads say the profile does not exist; the library's helpers too.
  it('a CPW_PROFILE naming no file: PROFILE_NOT_FOUND naming it, not "not set, run cpw-vault set", and nothing created there', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    const typo = join(t.home, '.cp-whisperx', 'user.profil');
    const script = `
      import { getCredential, requireWorkflow, workflowEnv } from ${JSON.stringify(LIBRARY)};
      const attempt = async (f) => { try { await f(); return 'READ'; } catch (e) { return e.code + '|' + e.message + '|' + e.fix; } };
      console.log(await attempt(() => getCredential('tmdb', 'api_key')));
      console.log(await attempt(() => workflowEnv('subtitle')));
      console.log(await attempt(() => requireWorkflow('subtitle')));
    `;
    const r = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, CPW_PROFILE: typo }, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toBe(`PROFILE_NOT_FOUND|The profile ${typo} ($CPW_PROFILE) does not exist.|Check the path. To create a profile there: cpw-vault --profile ${typo} setup`.replace('($CPW_PROFILE)', '(from $CPW_PROFILE)'));
    expect(existsSync(typo)).toBe(false);
  });

  // On a terminal, a locked vault file's error said "there is no terminal to ask for the passphrase": the library never
  // asks, on a terminal too, and the user looked for the prompt that never came.
  it('a locked vault file, the library run on a terminal: VAULT_LOCKED saying the library never asks, not that there is no terminal', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const script = `
      import { getCredential } from ${JSON.stringify(LIBRARY)};
      try { await getCredential('tmdb', 'api_key'); console.log('READ'); } catch (e) { console.log(\`\${e.code}|\${process.stdin.isTTY}|\${e.message}\`); }
    `;
    const r = await inPty(h.cwd, fileEnv(h), [process.execPath, '--input-type=module', '-e', script], []);
    expect(r.code, r.screen).toBe(0);
    const line = r.screen.replace(/\r?\n/g, ' ');
    expect(line).toContain('VAULT_LOCKED|true|The vault file is locked: no unlock agent is running.');
    expect(line).toContain('the Node library and commands with no terminal (a stage, cron, CI) never do.');
    expect(line).not.toMatch(/no terminal to ask/);
  });
});
