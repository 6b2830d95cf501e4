// An outside pass over export, import and team identity. Each case is one a user met:
// - `export --to` and `team identity --export-identity` wrote into a folder another user owns, even through a link
//   they planted there (migration refuses its backup folder for that; these said nothing);
// - `import` into a locked vault file with no terminal ran the export's seconds of scrypt before saying VAULT_LOCKED;
// - `team identity --from-export` (moving to a new machine) told a user who was already a member to send their key
//   to a member, who would have answered "that key already belongs to member you".
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExport } from '../../shared/core/vault-export';
import { writeExportFile } from '../../shared/node/secrets/export-file';
import { cli, keychainValues } from '../helpers/cli';
import { fileCli, makeFileVaultHome } from '../helpers/file-vault';
import { theirFolder, theirLink } from '../helpers/planted';
import { makeTempHome, type TempHome } from '../helpers/temp';

const EXPORT_PASS = 'export file passphrase';
const TMDB = '0123456789abcdef0123456789abcdef';

/** A 0600 passphrase file for export and --export-identity in `t`. */
function passFile(t: TempHome): string {
  const path = join(t.root, 'export-pass');
  writeFileSync(path, `${EXPORT_PASS}\n`, { mode: 0o600 });
  return path;
}

describe.runIf(process.getuid?.() === 0)('export and --export-identity refuse a folder another user controls, as migration does', () => {
  it('export --to into another user\'s folder: refused before the scrypt, the fix names --to, nothing written', async () => {
    const t = makeTempHome();
    const theirs = theirFolder(t.root);
    const r = await cli(t, ['export', '--to', join(theirs, 'vault.age'), '--passphrase-file', passFile(t)]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${theirs} is a folder of another user (uid 65534); refusing to write in it.`);
    expect(r.stderr).toContain('fix: Nothing was written: another user could rename, replace or remove the file there; give a path in a folder of your own with --to FILE');
    expect(r.stderr).not.toContain('--profile PATH');
    expect(r.stderr).not.toContain('Encrypting');
    expect(readdirSync(theirs)).toEqual([]);
  }, 60_000);

  it('export --to through a link another user planted: refused, and the folder it leads to stays empty', async () => {
    const t = makeTempHome();
    const link = join(t.cwd, 'backups');
    const target = theirLink(link, join(t.root, 'target'));
    const r = await cli(t, ['export', '--to', 'backups/vault.age', '--passphrase-file', passFile(t)]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${link} is a symbolic link of another user (uid 65534); refusing to write in it.`);
    expect(r.stderr).toContain('with --to FILE');
    expect(readdirSync(target)).toEqual([]);
  }, 60_000);

  it('--export-identity into another user\'s folder: refused before an identity is created, the fix names --export-identity', async () => {
    const t = makeTempHome();
    const theirs = theirFolder(t.root);
    const r = await cli(t, ['team', 'identity', '--export-identity', join(theirs, 'identity.age'), '--passphrase-file', passFile(t)]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${theirs} is a folder of another user (uid 65534); refusing to write in it.`);
    expect(r.stderr).toContain('give a path in a folder of your own with --export-identity FILE');
    expect(readdirSync(theirs)).toEqual([]);
    // Nothing was made for a backup that could not be written: the next plain run is the first use.
    const first = await cli(t, ['team', 'identity']);
    expect(first.stderr).toContain('Created a team identity');
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  }, 60_000);

  it('a folder of one\'s own that others can write (no sticky bit): refused, the fix names --to, then the chmod', async () => {
    const t = makeTempHome();
    const open = join(t.root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await cli(t, ['export', '--to', join(open, 'vault.age'), '--passphrase-file', passFile(t)]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${open} can be written by other users and has no sticky bit (mode 0777)`);
    expect(r.stderr).toContain(`fix: Nothing was written: another user could rename, replace or remove the file there; give a path in a folder of your own with --to FILE (mkdir -m 700 DIR first). Or, as its owner: chmod o-w,g-w ${open} (or chmod +t ${open})`);
    expect(readdirSync(open)).toEqual([]);
  }, 60_000);

  it('a folder of one\'s own and a sticky shared folder (like /tmp) still take the export', async () => {
    const t = makeTempHome();
    const pass = passFile(t);
    const sticky = join(t.root, 'shared');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777); // mkdir's mode is masked by the umask
    for (const dir of [t.cwd, sticky]) {
      const r = await cli(t, ['export', '--to', join(dir, 'vault.age'), '--passphrase-file', pass]);
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(dir)).toContain('vault.age');
    }
  }, 120_000);
});

