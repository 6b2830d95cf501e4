// Two custom credentials stored without env var names of their own (as a first version stored them, or a hand-written
// profile) whose ids fold to one SERVICE_KEY (`my-svc.api_key`, `my_svc.api_key`: MY_SVC_API_KEY) both claimed it:
// `exec --with` both gave the stage the second's value under it, `get` of either read the shell's variable, and only
// doctor said anything. Neither value may stand in for the other: exec refuses, get reads the stored value, and
// list, which and doctor name both credentials and the fix.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF_TOKEN = `hf_${'Abcd1'.repeat(7)}`;
const FIRST = 'first-value-0001';
const SECOND = 'second-value-0002';
const SHELL = 'shell-value-0003';

/** A home whose profile holds my-svc.api_key and my_svc.api_key, neither with an env var of its own. */
async function clashingHome(): Promise<TempHome> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF_TOKEN })).code).toBe(0);
  expect((await cli(t, ['set', 'my-svc', 'api_key'], { input: FIRST })).code).toBe(0);
  expect((await cli(t, ['set', 'my_svc', 'api_key', '--env-var', 'FOR_NOW_KEY'], { input: SECOND })).code).toBe(0);
  const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
  delete doc.credential_metadata['my-svc.api_key'].env_var;
  delete doc.credential_metadata['my_svc.api_key'].env_var;
  writeFileSync(t.profile, JSON.stringify(doc, null, 2));
  return t;
}

const printVar = ['sh', '-c', 'echo "[$MY_SVC_API_KEY]" > seen; echo ran'];

