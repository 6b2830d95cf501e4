import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it, onTestFinished } from 'vitest';
import { nextDocument, parseRecipients } from '../../shared/core/team-document';
import { ageBytesOf, readTeamFile, stanzaCount, teamFilesFor, updateTeamFile } from '../../shared/node/team/team-file';
import { cli } from '../helpers/cli';
import { LoopKiller } from '../helpers/kill-loop';
import { makeTempHome } from '../helpers/temp';

// Each kill spawns a bundled child (about 1 s of start-up on a busy machine): 60 keep the file within its budget.
const KILLS = 60;
const TMDB = '99998888777766665555444433332222';

/** Can `identity` decrypt the team file? */
async function opensFor(file: string, identity: string): Promise<boolean> {
  const d = new Decrypter();
  d.addIdentity(identity);
  try {
    await d.decrypt(ageBytesOf(readFileSync(file), file), 'text');
    return true;
  } catch {
    return false;
  }
}

describe('team add / remove under SIGKILL and Ctrl-C', () => {
  it(`${KILLS} SIGKILLs at random instants: the team file always opens for exactly the old or the new member set`, async () => {
    const t = makeTempHome();
    const file = join(t.cwd, 'cpw-team.age');
    const files = teamFilesFor(file);
    const alice = await generateX25519Identity();
    const carol = await generateX25519Identity();
    const member = { name: 'carol', recipient: await identityToRecipient(carol) };
    const aliceR = await identityToRecipient(alice);
    await updateTeamFile(files, async () => nextDocument(undefined, [{ name: 'alice', recipient: aliceR }], [{ id: 'tmdb.api_key', value: TMDB, meta: { updated_at: '' } }], new Date()));
    const stats = { withCarol: 0, without: 0, temps: 0, listLagging: 0 };
    let before = false;
    // One change takes ~60 ms here: a first guess, then learnt from the loops' own reports.
    const loops = new LoopKiller('team-loop', 60);
    onTestFinished(() => loops.close());
    for (let i = 0; i < KILLS; i++) {
      await loops.killMidRound({ file, identity: alice, member });
      const doc = await readTeamFile(file, alice, aliceR);
      const has = doc.members.some((m) => m.name === 'carol');
      // Exactly the set the document names: carol opens it iff she is listed, and one stanza per member.
      expect(await opensFor(file, carol), `after kill ${i + 1}`).toBe(has);
      expect(stanzaCount(ageBytesOf(readFileSync(file), file))).toBe(doc.members.length);
      expect(doc.credentials).toEqual([expect.objectContaining({ id: 'tmdb.api_key', value: TMDB })]);
      const listed = parseRecipients(readFileSync(files.recipients, 'utf8'), files.recipients).some((m) => m.name === 'carol');
      if (listed !== has) stats.listLagging++;
      if (readdirSync(t.cwd).some((n) => n.includes('.tmp-'))) stats.temps++;
      if (has) stats.withCarol++;
      else stats.without++;
      before = has;
    }
    console.log(`team kill test: ${KILLS} kills; afterwards carol a member ${stats.withCarol}x, not ${stats.without}x; temp file left ${stats.temps}x; recipients list one step behind ${stats.listLagging}x`);
    expect(stats.withCarol).toBeGreaterThan(0);
    expect(stats.without).toBeGreaterThan(0);
    // The next change cleans up what killed writers left, and brings the list in line.
    await updateTeamFile(files, async () => {
      const doc = await readTeamFile(file, alice, aliceR);
      return nextDocument(doc, doc.members, doc.credentials, new Date());
    });
    expect(readdirSync(t.cwd).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(parseRecipients(readFileSync(files.recipients, 'utf8'), files.recipients).some((m) => m.name === 'carol')).toBe(before);
  }, 400_000);

  it('Ctrl-C at random instants of team add: exit 130 "cancelled: nothing changed" with the old set, or done with the new one', async () => {
    const t = makeTempHome();
    const key = join(t.root, 'alice.key');
    const alice = await generateX25519Identity();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(key, `${alice}\n`, { mode: 0o600 });
    const file = join(t.cwd, 'cpw-team.age');
    await updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, [{ name: 'alice', recipient: await identityToRecipient(alice) }], [], new Date()));
    const outcomes = { cancelled: 0, done: 0, killedEarly: 0 };
    for (let i = 0; i < 10; i++) {
      const dave = await identityToRecipient(await generateX25519Identity());
      const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/cpw-vault.cjs'), 'team', 'add', `dave${i}`, dave, '--identity-file', key], { cwd: t.cwd, env: { ...process.env, HOME: t.home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let exited = false;
      const done = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => ((exited = true), r([c, s]))));
      // Mid-work: once it holds the team file's lock (it has started the change), at a random instant of the change.
      while (!exited && !existsSync(`${file}.lock`)) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      child.kill('SIGINT');
      const [code, signal] = await done;
      const doc = await readTeamFile(file, alice, await identityToRecipient(alice));
      const added = doc.members.some((m) => m.name === `dave${i}`);
      if (code === 130) {
        expect(stderr).toContain('cancelled: nothing changed');
        expect(added).toBe(false);
        outcomes.cancelled++;
      } else if (signal === 'SIGINT') {
        expect(added).toBe(false);
        outcomes.killedEarly++;
      } else {
        expect(code).toBe(0);
        expect(added).toBe(true);
        outcomes.done++;
      }
    }
    console.log(`team Ctrl-C test: cancelled ${outcomes.cancelled}x, finished ${outcomes.done}x, stopped before start-up ${outcomes.killedEarly}x`);
    expect(outcomes.cancelled).toBeGreaterThan(0);
    // A cancelled add can be run again: a stale lock or temp file is no obstacle.
    expect((await cli(t, ['team', 'add', 'zed', await identityToRecipient(await generateX25519Identity()), '--identity-file', key])).code).toBe(0);
  }, 300_000);
});
