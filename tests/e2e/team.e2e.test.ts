import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextDocument } from '../../shared/core/team-document';
import { readTeamFile, teamFilesFor, updateTeamFile } from '../../shared/node/team/team-file';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { WAIT, check, goTo, lookup, printTimings, session } from './steps';

const HF = `hf_${'TeamE2E'.repeat(5)}`;
const TMDB = '5eed5eed5eed5eed5eed5eed5eed5eed';
const MINE = 'mine-value-aaaaaaaaaaaaaaaaaaaa';
const THEIRS = 'team-value-bbbbbbbbbbbbbbbbbbbb';
const MINE_TMDB = 'feedfeedfeedfeedfeedfeedfeedfeed';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('team');
});

describe('the Team section in a real browser', () => {
  it('open a team file from main\'s dialog: not a recipient, create my key, added by alice, plan first (an env var the team\'s key cannot have said in it), pull into the keychain; a planted team identity warned of, and a push that removes it says so', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    await cli(t, ['set', 'mine', 'token', '--env-var', 'MY_TOKEN'], { input: MINE });
    const file = join(t.cwd, 'cpw-team.age');
    const alice = await generateX25519Identity();
    const aliceR = await identityToRecipient(alice);
    await updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, [{ name: 'alice', recipient: aliceR }], [{ id: 'tmdb.api_key', value: TMDB, meta: { updated_at: '', updated_by: 'alice' } }, { id: 'team.token', value: THEIRS, meta: { updated_at: '', updated_by: 'alice', env_var: 'MY_TOKEN' } }], new Date()));
    const { page, close } = await session(browser, t, { team: file });
    try {
      await goTo(page, 'Team');
      await page.getByRole('button', { name: 'Open a team file…' }).click();
      await page.getByText('You are not a recipient of this team file.').waitFor(WAIT).catch(async (err: unknown) => {
        throw new Error(`${String(err)}\nscreen: ${await page.locator('body').innerText()}`);
      });
      expect(await page.getByRole('table', { name: 'Members' }).textContent()).toContain('alice');
      await check(page, 'team-not-recipient');
      await page.getByRole('button', { name: 'Create my team key' }).click();
      const mine = (await page.getByLabel('Your team key', { exact: true }).textContent())!;
      expect(mine).toMatch(/^age1[a-z0-9]{58}$/);
      expect(lookup(t, 'cpw-vault.team_identity')).toMatch(/^AGE-SECRET-KEY-1/);

      // alice adds the key the page showed, as `cpw-vault team add me age1...` does.
      await updateTeamFile(teamFilesFor(file), async () => {
        const doc = await readTeamFile(file, alice, aliceR);
        return nextDocument(doc, [...doc.members, { name: 'me', recipient: mine }], doc.credentials, new Date());
      });
      await page.getByRole('button', { name: 'Open another team file…' }).click();
      await page.getByText('You are a recipient (as me).').waitFor(WAIT);
      expect(await page.getByRole('table', { name: 'Keys shared' }).textContent()).toContain('tmdb.api_keynot in your vault');
      await page.getByRole('button', { name: 'Pull…' }).click();
      const plan = page.getByRole('table', { name: 'Plan' });
      await plan.waitFor(WAIT);
      expect(await plan.textContent()).toContain('tmdb.api_keyimport');
      // Seen before anything is written, not only in main's log: the name belongs to the user's own credential.
      expect(await plan.textContent()).toContain('team.token is stored with the env var CUSTOM_TEAM_TOKEN: MY_TOKEN already belongs to mine.token.');
      expect(await page.content()).not.toContain(TMDB);
      await check(page, 'team-pull-plan');
      expect(lookup(t, 'tmdb.api_key')).toBe('');
      await page.getByRole('button', { name: 'Pull 2 credentials' }).click();
      await page.getByText('Pulled 2 credentials into your vault.').waitFor(WAIT);
      expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
      const meta = (JSON.parse(readFileSync(t.profile, 'utf8')) as { credential_metadata: Record<string, { env_var?: string }> }).credential_metadata;
      expect([meta['mine.token']?.env_var, meta['team.token']?.env_var]).toEqual(['MY_TOKEN', 'CUSTOM_TEAM_TOKEN']);
      await page.getByRole('table', { name: 'Keys shared' }).getByRole('row').filter({ hasText: 'tmdb.api_key' }).getByText('same as yours').waitFor(WAIT);

      // Someone with write access plants a team identity: the Team section warns of it, and a push that rewrites the file removes it and says so.
      const planted = await generateX25519Identity();
      await updateTeamFile(teamFilesFor(file), async () => {
        const doc = await readTeamFile(file, alice, aliceR);
        return nextDocument(doc, doc.members, [...doc.credentials, { id: 'cpw-vault.team_identity', value: planted, meta: { updated_at: '' } }], new Date());
      });
      await page.getByRole('button', { name: 'Open another team file…' }).click();
      await page.getByText(/A team identity planted in the team file/).waitFor(WAIT);
      await cli(t, ['set', 'tmdb', 'api_key'], { input: MINE_TMDB });
      await page.getByRole('button', { name: 'Push my values' }).click();
      await page.getByText(`Removed 1 planted cpw-vault.team_identity row (credential 1) from the team file: cpw-vault never writes one; see who added it: git log -- ${file}`).waitFor(WAIT);
      expect(await page.content()).not.toContain(planted);
      const after = await readTeamFile(file, alice, aliceR);
      expect([after.planted, after.credentials.find((c) => c.id === 'tmdb.api_key')?.value]).toEqual([undefined, MINE_TMDB]);
    } finally {
      await close();
    }
  }, 120_000);
});
