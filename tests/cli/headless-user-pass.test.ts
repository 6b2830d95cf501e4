// A new user's pass on a host without a keychain (SSH to a GPU server, a container, CI), and a migration whose
// backup folder another user owns. Each fix line must be one the user can act on: the vault file offered by every
// command that finds no keychain (check, list and which said only "run from a desktop session"), and a refused
// backup folder pointing at --backup-dir (it said "Use a profile in a folder you own (--profile PATH)", which
// changes nothing about where the backup goes).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { theirFolder, theirLink } from '../helpers/planted';
import { makeTempHome, type TempHome } from '../helpers/temp';

const TMDB = 'abcdefabcdefabcdefabcdefabcdef12';
const NO_DBUS = { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined };

describe('no keychain on this host: every command that says so offers the vault file', () => {
  for (const args of [['check', 'subtitle'], ['list'], ['which', 'huggingface', 'token']]) {
    it(`${args[0]} names cpw-vault backend use file beside the desktop-session fix (exit 4)`, async () => {
      const t = makeTempHome();
      const r = await cli(t, args, { env: NO_DBUS });
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('KEYCHAIN_UNAVAILABLE');
      expect(r.stderr).toContain('fix: Run from a desktop session');
      expect(r.stderr).toContain('Or keep the secrets in an age-encrypted file beside the profile: cpw-vault backend use file');
    }, 60_000);
  }
});

/** A .env of the user's own holding one key, in `dir`. */
function envFile(dir: string): string {
  const path = join(dir, 'keys.env');
  writeFileSync(path, `TMDB_API_KEY=${TMDB}\n`, { mode: 0o600 });
  return path;
}

/** Migrates `source` (its backup in `backupDir`, else beside it, in `folder` another user owns): refused; then the fix, followed. */
async function refusedBackup(t: TempHome, source: string, backupDir: string | undefined, folder: string): Promise<void> {
  const r = await cli(t, ['migrate', '--from', source, ...(backupDir ? ['--backup-dir', backupDir] : []), '--yes']);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(`${folder} is a`);
  expect(r.stderr).toContain('of another user (uid 65534); refusing to write in it.');
  expect(r.stderr).not.toContain('--profile PATH');
  expect(r.stderr).toContain('fix: Nothing was changed: the migration writes a plaintext backup of the source there; give a folder of your own with --backup-dir DIR');
  // Nothing stored, and no backup anywhere.
  expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).toBe(3);
  expect(readdirSync(folder).filter((n) => n.includes('.backup-'))).toEqual([]);
  // The fix, followed: a folder of one's own takes the backup and the key is stored.
  const own = join(t.root, 'backups');
  mkdirSync(own, { mode: 0o700 });
  const again = await cli(t, ['migrate', '--from', source, '--backup-dir', own, '--yes']);
  expect(again.code, again.stderr).toBe(0);
  expect((await cli(t, ['get', 'tmdb', 'api_key'])).stdout).toBe(TMDB);
  expect(readdirSync(own).filter((n) => n.startsWith('keys.env.backup-'))).toHaveLength(1);
}

describe.runIf(process.getuid?.() === 0)('migrate: a backup folder another user owns is refused with a fix that moves the backup', () => {
  it('--backup-dir naming another user\'s folder: the fix is --backup-dir, not --profile', async () => {
    const t = makeTempHome();
    const theirs = theirFolder(t.root);
    await refusedBackup(t, envFile(t.cwd), theirs, theirs);
  }, 60_000);

  it('--backup-dir naming a link another user planted: the same fix, and the folder it leads to stays empty', async () => {
    const t = makeTempHome();
    const link = join(t.root, 'planted');
    const target = theirLink(link, join(t.root, 'target'));
    const r = await cli(t, ['migrate', '--from', envFile(t.cwd), '--backup-dir', link, '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${link} is a symbolic link of another user (uid 65534); refusing to write in it.`);
    expect(r.stderr).not.toContain('--profile PATH');
    expect(r.stderr).toContain('give a folder of your own with --backup-dir DIR');
    expect(readdirSync(target)).toEqual([]);
  }, 60_000);

  it('no --backup-dir, the source in another user\'s folder: the backup would go beside it; the fix says --backup-dir', async () => {
    const t = makeTempHome();
    const theirs = theirFolder(t.root, 'shared-project');
    const source = envFile(theirs);
    await refusedBackup(t, source, undefined, theirs);
    expect(existsSync(source)).toBe(true);
  }, 60_000);
});

describe('migrate --remove-plaintext that keeps the files says the way on for each entry left', () => {
  const STORED = `hf_${'Vault1'.repeat(6)}`;
  const LOGIN = `hf_${'Login2'.repeat(6)}`;

  it('the Hub\'s token file holding another token than the vault (doctor\'s own fix line): --overwrite named, no talk of settings', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: STORED })).code).toBe(0);
    const file = join(t.home, '.cache', 'huggingface', 'token');
    mkdirSync(join(t.home, '.cache', 'huggingface'), { recursive: true });
    writeFileSync(file, LOGIN, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', file, '--remove-plaintext', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(file)).toBe(true);
    expect(r.stderr).not.toContain('Settings among them');
    expect(r.stderr).toContain('A different value is stored for huggingface.token: to take the file\'s, run again with --overwrite huggingface.token; to keep the stored one, delete the files yourself.');
    // That way, followed: the file's token is stored and the file removed.
    const again = await cli(t, ['migrate', '--from', file, '--remove-plaintext', '--yes', '--overwrite', 'huggingface.token']);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(LOGIN);
  }, 60_000);

  it('a setting and an unknown key: --include-unknown for the one, copy elsewhere for the other', async () => {
    const t = makeTempHome();
    const path = join(t.cwd, 'app.env');
    writeFileSync(path, `TMDB_API_KEY=${TMDB}\nPORT=3000\nMY_SERVICE_TOKEN=s3cr3t-Value-4711\n`, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', path, '--remove-plaintext', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(path)).toBe(true);
    expect(r.stderr).toContain('--include-unknown');
    expect(r.stderr).toContain('Settings among them (a number, a flag, PORT=3000) are never migrated: copy them to where your settings live, then delete the files yourself.');
    expect(r.stderr).not.toContain('--overwrite');
  }, 60_000);
});

