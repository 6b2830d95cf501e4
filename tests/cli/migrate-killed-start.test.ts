// A `migrate` killed with kill -9 midway is rolled forward by the next command's start (credentials/repair.ts): the
// credentials it had stored are indexed, its backup deleted, the rest left in the source. That start used to say
// nothing, so the user believed the migration done while the source still held keys the vault did not.
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { killedMigrate } from '../helpers/killed-migrate';

const N = 100;

describe('the command after a migrate killed with kill -9', () => {
  it('says once that its start finished the migration, that the source keeps the rest, and how to finish; never a value', async () => {
    const t = makeTempHome();
    const { env, noValue } = await killedMigrate(t, N);

    const list = await cli(t, ['list']);
    expect(list.code, list.stderr).toBe(0);
    const said = list.stderr.split('\n').filter((l) => l.includes('killed midway'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^warning: finished a migrate killed midway \(started at .*\) as far as it got, and deleted its backup .*\.env\.backup-/);
    expect(said[0]).toContain(`${env} still holds the keys it did not migrate, in plaintext. To finish: cpw-vault migrate --from ${env}`);
    noValue(list.stdout + list.stderr);
    // Said once: the next command's start has nothing left to finish.
    expect((await cli(t, ['list'])).stderr).not.toContain('killed midway');
  }, 300_000);
});