describe('custom credentials whose SERVICE_KEY names fold to one', () => {
  let t: TempHome;
  beforeEach(async () => {
    t = await clashingHome();
  }, 60_000);

  it('exec --with refuses either, naming both credentials and --env-var, and the stage never starts', async () => {
    for (const withs of [['my-svc.api_key', 'my_svc.api_key'], ['my_svc.api_key'], ['my-svc.api_key']]) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', ...withs.flatMap((w) => ['--with', w]), '--', ...printVar], { env: { MY_SVC_API_KEY: SHELL } });
      expect(r.code, r.stderr).toBe(2);
      expect(existsSync(join(t.cwd, 'seen'))).toBe(false);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/my[-_]svc\.api_key has no env var of its own, and MY_SVC_API_KEY, the one it would take, is my[-_]svc\.api_key's too/);
      expect(r.stderr).toMatch(/fix: Give it a name of its own \(the value is asked again\): cpw-vault set my[-_]svc api_key --env-var NAME/);
      expect(r.stderr).not.toContain(FIRST);
      expect(r.stderr).not.toContain(SECOND);
    }
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs as Array<{ status: string }>;
    expect(runs.map((r) => r.status)).toEqual(['refused', 'refused', 'refused']);
  }, 60_000);

  it('get reads the stored value of each, never the shell variable either could mean', async () => {
    expect((await cli(t, ['get', 'my-svc', 'api_key'], { env: { MY_SVC_API_KEY: SHELL } })).stdout).toBe(FIRST);
    expect((await cli(t, ['get', 'my_svc', 'api_key'], { env: { MY_SVC_API_KEY: SHELL } })).stdout).toBe(SECOND);
  }, 60_000);

  it('exec --workflow still keeps the shell variable out of a stage that does not use it', async () => {
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--', ...printVar], { env: { MY_SVC_API_KEY: SHELL } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(t.cwd, 'seen'), 'utf8')).toBe('[]\n');
  }, 60_000);

  it('list, which and doctor name both credentials and the fix', async () => {
    for (const args of [['list'], ['which', '--all'], ['which', 'my-svc', 'api_key']]) {
      const r = await cli(t, args, { env: { MY_SVC_API_KEY: SHELL } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("my-svc.api_key has no env var of its own, and MY_SVC_API_KEY, the one it would take, is my_svc.api_key's too");
      if (args[1] !== 'my-svc') expect(r.stderr).toContain("my_svc.api_key has no env var of its own, and MY_SVC_API_KEY, the one it would take, is my-svc.api_key's too");
      expect(r.stderr).toContain('fix: Give it a name of its own (the value is asked again): cpw-vault set my-svc api_key --env-var NAME');
      expect(r.stderr).not.toMatch(/shadows/);
    }
    const doctor = await cli(t, ['doctor']);
    expect(doctor.stderr).toContain("my-svc.api_key has no env var of its own, and MY_SVC_API_KEY, the one it would take, is my_svc.api_key's too");
    expect(doctor.stderr).toContain("my_svc.api_key has no env var of its own, and MY_SVC_API_KEY, the one it would take, is my-svc.api_key's too");
    expect(doctor.stderr).toContain('fix: Give it a name of its own (the value is asked again): cpw-vault set my_svc api_key --env-var NAME');
  }, 60_000);

  it('the fix it names works: with a name of its own, each value reaches the stage under its own variable', async () => {
    const set = await cli(t, ['set', 'my_svc', 'api_key', '--env-var', 'MY_OTHER_KEY'], { input: SECOND });
    expect(set.code, set.stderr).toBe(0);
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--with', 'my-svc.api_key', '--with', 'my_svc.api_key', '--', 'sh', '-c', 'echo "[$MY_SVC_API_KEY][$MY_OTHER_KEY]" > seen']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(t.cwd, 'seen'), 'utf8')).toBe(`[${FIRST}][${SECOND}]\n`);
    expect((await cli(t, ['list'])).stderr).not.toContain('no env var of its own');
  }, 60_000);

  it('exec --with refuses two credentials naming one env var as their own (an older version stored such pairs)', async () => {
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.credential_metadata['my-svc.api_key'].env_var = 'BOTH_KEY';
    doc.credential_metadata['my_svc.api_key'].env_var = 'BOTH_KEY';
    writeFileSync(t.profile, JSON.stringify(doc, null, 2));
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--with', 'my-svc.api_key', '--with', 'my_svc.api_key', '--', ...printVar]);
    expect(r.code, r.stderr).toBe(2);
    expect(existsSync(join(t.cwd, 'seen'))).toBe(false);
    expect(r.stderr).toContain('my-svc.api_key and my_svc.api_key each name BOTH_KEY as their own env var: so that neither value stands in for the other, get does not read BOTH_KEY for my-svc.api_key and exec --with refuses it. The stage was not started.');
    expect(r.stderr).toContain('fix: Give it a name of its own (the value is asked again): cpw-vault set my-svc api_key --env-var NAME');
  }, 60_000);
});

// Two custom credentials that each name one env var as their own (a hand-edited profile, two sets racing in an older
// version: `set --env-var` refuses a name another carries, under the profile's lock too): `get` of either read the
// shell's variable, though nothing says whose value it holds. As for names that fold together, neither takes it.
describe('two custom credentials naming one env var as their own', () => {
  let t: TempHome;
  beforeEach(async () => {
    t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF_TOKEN })).code).toBe(0);
    expect((await cli(t, ['set', 'alpha', 'token', '--env-var', 'SHARED_TOKEN'], { input: FIRST })).code).toBe(0);
    expect((await cli(t, ['set', 'beta', 'token', '--env-var', 'BETA_TOKEN'], { input: SECOND })).code).toBe(0);
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.credential_metadata['beta.token'].env_var = 'SHARED_TOKEN';
    writeFileSync(t.profile, JSON.stringify(doc, null, 2));
  }, 60_000);

  const shell = { env: { SHARED_TOKEN: SHELL } };
  const said = (id: string, other: string) => `${id} and ${other} each name SHARED_TOKEN as their own env var: so that neither value stands in for the other, get does not read SHARED_TOKEN for ${id} and exec --with refuses it.`;

  it('set --env-var refuses a name another credential carries, naming it, and stores nothing', async () => {
    const fresh = makeTempHome();
    expect((await cli(fresh, ['set', 'alpha', 'token', '--env-var', 'SHARED_TOKEN'], { input: FIRST })).code).toBe(0);
    const r = await cli(fresh, ['set', 'beta', 'token', '--env-var', 'SHARED_TOKEN'], { input: SECOND });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('SHARED_TOKEN already belongs to alpha.token. Nothing was stored.');
    expect((await cli(fresh, ['get', 'beta', 'token'])).code).toBe(3);
    // With the pair stored, a third is told of one of them.
    const third = await cli(t, ['set', 'gamma', 'token', '--env-var', 'SHARED_TOKEN'], { input: 'gamma-value-0004' });
    expect(third.code, third.stderr).toBe(2);
    expect(third.stderr).toMatch(/SHARED_TOKEN already belongs to (alpha|beta)\.token\. Nothing was stored\./);
  }, 60_000);

  it('get reads the stored value of each, never the shell variable either could mean', async () => {
    for (const [service, value] of [['alpha', FIRST], ['beta', SECOND]] as const) {
      const r = await cli(t, ['get', service, 'token', '--json'], shell);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ value, source: { kind: 'keychain' } });
    }
  }, 60_000);

  it('exec --with refuses either, naming both and the fix; --workflow keeps the shell variable out of the stage', async () => {
    for (const [id, other] of [['alpha.token', 'beta.token'], ['beta.token', 'alpha.token']] as const) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--with', id, '--', 'sh', '-c', 'echo "[$SHARED_TOKEN]" > seen'], shell);
      expect(r.code, r.stderr).toBe(2);
      expect(existsSync(join(t.cwd, 'seen'))).toBe(false);
      expect(r.stderr).toContain(`${said(id, other)} The stage was not started.`);
      expect(r.stderr).toContain(`fix: Give it a name of its own (the value is asked again): cpw-vault set ${id.replace('.', ' ')} --env-var NAME`);
    }
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--', 'sh', '-c', 'echo "[$SHARED_TOKEN]" > seen'], shell);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(t.cwd, 'seen'), 'utf8')).toBe('[]\n');
  }, 60_000);

  it('list, which and doctor name both credentials and the fix', async () => {
    for (const args of [['list'], ['which', '--all'], ['doctor']]) {
      const r = await cli(t, args, shell);
      expect(r.stderr).toContain(said('alpha.token', 'beta.token'));
      expect(r.stderr).toContain(said('beta.token', 'alpha.token'));
      expect(r.stderr).toContain('fix: Give it a name of its own (the value is asked again): cpw-vault set beta token --env-var NAME');
    }
    const listed = JSON.parse((await cli(t, ['list', '--json'], shell)).stdout).credentials as Array<{ id: string; envVars: string[]; source: { kind: string } | null }>;
    for (const id of ['alpha.token', 'beta.token']) expect(listed.find((c) => c.id === id)).toMatchObject({ envVars: [], source: { kind: 'keychain' } });
  }, 60_000);

  it('set without --env-var keeps the shared name for either (never renamed by the order of the index), and says so', async () => {
    // One of the pair was renamed to its SERVICE_KEY without a word, or its set refused, depending on which the index
    // listed last: a rotation must not move a stage's variable. It keeps the clash, names it and the fix.
    for (const [service, other, value] of [['alpha', 'beta.token', 'alpha-rotated-0005'], ['beta', 'alpha.token', 'beta-rotated-0006']] as const) {
      const r = await cli(t, ['set', service, 'token'], { input: value });
      expect(r.code, r.stderr).toBe(0);
      const metadata = JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata;
      expect([metadata['alpha.token'].env_var, metadata['beta.token'].env_var]).toEqual(['SHARED_TOKEN', 'SHARED_TOKEN']);
      expect(r.stderr).toContain(`note: ${said(`${service}.token`, other)}`);
      expect(r.stderr).toContain(`fix: Give it a name of its own (the value is asked again): cpw-vault set ${service} token --env-var NAME`);
      expect((await cli(t, ['get', service, 'token'], shell)).stdout).toBe(value);
    }
  }, 60_000);

  it('the fix it names works: with a name of its own, each takes its own variable again', async () => {
    const set = await cli(t, ['set', 'beta', 'token', '--env-var', 'BETA_TOKEN'], { input: SECOND });
    expect(set.code, set.stderr).toBe(0);
    expect((await cli(t, ['get', 'alpha', 'token'], shell)).stdout).toBe(SHELL);
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--with', 'alpha.token', '--with', 'beta.token', '--', 'sh', '-c', 'echo "[$SHARED_TOKEN][$BETA_TOKEN]" > seen']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(t.cwd, 'seen'), 'utf8')).toBe(`[${FIRST}][${SECOND}]\n`);
    expect((await cli(t, ['doctor'])).stderr).not.toContain('SHARED_TOKEN');
  }, 60_000);
});
