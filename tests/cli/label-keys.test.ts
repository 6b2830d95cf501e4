// `set --label` as a user types it: a label naming a Stripe account was refused as a key, and an AWS secret access key
// pasted there (its "/" and "+" hid it from the rule) was stored in plain text in the profile and shown by list.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;

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

  it('refuses an AWS secret access key pasted as the label (exit 2), never shows it, stores nothing', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['set', 'aws', 'secret_access_key', '--label', `AWS prod ${AWS_SECRET}`], { input: 'aws-value-1234' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The label has the shape of a secret value (an API key or token), so it is refused and not shown');
    expect(r.stdout + r.stderr).not.toContain('K7MDENG');
    expect(lookup(t, 'aws.secret_access_key')).toBe('');
    expect(existsSync(t.profile) ? readFileSync(t.profile, 'utf8') : '').not.toContain('K7MDENG');
  });

  it('refuses a Google key pasted with the address it rode in (?key=...): exit 2, never shown, nothing stored', async () => {
    const t = makeTempHome();
    const label = 'https://gemini.example/v1?key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe';
    const r = await cli(t, ['set', 'mytool', 'api_key', '--label', label], { input: 'mytool-value-1234' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('The label has the shape of a secret value (an API key or token), so it is refused and not shown');
    expect(r.stdout + r.stderr).not.toContain('HjGw7ISLn');
    expect(lookup(t, 'mytool.api_key')).toBe('');
    expect(existsSync(t.profile) ? readFileSync(t.profile, 'utf8') : '').not.toContain('HjGw7ISLn');
  });
});
