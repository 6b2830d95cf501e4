// The team file's place is checked by path, then the file is opened: another user who plants a link on the path in
// between must not get the opened file read. The plant is made to happen exactly there (openSync is wrapped to let
// nobody act first), so the test does not depend on winning a race.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nextDocument } from '../../shared/core/team-document';
import { readTeamFile, teamFilesFor, updateTeamFile } from '../../shared/node/team/team-file';
import { NOBODY } from '../helpers/planted';

const hook = vi.hoisted(() => ({ path: '', plant: undefined as (() => void) | undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = ((...args: Parameters<typeof fs.openSync>) => {
    const plant = hook.plant;
    if (plant && args[0] === hook.path) {
      hook.plant = undefined;
      plant();
    }
    return fs.openSync(...args);
  }) as typeof fs.openSync;
  return { ...fs, openSync, default: { ...fs, openSync } };
});

const THEIRS = 'fedcbafedcbafedcbafedcbafedcba98';
const OLD = '0123456789abcdef0123456789abcdef';

/** `ln -s target link`, run as nobody. */
function linkAsNobody(target: string, link: string): void {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'ln', '-s', target, link], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

describe.runIf(process.getuid?.() === 0)('a team file swapped between the check of its place and its open', () => {
  let base: string;
  let alice: string;
  let aliceR: string;

  /** A team file for alice holding tmdb.api_key = `value`, in a new folder `name` of base's, owned by `uid`. */
  async function teamFileIn(name: string, value: string, uid: number): Promise<string> {
    const dir = join(base, name);
    mkdirSync(dir, { mode: 0o755 });
    const files = teamFilesFor(join(dir, 'cpw-team.age'));
    await updateTeamFile(files, async () => nextDocument(undefined, [{ name: 'alice', recipient: aliceR }], [{ id: 'tmdb.api_key', value, meta: { updated_at: '' } }], new Date()));
    for (const p of [dir, files.file, files.recipients]) chownSync(p, uid, uid);
    return dir;
  }

  beforeAll(async () => {
    // Under /tmp, reachable by nobody (the test root is root's own 0700 folder), with a sticky shared folder like /tmp.
    base = mkdtempSync('/tmp/cpw-team-swap-');
    chmodSync(base, 0o755);
    mkdirSync(join(base, 'shared'));
    chmodSync(join(base, 'shared'), 0o1777);
    alice = await generateX25519Identity();
    aliceR = await identityToRecipient(alice);
  });

  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('refuses another user\'s team file reached through a link they planted after the check: nothing of it is read', async () => {
    const theirs = await teamFileIn('theirs', THEIRS, NOBODY);
    const file = join(base, 'shared', 'repo1', 'cpw-team.age');
    Object.assign(hook, { path: file, plant: () => linkAsNobody(theirs, join(base, 'shared', 'repo1')) });
    const read = readTeamFile(file, alice, aliceR);
    await expect(read).rejects.toMatchObject({ code: 'PROFILE_PERMISSIONS', message: expect.stringContaining(`Refusing the team file ${file}: it belongs to another user (uid ${NOBODY})`) });
    expect(hook.plant).toBeUndefined(); // the plant did happen between the check and the open
  });

  it('refuses a file of the user\'s own that a planted link put in place of the one checked (an old copy, replayed)', async () => {
    const old = await teamFileIn('old', OLD, 0);
    const file = join(base, 'shared', 'repo2', 'cpw-team.age');
    Object.assign(hook, { path: file, plant: () => linkAsNobody(old, join(base, 'shared', 'repo2')) });
    const read = readTeamFile(file, alice, aliceR);
    await expect(read).rejects.toMatchObject({ code: 'PROFILE_PERMISSIONS', message: expect.stringContaining(`Refusing the team file ${file}: the file opened is not the one whose place was checked`) });
    expect(hook.plant).toBeUndefined();
  });
});
