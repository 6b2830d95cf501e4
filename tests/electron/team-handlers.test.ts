import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import { nextDocument } from '../../shared/core/team-document';
import type { MigrationPlan } from '../../shared/core/migration-plan';
import type { TeamFileRef } from '../../shared/core/ipc-contract';
import type { TeamView } from '../../shared/core/team-view';
import { readTeamFile, teamFilesFor, updateTeamFile } from '../../shared/node/team/team-file';
import { setupMain } from './main-setup';

const TMDB = 'abcdefabcdefabcdefabcdefabcdef12';
const HOSTILE: unknown[][] = [
  [], [null], ['/etc/passwd'], [{ handle: '../../etc/passwd' }], [{ handle: 'f'.repeat(32), path: '/etc/passwd' }],
  [{ handle: 'F'.repeat(32) }], [{ handle: 'f'.repeat(31) }], [{ handle: 42 }], [{ handle: 'f'.repeat(32) }, 'extra'], [{ handle: 'x'.repeat(1 << 20) }],
];

describe('team channels in main', () => {
  const closers: Array<() => void> = [];
  afterEach(() => closers.splice(0).forEach((c) => c()));

  it('refuse hostile arguments and handles main never minted, before touching any file', async () => {
    const m = await setupMain();
    closers.push(() => m.vault.close());
    for (const method of ['teamStatus', 'teamPullPlan', 'teamPull', 'teamPush'] as const) {
      for (const args of HOSTILE) {
        const r = await m.call(method, ...args);
        expect(r.ok, `${method} ${JSON.stringify(args).slice(0, 60)}`).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('INVALID_ARGUMENT');
      }
      const unknown = await m.call(method, { handle: 'a'.repeat(32), ...(method === 'teamPull' ? { reviewed: 'f'.repeat(64) } : {}) });
      expect(unknown.ok).toBe(false);
      if (!unknown.ok) expect(unknown.error.message).toContain('not one cpw-vault offered');
    }
    expect((await m.call('teamPickFile', '/etc/passwd')).ok).toBe(false);
    expect((await m.call('teamIdentity', { create: true })).ok).toBe(false);
    expect((await m.ipc.teamStatus({ senderFrame: { url: 'https://evil.example/' } }, { handle: 'a'.repeat(32) })).ok).toBe(false);
  });

  it('three team-key requests at once (a double click, a looping page) create one key: every caller gets the one that is stored', async () => {
    const m = await setupMain();
    closers.push(() => m.vault.close());
    const answers = await Promise.all([1, 2, 3].map(() => m.value<{ recipient: string }>('teamIdentity')));
    const stored = await m.value<{ recipient: string }>('teamIdentity');
    expect(answers.map((a) => a.recipient)).toEqual([stored.recipient, stored.recipient, stored.recipient]);
  });

  // Two pulls of one reviewed plan at once (a double click): both planned against the vault before either wrote, so the
  // second was refused "changed since the plan was made" for a pull that worked. Queued, it finds the keys stored.
  it('one reviewed pull pressed twice at once (a double click): one run imports, the other finds it stored, no error', async () => {
    const m = await setupMain();
    closers.push(() => m.vault.close());
    const file = join(m.t.cwd, 'cpw-team.age');
    const { recipient } = await m.value<{ recipient: string }>('teamIdentity');
    const members = [{ name: 'alice', recipient: await identityToRecipient(await generateX25519Identity()) }, { name: 'me', recipient }];
    const credentials = [{ id: 'tmdb.api_key', value: TMDB }, { id: 'huggingface.token', value: `hf_${'a'.repeat(34)}` }];
    await updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, members, credentials.map((c) => ({ ...c, meta: { updated_at: '', updated_by: 'alice' } })), new Date()));
    m.answers.team = file;
    const ref = await m.value<TeamFileRef>('teamPickFile');
    const { reviewed } = await m.value<{ reviewed: string }>('teamPullPlan', { handle: ref.handle });
    const both = await Promise.all([1, 2].map(() => m.call('teamPull', { handle: ref.handle, reviewed })));
    expect(both.map((r) => (r.ok ? r.value : `${r.error.code} ${r.error.message}`))).toEqual([{ ok: true, imported: 2 }, { ok: true, imported: 0 }]);
    expect((await m.vault.getCredential('tmdb', 'api_key')).value).toBe(TMDB);
  });

  it('a file chosen in main\'s dialog: not a recipient until added (names shown, never values); then pull with the plan first, and push', async () => {
    const m = await setupMain();
    closers.push(() => m.vault.close());
    const file = join(m.t.cwd, 'cpw-team.age');
    const alice = await generateX25519Identity();
    const aliceR = await identityToRecipient(alice);
    await updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, [{ name: 'alice', recipient: aliceR }], [{ id: 'tmdb.api_key', value: TMDB, meta: { updated_at: '', updated_by: 'alice' } }], new Date()));
    expect(await m.value('teamPickFile')).toBeNull(); // the dialog was cancelled
    m.answers.team = file;
    const ref = await m.value<TeamFileRef>('teamPickFile');
    expect(ref.path).toBe(file);
    expect(ref.handle).toMatch(/^[0-9a-f]{32}$/);

    let view = await m.value<TeamView>('teamStatus', { handle: ref.handle });
    expect(view).toMatchObject({ recipient: false, you: null, members: [{ name: 'alice', recipient: aliceR }], keys: [] });
    const { recipient } = await m.value<{ recipient: string }>('teamIdentity');
    view = await m.value<TeamView>('teamStatus', { handle: ref.handle });
    expect(view.you).toBe(recipient);
    expect(view.fix).toContain(`cpw-vault team add <you> ${recipient}`);
    const denied = await m.call('teamPull', { handle: ref.handle, reviewed: 'f'.repeat(64) });
    expect(denied.ok === false && denied.error.code).toBe('TEAM_NOT_RECIPIENT');

    await updateTeamFile(teamFilesFor(file), async () => {
      const doc = await readTeamFile(file, alice, aliceR);
      return nextDocument(doc, [...doc.members, { name: 'me', recipient }], doc.credentials, new Date());
    });
    view = await m.value<TeamView>('teamStatus', { handle: ref.handle });
    expect(view).toMatchObject({ recipient: true, member: 'me', keys: [{ id: 'tmdb.api_key', local: 'absent', updated_by: 'alice' }] });
    expect(JSON.stringify(view)).not.toContain(TMDB);
    const { plan, reviewed } = await m.value<{ plan: MigrationPlan; reviewed: string }>('teamPullPlan', { handle: ref.handle });
    expect(plan.rows.map((r) => [r.target, r.action])).toEqual([['tmdb.api_key', 'import']]);
    expect(JSON.stringify({ plan, reviewed })).not.toContain(TMDB);
    expect(reviewed).toMatch(/^[0-9a-f]{64}$/);
    // A pull names the plan it shows; without it, or with a made-up one, nothing is written.
    for (const bad of [{ handle: ref.handle }, { handle: ref.handle, reviewed: 'f'.repeat(64) }]) {
      const r = await m.call('teamPull', bad);
      expect(r.ok === false && r.error.code).toBe('INVALID_ARGUMENT');
    }
    expect(await m.vault.findCredential('tmdb', 'api_key')).toBeUndefined();
    expect(await m.value('teamPull', { handle: ref.handle, reviewed })).toEqual({ ok: true, imported: 1 });
    expect((await m.vault.getCredential('tmdb', 'api_key')).value).toBe(TMDB);

    await m.vault.setCredential('tmdb', 'api_key', 'fedcbafedcbafedcbafedcbafedcba98');
    expect(await m.value('teamPush', { handle: ref.handle })).toEqual({ updated: ['tmdb.api_key'], unchanged: [], kept: [], withheld: [], to_rotate: [], planted: [] });
    expect((await readTeamFile(file, alice, aliceR)).credentials[0]).toMatchObject({ value: 'fedcbafedcbafedcbafedcbafedcba98', meta: { updated_by: 'me' } });
    // A recipients list edited by hand: shown as a warning, and push refuses.
    writeFileSync(`${file}.recipients`, readFileSync(`${file}.recipients`, 'utf8').replace(/# me\nage1\S+\n/, ''));
    expect((await m.value<TeamView>('teamStatus', { handle: ref.handle })).warning).toContain('disagree');
    const refused = await m.call('teamPush', { handle: ref.handle });
    expect(refused.ok === false && refused.error.code).toBe('TEAM_MISMATCH');
    // alice's key under a second name (a file team add did not write): warned of, as team status does.
    await updateTeamFile(teamFilesFor(file), async () => {
      const doc = await readTeamFile(file, alice, aliceR);
      return nextDocument(doc, [...doc.members, { name: 'al', recipient: aliceR }], doc.credentials, new Date());
    });
    expect((await m.value<TeamView>('teamStatus', { handle: ref.handle })).warning).toContain(`Members al and alice of ${file} have the same age key (${aliceR}), which team add refuses`);
    // The user's own key under a second name: the user is both. A third name the list alone gives alice's key: warned of too.
    await updateTeamFile(teamFilesFor(file), async () => {
      const doc = await readTeamFile(file, alice, aliceR);
      return nextDocument(doc, [...doc.members, { name: 'mine', recipient }], doc.credentials, new Date());
    });
    writeFileSync(`${file}.recipients`, `${readFileSync(`${file}.recipients`, 'utf8')}# ally\n${aliceR}\n`);
    view = await m.value<TeamView>('teamStatus', { handle: ref.handle });
    expect(view.member).toBe('me and mine');
    expect(view.warning).toContain(`Members al, alice and ally of ${file}.recipients have the same age key (${aliceR}), which team add refuses: a name is only a label on a key; the team file has it as al and alice`);
  });

  it('a teammate\'s file is untrusted: a pull writes only the plan shown, and a push never sends a personal key the file names', async () => {
    const m = await setupMain();
    closers.push(() => m.vault.close());
    const file = join(m.t.cwd, 'cpw-team.age');
    const alice = await generateX25519Identity();
    const aliceR = await identityToRecipient(alice);
    const { recipient } = await m.value<{ recipient: string }>('teamIdentity');
    const members = [{ name: 'alice', recipient: aliceR }, { name: 'me', recipient }];
    const write = (credentials: Array<{ id: string; value: string; env?: string }>) =>
      updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, members, credentials.map((c) => ({ id: c.id, value: c.value, meta: { updated_at: '', updated_by: 'alice', ...(c.env ? { env_var: c.env } : {}) } })), new Date()));
    await write([{ id: 'tmdb.api_key', value: TMDB }]);
    m.answers.team = file;
    const ref = await m.value<TeamFileRef>('teamPickFile');
    // The plan shown: tmdb only. Then the file is replaced (git pull, a teammate's push) before the user presses Pull.
    const shown = await m.value<{ plan: MigrationPlan; reviewed: string }>('teamPullPlan', { handle: ref.handle });
    expect(shown.plan.rows.map((r) => r.target)).toEqual(['tmdb.api_key']);
    await write([{ id: 'tmdb.api_key', value: 'another-value-0123456789abcdef01' }, { id: 'evil.thing', value: 'planted-value-0123456789', env: 'LESSOPEN' }]);
    const changed = await m.call('teamPull', { handle: ref.handle, reviewed: shown.reviewed });
    expect(changed.ok === false && changed.error.message).toContain('changed since its plan was shown');
    expect(await m.vault.findCredential('tmdb', 'api_key')).toBeUndefined();
    expect(m.vault.listCredentials().some((c) => c.id === 'evil.thing')).toBe(false);
    await write([{ id: 'tmdb.api_key', value: TMDB }]);
    const again = await m.value<{ reviewed: string }>('teamPullPlan', { handle: ref.handle });
    expect(await m.value('teamPull', { handle: ref.handle, reviewed: again.reviewed })).toEqual({ ok: true, imported: 1 });

    // The user's own OpenAI key, never shared. alice names it in the file; the user rotates the team's TMDB key and pushes.
    const personal = `sk-proj-${'Personal1'.repeat(5)}`;
    await m.vault.setCredential('openai', 'api_key', personal);
    await write([{ id: 'tmdb.api_key', value: TMDB }, { id: 'openai.api_key', value: 'x' }]);
    await m.vault.setCredential('tmdb', 'api_key', 'fedcbafedcbafedcbafedcbafedcba98');
    expect(await m.value('teamPush', { handle: ref.handle })).toMatchObject({ updated: ['tmdb.api_key'], withheld: ['openai.api_key'] });
    const doc = await readTeamFile(file, alice, aliceR);
    expect(JSON.stringify(doc)).not.toContain(personal);
    expect(doc.credentials.find((c) => c.id === 'openai.api_key')?.value).toBe('x');
    expect(doc.credentials.find((c) => c.id === 'tmdb.api_key')?.value).toBe('fedcbafedcbafedcbafedcbafedcba98');

    // A team identity planted in the file: the Team section warns of it (never its value), as team status does.
    const planted = await generateX25519Identity();
    await write([{ id: 'tmdb.api_key', value: TMDB }, { id: 'cpw-vault.team_identity', value: planted }]);
    const view = await m.value<TeamView>('teamStatus', { handle: ref.handle });
    expect(view.warning).toContain('A team identity planted in the team file (credential 1; cpw-vault never puts one there): not taken');
    expect(view.keys.map((k) => k.id)).toEqual(['tmdb.api_key']);
    expect(JSON.stringify(view)).not.toContain(planted);
    // A push that writes nothing leaves the row, and says nothing of it; one that writes removes it and says which (never its value).
    await m.vault.setCredential('tmdb', 'api_key', TMDB);
    const unchanged = await m.value<Record<string, unknown>>('teamPush', { handle: ref.handle });
    expect(unchanged).toMatchObject({ updated: [], unchanged: ['tmdb.api_key'], planted: [] });
    expect((await readTeamFile(file, alice, aliceR)).planted).toHaveLength(1);
    await m.vault.setCredential('tmdb', 'api_key', 'fedcbafedcbafedcbafedcbafedcba98');
    const pushed = await m.value<Record<string, unknown>>('teamPush', { handle: ref.handle });
    expect(pushed).toEqual({ updated: ['tmdb.api_key'], unchanged: [], kept: [], withheld: [], to_rotate: [], planted: [{ id: 'cpw-vault.team_identity', row: 1, own: false }] });
    expect(JSON.stringify(pushed)).not.toContain(planted);
    const after = await readTeamFile(file, alice, aliceR);
    expect(after.planted).toBeUndefined();
    expect(after.credentials.map((c) => c.id)).toEqual(['tmdb.api_key']);
  });
});