describe('team diff, the git textconv, where the team file cannot be decrypted (vault locked, no keychain)', () => {
  it('two versions of the file still read differently, so git diff shows the change (it showed none)', async () => {
    const t = makeTempHome();
    const file = join(t.cwd, 'cpw-team.age');
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    expect((await cli(t, ['team', 'init', '--add', 'tmdb.api_key'])).code).toBe(0);
    const before = join(t.root, 'before.age');
    copyFileSync(file, before);
    const rotated = 'fedcbafedcbafedcbafedcbafedcba34';
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: rotated })).code).toBe(0);
    expect((await cli(t, ['team', 'push'])).code).toBe(0);
    // On a host with no keychain the identity cannot be read: each version is described, never decrypted.
    const old = await cli(t, ['team', 'diff', before], { env: NO_DBUS });
    const now = await cli(t, ['team', 'diff', file], { env: NO_DBUS });
    expect([old.code, now.code]).toEqual([0, 0]);
    expect(old.stdout).toContain('(cannot decrypt: KEYCHAIN_UNAVAILABLE;');
    expect(old.stdout).not.toBe(now.stdout);
    for (const text of [old.stdout, now.stdout]) {
      expect(text).not.toContain(TMDB);
      expect(text).not.toContain(rotated);
    }
  }, 60_000);
});

describe('doctor: the Hub\'s token file holding another token than the vault', () => {
  const STORED = `hf_${'Vault1'.repeat(6)}`;
  const LOGIN = `hf_${'Login2'.repeat(6)}`;

  /** Runs a fix line as a user pastes it, cpw-vault on PATH. */
  function paste(t: TempHome, line: string): number | null {
    const bin = join(t.root, 'bin');
    if (!existsSync(bin)) {
      mkdirSync(bin);
      symlinkSync(BIN, join(bin, 'cpw-vault'));
    }
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    return spawnSync('sh', ['-ec', line], { cwd: t.cwd, env, encoding: 'utf8' }).status;
  }

  /** The vault holding STORED, the Hub's token file `token`: doctor's finding about that file. */
  async function tokenFileFinding(token: string) {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: STORED })).code).toBe(0);
    const file = join(t.home, '.cache', 'huggingface', 'token');
    mkdirSync(join(t.home, '.cache', 'huggingface'), { recursive: true });
    writeFileSync(file, token, { mode: 0o600 });
    const json = JSON.parse((await cli(t, ['doctor', '--json'])).stdout);
    const found = (json.plaintext_tokens as Array<{ kind: string; message: string; fix: string }>).find((p) => p.kind === 'hf-token-file')!;
    return { t, file, json, found };
  }

  it('says so (hints only) and its fix checks first, then takes the file\'s token with --overwrite: the plain migrate line kept the file, exit 1', async () => {
    const { t, file, json, found } = await tokenFileFinding(LOGIN);
    expect(found.message).toContain('••••gin2, not the token your vault holds (••••ult1)');
    expect(found.fix).toMatch(/^cpw-vault verify huggingface token && rm \S+$/);
    expect(found.message).toMatch(/ The fix removes the file only if your vault's token works; if it does not, take the file's instead: cpw-vault migrate --from \S+ --overwrite huggingface\.token --remove-plaintext --yes$/);
    expect(JSON.stringify(json)).not.toContain(LOGIN);
    const take = found.message.replace(/^.*take the file's instead: (.*)$/, '$1');
    expect(paste(t, take)).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(LOGIN);
  }, 60_000);

  it('the same token as the vault: the migrate line, which removes the file', async () => {
    const { t, file, found } = await tokenFileFinding(STORED);
    expect(found.message).toContain('the same token your vault holds');
    // The command last, after what to do then: "(then run stages ...)" after it was pasted too, a syntax error.
    expect(found.fix).toMatch(/^Move it into the vault, then run stages under cpw-vault exec, which gives them HF_TOKEN: cpw-vault migrate --from \S+ --remove-plaintext --yes$/);
    expect(paste(t, found.fix.slice(found.fix.indexOf(': cpw-vault ') + 2))).toBe(0);
    expect(existsSync(file)).toBe(false);
  }, 60_000);
});
