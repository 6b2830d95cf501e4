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
      const unknown = await m.call(method, { handle: 'a'.repeat(32) });
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
    const denied = await m.call('teamPull', { handle: ref.handle });
    expect(denied.ok === false && denied.error.code).toBe('TEAM_NOT_RECIPIENT');

    await updateTeamFile(teamFilesFor(file), async () => {
      const doc = await readTeamFile(file, alice, aliceR);
      return nextDocument(doc, [...doc.members, { name: 'me', recipient }], doc.credentials, new Date());
    });
    view = await m.value<TeamView>('teamStatus', { handle: ref.handle });
    expect(view).toMatchObject({ recipient: true, member: 'me', keys: [{ id: 'tmdb.api_key', local: 'absent', updated_by: 'alice' }] });
    expect(JSON.stringify(view)).not.toContain(TMDB);
    const plan = await m.value<MigrationPlan>('teamPullPlan', { handle: ref.handle });
    expect(plan.rows.map((r) => [r.target, r.action])).toEqual([['tmdb.api_key', 'import']]);
    expect(JSON.stringify(plan)).not.toContain(TMDB);
    expect(await m.value('teamPull', { handle: ref.handle })).toEqual({ ok: true, imported: 1 });
    expect((await m.vault.getCredential('tmdb', 'api_key')).value).toBe(TMDB);

    await m.vault.setCredential('tmdb', 'api_key', 'fedcbafedcbafedcbafedcbafedcba98');
    expect(await m.value('teamPush', { handle: ref.handle })).toEqual({ updated: ['tmdb.api_key'] });
    expect((await readTeamFile(file, alice, aliceR)).credentials[0]).toMatchObject({ value: 'fedcbafedcbafedcbafedcbafedcba98', meta: { updated_by: 'me' } });
    // A recipients list edited by hand: shown as a warning, and push refuses.
    writeFileSync(`${file}.recipients`, readFileSync(`${file}.recipients`, 'utf8').replace(/# me\nage1\S+\n/, ''));
    expect((await m.value<TeamView>('teamStatus', { handle: ref.handle })).warning).toContain('disagree');
    const refused = await m.call('teamPush', { handle: ref.handle });
    expect(refused.ok === false && refused.error.code).toBe('TEAM_MISMATCH');
  });
});
