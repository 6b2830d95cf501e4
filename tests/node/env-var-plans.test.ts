// Env var names of credentials coming in through an import (the same plans serve migrate and team pull): what the
// two attack passes found, at the level the app's main process calls.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets } from '../../shared/core/redact';
import { buildExport } from '../../shared/core/vault-export';
import { createVault } from '../../shared/node/open';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome } from '../helpers/temp';

afterEach(() => clearRegisteredSecrets());
const V1 = 'v1-aaaaaaaaaaaaaaaaaaaaaaaa';
const V2 = 'v2-bbbbbbbbbbbbbbbbbbbbbbbb';
const V3 = 'v3-cccccccccccccccccccccccc';

function setup() {
  const t = makeTempHome();
  const warnings: string[] = [];
  const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: (m) => warnings.push(m) });
  const envs = () => {
    const p = JSON.parse(readFileSync(t.profile, 'utf8')) as { credential_metadata: Record<string, { env_var?: string }> };
    return Object.fromEntries(Object.entries(p.credential_metadata).map(([id, m]) => [id, m.env_var]));
  };
  return { vault, warnings, envs };
}
const doc = (creds: Array<[string, string, string?]>) => buildExport(creds.map(([id, value, env]) => ({ id, value, ...(env ? { meta: { env_var: env } } : {}) })), new Date());

describe('env var names of an import', () => {
  it('your own credential whose new name is taken keeps the name it has (not CUSTOM_<ID>): scripts reading it still get it', async () => {
    const { vault, warnings, envs } = setup();
    await vault.setCredential('mysvc', 'a', V1, { envVar: 'A_KEY' });
    await vault.setCredential('mysvc', 'c', V2, { envVar: 'C_KEY' });
    const d = doc([['mysvc.c', V3, 'A_KEY']]);
    const plan = await vault.planImport(d, '/x', { overwrite: 'all' });
    expect(plan.rows[0]).toMatchObject({ envVar: 'C_KEY', warning: 'mysvc.c is stored with the env var C_KEY: A_KEY already belongs to mysvc.a.' });
    await vault.applyImport(d, plan);
    expect(envs()).toEqual({ 'mysvc.a': 'A_KEY', 'mysvc.c': 'C_KEY' });
    expect(warnings, 'the plan said it: apply does not say it again').toEqual([]);
  });

  it('a move is said in the plan\'s row (the app and the CLI table show it), next to a format warning; one made only at apply is warned', async () => {
    const { vault, warnings, envs } = setup();
    await vault.setCredential('mysvc', 'a', V1, { envVar: 'A_KEY' });
    const d = doc([['other.k', V2, 'A_KEY'], ['other.late', V3, 'LATE_KEY'], ['huggingface.token', 'not-an-hf-token-at-all-xxxx']]);
    const plan = await vault.planImport(d, '/x');
    expect(plan.rows.map((r) => [r.target, r.envVar, r.warning])).toEqual([
      ['other.k', 'CUSTOM_OTHER_K', 'other.k is stored with the env var CUSTOM_OTHER_K: A_KEY already belongs to mysvc.a.'],
      ['other.late', 'LATE_KEY', undefined],
      ['huggingface.token', undefined, expect.stringMatching(/^(?!.*env var)./)],
    ]);
    expect(warnings).toEqual([]);
    // LATE_KEY is taken between the plan and its apply (another window, a script): that move was never shown.
    await vault.setCredential('mysvc', 'late', V1, { envVar: 'LATE_KEY' });
    await vault.applyImport(d, plan);
    expect(envs()).toMatchObject({ 'other.k': 'CUSTOM_OTHER_K', 'other.late': 'CUSTOM_OTHER_LATE', 'mysvc.late': 'LATE_KEY' });
    expect(warnings).toEqual(['other.late is stored with the env var CUSTOM_OTHER_LATE: LATE_KEY already belongs to mysvc.late.']);
  });

  it('swaps, renames that free a name for another, and a second import of the same file', async () => {
    const { vault, envs } = setup();
    await vault.setCredential('mysvc', 'a', V1, { envVar: 'A_KEY' });
    await vault.setCredential('mysvc', 'b', V2, { envVar: 'B_KEY' });
    let d = doc([['mysvc.a', V3, 'B_KEY'], ['mysvc.b', V1, 'A_KEY']]);
    await vault.applyImport(d, await vault.planImport(d, '/x', { overwrite: 'all' }));
    expect(envs()).toEqual({ 'mysvc.a': 'B_KEY', 'mysvc.b': 'A_KEY' });
    d = doc([['mysvc.a', V2, 'NEW_A'], ['mysvc.c', V3, 'B_KEY']]);
    await vault.applyImport(d, await vault.planImport(d, '/x', { overwrite: 'all' }));
    await vault.applyImport(d, await vault.planImport(d, '/x', { overwrite: 'all' }));
    expect(envs()).toEqual({ 'mysvc.a': 'NEW_A', 'mysvc.b': 'A_KEY', 'mysvc.c': 'B_KEY' });
  });

  it('a row that writes nothing (identical, a conflict kept) shows the name its credential carries, not the file\'s', async () => {
    const { vault } = setup();
    await vault.setCredential('mysvc', 'a', V1, { envVar: 'SHARED_NAME' });
    const d = doc([['other.z', V2, 'SHARED_NAME'], ['mysvc.t', V3, 'T_FROM_FILE']]);
    await vault.setCredential('mysvc', 't', V1, { envVar: 'T_MINE' });
    const first = await vault.planImport(d, '/x');
    expect(first.rows.map((r) => [r.target, r.action, r.apply, r.envVar])).toEqual([['other.z', 'import', true, 'CUSTOM_OTHER_Z'], ['mysvc.t', 'conflict', false, 'T_MINE']]);
    await vault.applyImport(d, first);
    const again = await vault.planImport(d, '/x');
    expect(again.rows.map((r) => [r.target, r.action, r.envVar])).toEqual([['other.z', 'identical', 'CUSTOM_OTHER_Z'], ['mysvc.t', 'conflict', 'T_MINE']]);
  });

  it('a plan handed in by a caller (not made by planImport) cannot store a reserved or malformed name', async () => {
    const { vault, envs, warnings } = setup();
    const names = ['LD_PRELOAD', 'PATH', 'BASH_ENV', 'CPW_PROFILE', 'bad name', 'A'.repeat(80)];
    const d = doc(names.map((_, i) => [`evil.k${i}`, `${V1}${i}`] as [string, string]));
    const plan = await vault.planImport(d, '/x');
    const hostile = { ...plan, rows: plan.rows.map((r, i) => ({ ...r, envVar: names[i] })) };
    await vault.applyImport(d, hostile);
    const stored = envs();
    expect(Object.values(stored)).toEqual(names.map((_, i) => `CUSTOM_EVIL_K${i}`));
    expect(warnings).toContain('evil.k0 is stored with the env var CUSTOM_EVIL_K0: LD_PRELOAD is not a name a credential may carry.');
  });
});
