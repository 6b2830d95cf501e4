// A usage mark written while the clock was ahead (its mtime in the future)
// is rewritten by the next read: "used less than a minute ago, skip" held for
// any future mark, so LAST USED showed a day still to come until the clock
// caught up with it.
import { statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'UsedLast'.repeat(5)}`;
const DAY_MS = 86_400_000;

/** huggingface.token's last use as `list --json` shows it. */
async function lastUsed(t: ReturnType<typeof makeTempHome>): Promise<number> {
  const r = await cli(t, ['list', '--json']);
  expect(r.code).toBe(0);
  const hf = JSON.parse(r.stdout).credentials.find((c: { id: string }) => c.id === 'huggingface.token');
  return Date.parse(hf.meta.last_used_at);
}

describe('last use', () => {
  it('a mark in the future (clock was ahead) is rewritten with now by the next get; a fresh one is left', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    const mark = join(dirname(t.profile), 'usage', 'huggingface.token');
    const ahead = new Date(Date.now() + 30 * DAY_MS);
    utimesSync(mark, ahead, ahead);
    expect(Math.abs((await lastUsed(t)) - ahead.getTime())).toBeLessThan(1000); // as the tester saw it: a month ahead

    const before = Date.now();
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    const after = Date.now();
    const shown = await lastUsed(t);
    expect(shown).toBeGreaterThanOrEqual(before - 1000); // file times may be coarser than the clock
    expect(shown).toBeLessThanOrEqual(after);
    expect((await cli(t, ['list'])).stdout).not.toContain(ahead.toISOString().slice(0, 10));

    // A mark from seconds ago (since the credential was stored: one older is a deleted one's) is still not
    // rewritten (at most one write a minute).
    const created = JSON.parse((await cli(t, ['list', '--json'])).stdout).credentials.find((c: { id: string }) => c.id === 'huggingface.token').meta.created_at as string;
    const recent = new Date(Math.max(Date.parse(created) + 1, Date.now() - 5_000));
    utimesSync(mark, recent, recent);
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    expect(Math.abs(statSync(mark).mtimeMs - recent.getTime())).toBeLessThan(1000);
  });

  it('a credential deleted and stored again was not used since: the mark of the one deleted is not its last use', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    const mark = join(dirname(t.profile), 'usage', 'huggingface.token');
    const used = statSync(mark).mtimeMs;
    expect(await lastUsed(t)).toBe(Math.floor(used));
    expect((await cli(t, ['delete', 'huggingface', 'token', '--yes'])).code).toBe(0);
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // The mark is still there (a delete does not remove it), older than the credential stored again.
    expect(statSync(mark).mtimeMs).toBe(used);
    expect(Number.isNaN(await lastUsed(t))).toBe(true);
    expect((await cli(t, ['list'])).stdout).toMatch(/huggingface +token +keychain +\S+ +\d{4}-\d\d-\d\d \d\d:\d\dZ +-\n/);
    // Read now, it is used now.
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    expect(Date.now() - (await lastUsed(t))).toBeLessThan(DAY_MS / 2);
  });
});
