import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** An age identity as age-keygen writes it (a valid checksum is not needed: it is never parsed). */
const KEY = `AGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`;

describe('team identity, used the way people get it wrong', () => {
  let t: TempHome;
  beforeAll(async () => {
    t = makeTempHome();
    expect((await cli(t, ['team', 'identity'])).code).toBe(0);
  });
  afterAll(async () => {
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  });

  it('--import given the key itself instead of its file: refused without printing the key, and told to use stdin', async () => {
    for (const key of [KEY, KEY.toLowerCase()]) {
      const r = await cli(t, ['team', 'identity', '--import', key]);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).not.toContain(key.slice(16));
      expect(r.stderr).toContain('That is an age secret key, not the path of an identity file');
      expect(r.stderr).toContain('--import -');
      const j = await cli(t, ['team', 'identity', '--import', key, '--json']);
      expect(j.stdout + j.stderr).not.toContain(key.slice(16));
    }
  });

});
