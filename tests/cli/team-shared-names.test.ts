import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextDocument } from '../../shared/core/team-document';
import { teamFilesFor, updateTeamFile } from '../../shared/node/team/team-file';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

/** age-keygen into `path` (0600), returning the public key. */
function keygen(path: string): string {
  execFileSync('age-keygen', ['-o', path], { stdio: 'ignore' });
  chmodSync(path, 0o600);
  return execFileSync('age-keygen', ['-y', path], { encoding: 'utf8' }).trim();
}

/** A team file of `members` (each name -> the key file of that name, or of `keyOf[name]`), written as team add would; run as alice. */
async function team(names: string[], keyOf: Record<string, string> = {}) {
  const t = makeTempHome();
  const keys = new Map<string, string>();
  const recipient = (n: string) => keys.get(n) ?? (keys.set(n, keygen(join(t.root, `${n}.key`))), keys.get(n)!);
  const members = names.map((name) => ({ name, recipient: recipient(keyOf[name] ?? name) }));
  const file = join(t.cwd, 'cpw-team.age');
  await updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, members, [], new Date()));
  const run = (args: string[]) => cli(t, [...args, '--identity-file', join(t.root, 'alice.key')]);
  return { file, run, recipient };
}

describe('one age key under two member names', () => {
  it('team status names every name of your own key as you, not the first alone', async () => {
    const s = await team(['al', 'alice', 'carol'], { al: 'alice' });
    const text = await s.run(['team', 'status']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('you are a recipient (as al and alice)');
    expect(text.stdout).toMatch(/^al \(you\) /m);
    expect(text.stdout).toMatch(/^alice \(you\) /m);
    expect(text.stdout).not.toMatch(/^carol \(you\)/m);
    const json = await s.run(['team', 'status', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ you: 'al', your_names: ['al', 'alice'], shared_keys: [{ recipient: s.recipient('alice'), members: ['al', 'alice'] }], recipients_shared_keys: [] });
    // The list names the key as the team file does: one warning, the team file's, not the same said twice.
    expect(json.stderr.match(/same age key/g)).toHaveLength(1);
  }, 60_000);

  it('a recipients list that gives a key a second name by hand is warned of (stderr and --json) until the list is rewritten', async () => {
    const s = await team(['alice', 'carol']);
    const list = `${s.file}.recipients`;
    writeFileSync(list, `${readFileSync(list, 'utf8')}# caroline\n${s.recipient('carol')}\n`);
    const warning = `warning: members carol and caroline of ${list} have the same age key (${s.recipient('carol')}), which team add refuses: a name is only a label on a key; the team file has it as carol, and cpw-vault team remove carol revokes it under every name (cpw-vault team recipients --write rewrites the list from the team file)`;
    for (const args of [['team', 'status'], ['team', 'rotate-reminder'], ['team', 'recipients']]) {
      const r = await s.run([...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, args.join(' ')).toContain(warning);
      expect(JSON.parse(r.stdout), args.join(' ')).toMatchObject({ recipients_shared_keys: [{ recipient: s.recipient('carol'), members: ['carol', 'caroline'] }], shared_keys: [], recipients_mismatch: null });
    }
    expect((await s.run(['team', 'recipients', '--write'])).code).toBe(0);
    const after = await s.run(['team', 'status', '--json']);
    expect(after.stderr).not.toContain('same age key');
    expect(JSON.parse(after.stdout)).toMatchObject({ recipients_shared_keys: [], shared_keys: [] });
  }, 60_000);

  it('a recipients list naming a member twice (a copied line pair, a union merge) warns of no shared key', async () => {
    const s = await team(['alice', 'carol']);
    const list = `${s.file}.recipients`;
    writeFileSync(list, `${readFileSync(list, 'utf8')}# carol\n${s.recipient('carol')}\n`);
    const json = await s.run(['team', 'status', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).not.toContain('same age key');
    expect(JSON.parse(json.stdout)).toMatchObject({ you: 'alice', your_names: ['alice'], shared_keys: [], recipients_shared_keys: [], recipients_mismatch: null });
  }, 60_000);
});
