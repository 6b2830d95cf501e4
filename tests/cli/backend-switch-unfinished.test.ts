import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, keychainValues } from '../helpers/cli';
import { collect, fixture, type ChildResult } from '../helpers/children';
import { fileCli, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';
import { inPrivateSession } from '../helpers/private-session';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'UnFiNiSh'.repeat(5)}`;
const TMDB = '5e4f30211203f4e5d6c7b8a99a8b7c6d';
/** Several CLI runs and switches (scrypt at a low work factor: not an interop test) on a machine others load too. */
const BUDGET = 240_000;

const recordLeft = (h: FileVaultHome) => readdirSync(dirname(h.profile)).some((n) => n.endsWith('backend-move'));
const backendOf = (h: FileVaultHome) => (JSON.parse(readFileSync(h.profile, 'utf8')) as { storage?: { backend?: string } }).storage?.backend ?? 'keychain';
const vaultFilesLeft = (h: FileVaultHome) => existsSync(h.files.vault) || existsSync(h.files.identity);

/** cpw-vault on `h` with the test keyring (the file backend's helper runs it without D-Bus: `noDbus`). */
function cpw(h: FileVaultHome, args: string[], options: { noDbus?: boolean } = {}, input = ''): Promise<ChildResult> {
  if (options.noDbus) return fileCli(h, args, { input });
  const env = { ...process.env, HOME: h.home, XDG_RUNTIME_DIR: h.runtime, CPW_KEYCHAIN_SERVICE: h.service };
  return collect(spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }), input);
}

/** Starts a switch of `h` to the other backend that stops at step `at`: killed there, or held there (alive) until the caller kills it. */
async function switchStoppedAt(h: FileVaultHome, at: string, then: 'kill' | 'hold') {
  const child = spawn(process.execPath, [fixture('backend-step')], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: h.home, XDG_RUNTIME_DIR: h.runtime, CPW_KEYCHAIN_SERVICE: h.service } });
  const done = collect(child, JSON.stringify({ profile: h.profile, passphrase: h.passphrase, logN: 10, at, then }));
  if (then === 'kill') {
    const r = await done;
    expect(r.signal, r.stderr).toBe('SIGKILL');
    return { child, done };
  }
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.once('exit', () => reject(new Error('the switch ended before its step')));
  });
  return { child, done };
}

describe('a backend switch left unfinished', () => {
  it('doctor reports one still running (exit 1, --json backend_switch), and finishes one whose process was killed, in either direction', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await fileCli(h, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);

    // File -> keychain, committed (the profile names the keychain), its process alive: the vault files still hold every secret.
    const held = await switchStoppedAt(h, 'switched', 'hold');
    expect(backendOf(h)).toBe('keychain');
    expect(recordLeft(h) && vaultFilesLeft(h)).toBe(true);
    const running = await cpw(h, ['doctor']);
    expect(running.code, running.stderr).toBe(1);
    expect(running.stderr).toMatch(/✗ a switch from the age vault file to the OS keychain \(cpw-vault backend use keychain\) started at \S+ by process \d+ is still running; until it ends, both hold the secrets \(the profile uses the OS keychain\)\.\n {4}fix: Let it finish\. If it is stuck, stop it, then run cpw-vault doctor --repair/);
    const json = await cpw(h, ['doctor', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, backend_switch: { from: 'file', to: 'keychain', in_use: 'keychain', state: 'running' } });
    expect(recordLeft(h) && vaultFilesLeft(h)).toBe(true); // a live switch is its owner's to finish

    // Killed there: doctor (a plain one) finishes it, and says so; the vault files are gone, the keychain keeps both.
    held.child.kill('SIGKILL');
    await held.done;
    const finished = await cpw(h, ['doctor']);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toContain('warning: finished a switch from the file to the keychain backend that was interrupted.');
    expect(finished.stderr).not.toContain('✗ a switch');
    expect(recordLeft(h) || vaultFilesLeft(h)).toBe(false);
    expect(await keychainValues(h)).toEqual({ 'huggingface.token': HF, 'tmdb.api_key': TMDB });

    // Keychain -> file, killed while writing the new vault (the profile still names the keychain): the new vault files go.
    await switchStoppedAt(h, 'wrote ', 'kill');
    expect(backendOf(h)).toBe('keychain');
    expect(recordLeft(h) && vaultFilesLeft(h)).toBe(true);
    const back = await cpw(h, ['doctor', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ ok: true });
    expect(JSON.parse(back.stdout)).not.toHaveProperty('backend_switch');
    expect(recordLeft(h) || vaultFilesLeft(h)).toBe(false);
    expect(await keychainValues(h)).toEqual({ 'huggingface.token': HF, 'tmdb.api_key': TMDB });
  }, BUDGET);

  it('a first switch to the vault file killed before any profile existed (setup on a fresh host) is rolled back by the next start, not left blocking every command', async () => {
    const t = makeTempHome();
    const runtime = join(t.root, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    chmodSync(runtime, 0o700);
    const h: FileVaultHome = { ...t, runtime, files: vaultFilesFor(t.profile), passphrase: 'correct horse battery staple 42', passFile: join(t.root, 'unused') };
    // Killed once the new vault files exist, before the profile (which does not exist yet) names the file backend.
    await switchStoppedAt(h, 'created', 'kill');
    expect(existsSync(h.profile)).toBe(false);
    expect(recordLeft(h) && vaultFilesLeft(h)).toBe(true);
    // The next command that looks for it (setup again, set ...) rolls it back: the profile never named the file.
    const next = await cpw(h, ['set', 'huggingface', 'token'], {}, HF);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain('could not be finished');
    // Said as what it was: undone, the keychain still in use (not "finished a switch ... to the file backend").
    expect(next.stderr).toContain('warning: undid a switch from the keychain to the file backend that was interrupted before it took effect; the keychain backend stays in use.');
    expect(recordLeft(h) || vaultFilesLeft(h)).toBe(false);
    expect(backendOf(h)).toBe('keychain');
    expect(await keychainValues(h)).toEqual({ 'huggingface.token': HF });
  }, BUDGET);

  it('doctor reports one it could not finish (the old backend cannot be asked), exit 1, and doctor --repair finishes it once it can', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    await switchStoppedAt(h, 'switched', 'kill'); // to the keychain
    expect((await cpw(h, ['doctor'])).code).toBe(0); // finished
    // Keychain -> file, committed, killed: the keychain's copies are removed by whoever finishes it, on a host that has a keychain.
    await switchStoppedAt(h, 'switched', 'kill');
    expect(backendOf(h)).toBe('file');
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    const stuck = await cpw(h, ['doctor'], { noDbus: true });
    expect(stuck.code, stuck.stderr).toBe(1);
    expect(stuck.stderr).toContain('warning: an interrupted backend switch could not be finished yet');
    expect(stuck.stderr).toMatch(/✗ a switch from the OS keychain to the age vault file \(cpw-vault backend use file\) started at \S+ by process \d+ was interrupted and could not be finished yet; until it ends, both hold the secrets \(the profile uses the age vault file\)\.\n {4}fix: Run cpw-vault doctor --repair/);
    expect(Object.keys(await keychainValues(h))).toEqual(['huggingface.token']);
    const repaired = await cpw(h, ['doctor', '--repair']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stderr).toContain('warning: finished a switch from the keychain to the file backend that was interrupted.');
    expect(recordLeft(h)).toBe(false);
    expect(await keychainValues(h)).toEqual({});
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout.trim()).toBe(HF);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  }, BUDGET);

  it('a keychain that stops answering once the profile is switched (kill -STOP while its copies are removed): the switch is said done, exit 0, with the copies left and the fix', async () => {
    const t = makeTempHome();
    const passFile = join(t.home, 'pass');
    writeFileSync(passFile, 'passphrase of the stopped cleanup\n', { mode: 0o600 });
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cpwIn = `${q(process.execPath)} ${q(BIN)}`;
    // In its own session: the keyring daemon (the one owning org.freedesktop.secrets) is stopped once the secrets were
    // read (the writing phase goes to the new vault file alone), so the first keychain call after the commit hangs.
    const script = `${cpwIn} set huggingface token <<< ${q(HF)} 2>/dev/null || exit 9
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | grep -o '[0-9]\\+' | tail -1)
${cpwIn} backend use file --passphrase-file ${q(passFile)} 2>switch.err & pid=$!
for i in $(seq 1 3000); do grep -q 'Writing them' switch.err && break; sleep 0.01; done
kill -STOP "$daemon"
wait $pid; code=$?
kill -CONT "$daemon"
echo "switch exit $code"; cat switch.err
echo "--- copies left: $(secret-tool search --all service cp-whisperx-test 2>/dev/null | grep -c '^secret')"
${cpwIn} doctor --repair >/dev/null 2>repair.err; echo "--- repair exit $?"; cat repair.err
echo "--- copies after: $(secret-tool search --all service cp-whisperx-test 2>/dev/null | grep -c '^secret')"
`;
    const r = await inPrivateSession('unlocked', ['bash', '-c', script], { home: t });
    expect(r.code, r.stderr).toBe(0);
    const [switched, after] = r.stdout.split('--- repair exit');
    // The switch is done: the profile names the vault file, which holds the value.
    expect((JSON.parse(readFileSync(t.profile, 'utf8')) as { storage?: { backend?: string } }).storage?.backend).toBe('file');
    expect(switched).toContain('switch exit 0');
    expect(switched).toContain('✓ Moved 1 credential from the OS keychain to the age vault file: huggingface.token. It was read back before the switch.');
    expect(switched).toMatch(/! The copies in the OS keychain could not be removed yet \(KEYCHAIN_TIMEOUT\): .*\n {4}fix: Until then the OS keychain holds them too\. Once it answers, remove them: cpw-vault doctor --repair\n/);
    expect(switched).not.toContain('Nothing was left in the keychain');
    expect(switched).not.toContain('error');
    expect(switched).toContain('--- copies left: 1');
    // Once the keychain answers again, doctor --repair finishes it: no copy left there.
    expect(after).toContain('warning: finished a switch from the keychain to the file backend that was interrupted.');
    expect(after).toContain('--- copies after: 0');
    expect(r.stdout).not.toContain(HF);
  }, BUDGET);
});
