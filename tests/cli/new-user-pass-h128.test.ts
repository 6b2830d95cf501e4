// A new user's pass over custom credentials: a plain `set service key` (a rotation, no --env-var) of a custom
// credential whose hand-edited env var it may not carry (a catalog credential's HF_TOKEN, or PATH) moves it off that
// name. When its SERVICE_KEY was another credential's, the rotation was refused ("THIRD_KEY already belongs to
// other.token. Nothing was stored."), naming a variable the user never gave, and the new value was not stored.
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF_TOKEN = `hf_${'Abcd1'.repeat(7)}`;
const ROTATED = 'third-rotated-0002';

/** A home where third.key names `name` as its own env var (a hand edit) and other.token carries THIRD_KEY. */
async function handEdited(t: TempHome, name: string): Promise<void> {
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF_TOKEN })).code).toBe(0);
  expect((await cli(t, ['set', 'third', 'key'], { input: 'third-value-0001' })).code).toBe(0);
  expect((await cli(t, ['set', 'other', 'token'], { input: 'other-value-0003' })).code).toBe(0);
  const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
  doc.credential_metadata['third.key'].env_var = name;
  doc.credential_metadata['other.token'].env_var = 'THIRD_KEY';
  writeFileSync(t.profile, JSON.stringify(doc, null, 2));
}

describe('set again without --env-var, moving a custom credential off a name it may not carry', () => {
  let t: TempHome;
  beforeEach(() => {
    t = makeTempHome();
  });

  for (const [name, why] of [['HF_TOKEN', 'HF_TOKEN already belongs to huggingface.token'], ['PATH', 'PATH is not a name a credential may carry']] as const) {
    it(`stores the value when its SERVICE_KEY is another's (from ${name}): a free name, said, never a refusal naming THIRD_KEY`, async () => {
      await handEdited(t, name);
      const r = await cli(t, ['set', 'third', 'key'], { input: ROTATED });
      expect(r.stderr).not.toContain('THIRD_KEY already belongs to other.token');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`note: third.key is stored with the env var CUSTOM_THIRD_KEY: ${why}.`);
      const metadata = JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata;
      expect([metadata['third.key'].env_var, metadata['other.token'].env_var]).toEqual(['CUSTOM_THIRD_KEY', 'THIRD_KEY']);
      expect((await cli(t, ['get', 'third', 'key'], { env: { THIRD_KEY: 'other-from-shell' } })).stdout).toBe(ROTATED);
      const exec = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--with', 'third.key', '--', 'sh', '-c', 'printf "%s" "$CUSTOM_THIRD_KEY"']);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout).toBe(ROTATED);
    }, 60_000);
  }
});

describe('a new custom credential set without --env-var whose SERVICE_KEY another credential carries', () => {
  it('is refused saying that THIRD_KEY is the name it would take (the user never typed it), and the suggested name works', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'other', 'token', '--env-var', 'THIRD_KEY'], { input: 'other-value-0003' })).code).toBe(0);
    const r = await cli(t, ['set', 'third', 'key'], { input: 'third-value-0001' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('third.key would carry THIRD_KEY (SERVICE_KEY: no env var was named): THIRD_KEY already belongs to other.token. Nothing was stored.');
    expect(r.stderr).toContain('such as MY_THIRD_KEY');
    const again = await cli(t, ['set', 'third', 'key', '--env-var', 'MY_THIRD_KEY'], { input: 'third-value-0001' });
    expect(again.code, again.stderr).toBe(0);
  }, 60_000);
});
