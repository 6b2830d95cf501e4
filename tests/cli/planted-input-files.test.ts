import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { collect } from '../helpers/children';
import { fileCli, fileEnv, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';
import { homeOf, NOBODY } from '../helpers/planted';

/**
 * `--passphrase-file` and `--identity-file` in a folder every user can write (/tmp): another user (nobody, through a
 * real setpriv) plants a link at the name the user gives. The link was followed: to a private file of the user's it
 * made that file the passphrase (unlocked), to a key the identity; to a file others can read (/etc/shadow, 0640) the
 * fix was "Run: chmod 600 <the link>", which follows the link and changes that file's mode.
 */

/** `command` run as user `uid` (through a real setpriv), its exit code asserted 0. */
function runAs(uid: number, command: string[]): void {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...command], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

/** `ln -s target link` run as nobody, as another user plants it. */
const plantAsNobody = (target: string, link: string) => runAs(NOBODY, ['ln', '-s', target, link]);

/** Every fix line of a CLI's stderr. */
const fixLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('fix:'));

describe.runIf(process.getuid?.() === 0)('a passphrase or identity file reached through a link another user planted in /tmp', () => {
  let h: FileVaultHome;
  let shared: string;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
    shared = mkdtempSync('/tmp/cpw-sticky-');
    chmodSync(shared, 0o1777);
  });
  afterAll(async () => {
    await fileCli(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  });

  it('a link of theirs to a private file of the user\'s is refused, naming the link and its owner; nothing unlocks', async () => {
    const link = join(shared, 'pass');
    plantAsNobody(h.passFile, link);
    const r = await fileCli(h, ['unlock', '--passphrase-file', link]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error [PROFILE_PERMISSIONS] Refusing the passphrase file ${link}, a link: it belongs to another user (uid ${NOBODY}), in ${shared}, which other users can write (mode 1777); nothing of it was read.`);
    expect(r.stderr).toContain(`fix: Keep the passphrase file in a folder only you can write (your home, say) and give that path. To see who put it there: ls -l ${link}`);
    expect(r.stderr).not.toContain('Unlocked');
    expect(r.stderr).not.toContain(h.passphrase);
  });

  it('a link of theirs to a file others can read (/etc/shadow\'s mode) is refused with no chmod in the fix; the file keeps its mode', async () => {
    const shadow = join(h.root, 'shadow');
    writeFileSync(shadow, 'root:$6$salt$hash:19000:0:99999:7:::\n', { mode: 0o640 });
    const link = join(shared, 'pass2');
    plantAsNobody(shadow, link);
    const r = await fileCli(h, ['unlock', '--passphrase-file', link]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`Refusing the passphrase file ${link}, a link: it belongs to another user (uid ${NOBODY})`);
    expect(fixLines(r.stderr).length).toBeGreaterThan(0);
    expect(r.stderr).not.toContain('chmod');
    expect(statSync(shadow).mode & 0o777).toBe(0o640);
  });

  it('--identity-file through a link of theirs to the user\'s deploy key is refused, the key never read', async () => {
    const key = join(h.root, 'deploy.key');
    expect(spawnSync('age-keygen', ['-o', key]).status).toBe(0);
    chmodSync(key, 0o600);
    const link = join(shared, 'key');
    plantAsNobody(key, link);
    const r = await fileCli(h, ['team', 'identity', '--identity-file', link]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`Refusing the identity file ${link}, a link: it belongs to another user (uid ${NOBODY}), in ${shared}`);
    expect(r.stdout).toBe('');
    expect(r.stdout + r.stderr).not.toContain('AGE-SECRET-KEY-1');
  });
  // The user here is nobody: root's entries are trusted (a Kubernetes volume's links), so another user is uid 65533.
  it('run as a user not root, their own link in /tmp to their own key is read, another user\'s link beside it to the same key refused', async () => {
    const { base, home } = homeOf(NOBODY, 'cpw-own-link-');
    try {
      const key = join(home, 'deploy.key');
      runAs(NOBODY, ['sh', '-c', 'umask 077 && age-keygen -o "$1" 2>/dev/null', 'sh', key]);
      runAs(NOBODY, ['ln', '-s', key, join(shared, 'mine')]);
      runAs(65533, ['ln', '-s', key, join(shared, 'theirs')]);
      const asNobody = (link: string) => spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', '-i', `PATH=${process.env['PATH']}`, `HOME=${home}`, process.execPath, BIN, 'team', 'identity', '--identity-file', link], { cwd: home, encoding: 'utf8' });
      const mine = asNobody(join(shared, 'mine'));
      expect(mine.status, mine.stderr).toBe(0);
      expect(mine.stdout).toMatch(/^age1[0-9a-z]{58}\n$/);
      const theirs = asNobody(join(shared, 'theirs'));
      expect(theirs.status, theirs.stderr).toBe(1);
      expect(theirs.stderr).toContain(`Refusing the identity file ${join(shared, 'theirs')}, a link: it belongs to another user (uid 65533), in ${shared}, which other users can write (mode 1777); nothing of it was read.`);
      expect(theirs.stdout).toBe('');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('a passphrase file behind a link that is the user\'s own still works', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
  });
  afterAll(async () => {
    await fileCli(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  });

  it('~/.config/pass -> ~/secrets/pass unlocks; with the target 0644 the fix is the chmod of the target, never of the link', async () => {
    const secrets = join(h.home, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    mkdirSync(join(h.home, '.config'), { recursive: true, mode: 0o700 });
    const target = join(secrets, 'pass');
    copyFileSync(h.passFile, target);
    chmodSync(target, 0o644);
    const link = join(h.home, '.config', 'pass');
    symlinkSync(target, link);

    const loose = await fileCli(h, ['unlock', '--passphrase-file', link]);
    expect(loose.code, loose.stderr).toBe(1);
    expect(loose.stderr).toContain(`The passphrase file ${link} can be read or changed by other users (mode 0644); refusing it.`);
    expect(fixLines(loose.stderr)).toEqual([`fix: ${link} is a link to ${target}: Run: chmod 600 ${target}`]);

    // What the fix says, done: it unlocks through the link.
    chmodSync(target, 0o600);
    const r = await fileCli(h, ['unlock', '--passphrase-file', link]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/✓ Unlocked for 8h/);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  });

  it('a Kubernetes Secret volume (a sticky 1777 tmpfs: root\'s ..data links into a hidden folder, the file 0400) unlocks', async () => {
    const volume = mkdtempSync('/tmp/cpw-secret-volume-');
    try {
      chmodSync(volume, 0o1777);
      const stamped = join(volume, '..2026_12_07_10_00_00.123456789');
      mkdirSync(stamped, { mode: 0o755 });
      copyFileSync(h.passFile, join(stamped, 'cpw-passphrase'));
      chmodSync(join(stamped, 'cpw-passphrase'), 0o400);
      symlinkSync('..2026_12_07_10_00_00.123456789', join(volume, '..data'));
      symlinkSync('..data/cpw-passphrase', join(volume, 'cpw-passphrase'));
      const r = await fileCli(h, ['unlock', '--passphrase-file', join(volume, 'cpw-passphrase')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/✓ Unlocked for 8h/);
      expect((await fileCli(h, ['lock'])).code).toBe(0);
    } finally {
      rmSync(volume, { recursive: true, force: true });
    }
  });

  it('/dev/fd/3, the shell having opened the passphrase file on it, unlocks', async () => {
    const line = 'exec "$0" "$1" unlock --passphrase-file /dev/fd/3 3< "$2"';
    const r = await collect(spawn('sh', ['-c', line, process.execPath, BIN, h.passFile], { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] }), '');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/✓ Unlocked for 8h/);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  });
});
