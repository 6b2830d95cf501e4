// `set --label` as a user types it: a label naming a Stripe account was refused as a key.
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

describe('set --label', () => {
  it('keeps a label that names an account (Stripe acct_...), and lists it', async () => {
    const t = makeTempHome();
    const label = 'Stripe acct_1NnQx2LkdIwHu7ix';
    const set = await cli(t, ['set', 'stripe', 'secret_key', '--label', label], { input: 'stripe-value-1234' });
    expect(set.stderr).not.toContain('shape of a secret value');
    expect(set.code, set.stderr).toBe(0);
    const listed = JSON.parse((await cli(t, ['list', '--json'])).stdout) as { credentials: Array<{ id: string; label: string }> };
    expect(listed.credentials.find((c) => c.id === 'stripe.secret_key')?.label).toBe(label);
  });
});
