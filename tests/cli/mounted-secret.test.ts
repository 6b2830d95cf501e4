import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { fileCli, fileEnv, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';

/**
 * `unlock --passphrase-file /run/secrets/x` in a container: Docker mounts a secret read-only, mode 0444 (Kubernetes
 * 0644). Refused for its mode, as it must be, the fix said "Run: chmod 600 /run/secrets/x", which a read-only mount
 * refuses (EROFS): the user was left with a command that cannot work. The read-only mount is made for real, in a
 * user and mount namespace of the test's own (`unshare -rm`: a tmpfs, remounted read-only).
 */

const canUnshare = spawnSync('unshare', ['-rm', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** Copies the passphrase file to `name` (mode `mode`) on a tmpfs at `dir`, remounts it read-only, then runs unlock on it. */
function unlockOnReadOnlyMount(h: FileVaultHome, dir: string, name: string, mode: string): Promise<ChildResult> {
  const script = 'mount -t tmpfs -o size=64k tmpfs "$1" && cp "$2" "$1/$3" && chmod "$4" "$1/$3" && mount -o remount,ro "$1" && exec "$5" "$6" unlock --passphrase-file "$1/$3"';
  const args = ['-rm', 'sh', '-c', script, 'sh', dir, h.passFile, name, mode, process.execPath, BIN];
  return collect(spawn('unshare', args, { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] }), '');
}

describe.skipIf(!canUnshare)('--passphrase-file on a read-only mount (a Docker or Kubernetes secret)', () => {
  let h: FileVaultHome;
  let dir: string;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
    dir = join(h.root, 'secrets');
    mkdirSync(dir);
  });
  afterAll(async () => {
    await fileCli(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  });

  it('one others can read is refused with how to mount it 0400, never a chmod the mount refuses; mounted 0400 it unlocks', async () => {
    const refused = await unlockOnReadOnlyMount(h, dir, 'x', '444');
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`The passphrase file ${dir}/x can be read or changed by other users (mode 0444); refusing it.`);
    expect(refused.stderr).not.toContain('chmod 600');
    expect(refused.stderr).toContain('fix: It is on a read-only mount (a Docker or Kubernetes secret?), where chmod cannot change it: mount it readable by you alone, mode 0400');
    expect(refused.stderr).not.toContain(h.passphrase);

    // What the fix says to do works.
    const unlocked = await unlockOnReadOnlyMount(h, dir, 'x', '400');
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stderr).toMatch(/✓ Unlocked for 8h/);
  }, 60_000);

  it('on a file system chmod can change, the fix is still the chmod', async () => {
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    const loose = join(h.root, 'pass-0644.txt');
    copyFileSync(h.passFile, loose);
    chmodSync(loose, 0o644);
    const r = await fileCli(h, ['unlock', '--passphrase-file', loose]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`fix: Run: chmod 600 ${loose}`);
    expect(r.stderr).not.toContain('read-only mount');
  });
});