describe('import into a locked vault file with no terminal', () => {
  it('says VAULT_LOCKED before decrypting the export (no seconds of scrypt), and the vault file is unchanged', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const file = join(h.root, 'export.age');
    await writeExportFile(file, buildExport([{ id: 'tmdb.api_key', value: TMDB }], new Date()), EXPORT_PASS, { logN: 10 });
    const before = readFileSync(h.files.vault);
    const r = await fileCli(h, ['import', file, '--passphrase-fd', '3', '--yes'], { fd3: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('The vault file is locked: no unlock agent is running. Only a cpw-vault command run from a terminal asks for the passphrase;');
    expect(r.stderr).toContain('cpw-vault unlock');
    expect(r.stderr).not.toContain('Decrypting the export');
    expect(readFileSync(h.files.vault).equals(before)).toBe(true);
    // Unlocked, the same import goes through: the check stops only a vault that cannot be opened.
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    try {
      const ok = await fileCli(h, ['import', file, '--passphrase-fd', '3', '--yes'], { fd3: EXPORT_PASS });
      expect(ok.code, ok.stderr).toBe(0);
      expect((await fileCli(h, ['get', 'tmdb', 'api_key'])).stdout).toBe(TMDB);
    } finally {
      await fileCli(h, ['lock']);
    }
  }, 60_000);
});

describe('team identity --from-export by a user who is already a member', () => {
  /** The stored team identity's secret key, read from the keychain (to build a fast export holding it). */
  async function storedIdentity(t: TempHome): Promise<string> {
    const values = Object.values(await keychainValues(t));
    const key = values.find((v) => v.startsWith('AGE-SECRET-KEY-'));
    expect(key).toBeDefined();
    return key!;
  }

  /** Restores the identity from `file` after removing the stored one, as on a new machine. */
  async function restore(t: TempHome, file: string, extra: string[] = []) {
    expect((await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes'])).code).toBe(0);
    const r = await cli(t, ['team', 'identity', '--from-export', file, '--passphrase-fd', '0', ...extra], { input: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(0);
    return r;
  }

  it('says it is a member and to pull (of the team file here, or the one given), not to send the key to a member', async () => {
    const t = makeTempHome();
    const recipient = (await cli(t, ['team', 'identity'])).stdout.trim();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    expect((await cli(t, ['team', 'init', '--add', 'tmdb.api_key', '--name', 'alice'])).code).toBe(0);
    const file = join(t.root, 'export.age');
    await writeExportFile(file, buildExport([{ id: 'cpw-vault.team_identity', value: await storedIdentity(t) }], new Date()), EXPORT_PASS, { logN: 10 });

    // A member asking for their identity again (a plain `team identity`) is told the same, not to send it.
    const again = await cli(t, ['team', 'identity']);
    expect([again.code, again.stdout.trim()]).toEqual([0, recipient]);
    expect(again.stderr).toContain(`You are already a member of ${join(t.cwd, 'cpw-team.age')} (as alice): nothing to send; take its keys with: cpw-vault team pull\n`);

    const here = await restore(t, file);
    expect(here.stdout.trim()).toBe(recipient);
    expect(here.stderr).toContain(`You are already a member of ${join(t.cwd, 'cpw-team.age')} (as alice): nothing to send; take its keys with: cpw-vault team pull\n`);
    expect(here.stderr).not.toContain('Send the age1... line');

    // A team file elsewhere, named with --file: the pull line names it too.
    mkdirSync(join(t.cwd, 'pipelines'));
    expect((await cli(t, ['team', 'init', '--add', 'tmdb.api_key', '--name', 'alice', '--file', 'pipelines/cpw-team.age'])).code).toBe(0);
    const given = await restore(t, file, ['--file', 'pipelines/cpw-team.age']);
    expect(given.stderr).toContain(`cpw-vault team pull --file ${join(t.cwd, 'pipelines', 'cpw-team.age')}`);

    // No team file where it looks: the key is to be sent, as before.
    mkdirSync(join(t.cwd, 'elsewhere'));
    const none = await restore(t, file, ['--file', 'elsewhere/cpw-team.age']);
    expect(none.stderr).toContain(`Send the age1... line to a member, who runs: cpw-vault team add <you> ${recipient}`);
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
    await cli(t, ['delete', 'tmdb', 'api_key', '--yes']);
  }, 120_000);
});
