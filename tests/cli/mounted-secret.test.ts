import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileVault } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { BIN } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { fileCli, fileEnv, makeFileVaultHome, writeFileBackendProfile, type FileVaultHome } from '../helpers/file-vault';
import { NOBODY } from '../helpers/planted';

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

/** The pod's fsGroup: the group a Kubernetes Secret volume's files (root's) are readable through. */
const FS_GROUP = 2000;

/**
 * A Kubernetes Secret in a container not run as root: the file is root's, mode 0440, group the pod's fsGroup, on a
 * read-only mount (a tmpfs in a mount namespace of the test's own, run as real root). `line` runs as the pod's user
 * (nobody, with the fsGroup), in its own home on the vault file backend, cpw-vault on PATH; "$SECRET" is the file.
 */
function inNonRootPod(pod: { base: string; home: string; run: string }, source: string, line: string): Promise<ChildResult> {
  const secrets = join(pod.base, 'secrets');
  const script = `mount -t tmpfs -o size=64k tmpfs "$1" && cp "$2" "$1/x" && chown 0:${FS_GROUP} "$1/x" && chmod 440 "$1/x" && mount -o remount,ro "$1" && exec setpriv --reuid=${NOBODY} --regid=${NOBODY} --groups=${FS_GROUP} env -i PATH="$3:$PATH" HOME="$4" XDG_RUNTIME_DIR="$5" SECRET="$1/x" sh -ec "$6"`;
  const child = spawn('unshare', ['-m', 'sh', '-c', script, 'sh', secrets, source, join(pod.base, 'bin'), pod.home, pod.run, line], { cwd: pod.home, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child);
}

describe.runIf(process.getuid?.() === 0 && canUnshare)('a Kubernetes Secret read through the pod\'s fsGroup, in a container not run as root', () => {
  let pod: { base: string; home: string; run: string };
  let source: string;
  const passphrase = 'pod passphrase of the vault 42';
  beforeAll(async () => {
    const base = mkdtempSync('/tmp/cpw-pod-');
    chmodSync(base, 0o755);
    pod = { base, home: join(base, 'home'), run: join(base, 'run') };
    for (const dir of [pod.home, pod.run, join(base, 'secrets'), join(base, 'bin')]) mkdirSync(dir, { mode: 0o700 });
    chmodSync(join(base, 'bin'), 0o755);
    symlinkSync(BIN, join(base, 'bin', 'cpw-vault'));
    const profile = join(pod.home, '.cp-whisperx', 'user.profile');
    writeFileBackendProfile(profile);
    await createFileVault(vaultFilesFor(profile), passphrase, { dedicatedDir: true, logN: 10 });
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, pod.home, pod.run]);
    source = join(base, 'pass.txt');
    spawnSync('sh', ['-c', `umask 077; printf '%s\\n' "$1" > "$2"`, 'sh', passphrase, source]);
    chownSync(source, 0, 0);
  });
  afterAll(() => rmSync(pod.base, { recursive: true, force: true }));

  it('--passphrase-file stays refused, its fix the descriptor route such a pod can take; pasted, it unlocks', async () => {
    const refused = await inNonRootPod(pod, source, 'exec cpw-vault unlock --passphrase-file "$SECRET"');
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`The passphrase file ${pod.base}/secrets/x belongs to another user (uid 0); refusing it.`);
    expect(refused.stderr).not.toContain(passphrase);
    const route = /In a container not run as root \(a Kubernetes Secret read through the pod's fsGroup\), open it in the shell and give cpw-vault the descriptor instead of its path: (.*?)\. Or mount it/.exec(refused.stderr)?.[1];
    expect(route, refused.stderr).toBe(`cpw-vault unlock --passphrase-fd 3 3< ${pod.base}/secrets/x`);
    // What the fix says, pasted as the pod's user: the shell opens the file (through the fsGroup), cpw-vault reads the descriptor.
    const unlocked = await inNonRootPod(pod, source, `${route!} && cpw-vault backend`);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stderr).toMatch(/✓ Unlocked for 8h/);
    expect(unlocked.stdout).toMatch(/unlocked by agent pid \d+/);
    expect((await inNonRootPod(pod, source, 'cpw-vault lock')).code).toBe(0);
  }, 60_000);

  // There was no descriptor option for the identity: the fix was a private copy of the key, one more file holding it.
  it('--identity-file stays refused, its fix the descriptor route (--identity-fd) such a pod can take; pasted, it reads the key', async () => {
    const key = join(pod.base, 'deploy.key');
    expect(spawnSync('age-keygen', ['-o', key]).status).toBe(0);
    const recipient = spawnSync('age-keygen', ['-y', key], { encoding: 'utf8' }).stdout.trim();
    const typed = 'cpw-vault team identity --identity-file "$SECRET"';
    const refused = await inNonRootPod(pod, key, `exec ${typed}`);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`The identity file ${pod.base}/secrets/x belongs to another user (uid 0); refusing it.`);
    expect(refused.stderr).not.toContain('AGE-SECRET-KEY-1');
    const route = /In a container not run as root \(a Kubernetes Secret read through the pod's fsGroup\), open it in the shell and give cpw-vault the descriptor instead of its path: the same command with (--identity-fd 3 3< \S+) in place of (--identity-file \S+)\. Or mount it/.exec(refused.stderr);
    expect(route, refused.stderr).not.toBeNull();
    expect(route![1]).toBe(`--identity-fd 3 3< ${pod.base}/secrets/x`);
    expect(route![2]).toBe(`--identity-file ${pod.base}/secrets/x`);
    // What the fix says, as the pod's user: the same command, --identity-file PATH swapped for the descriptor.
    const read = await inNonRootPod(pod, key, typed.replace('--identity-file "$SECRET"', route![1]!));
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toBe(`${recipient}\n`);
    expect(read.stderr).toContain('Identity from file descriptor 3.');
    expect(read.stdout + read.stderr).not.toContain('AGE-SECRET-KEY-1');
  }, 60_000);
});
