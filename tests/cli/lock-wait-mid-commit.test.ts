// A `set` or `delete` takes the profile's lock for its journal entry, lets go of it while it writes the value, then
// takes it again: the vault file's write (file backend), the index, the entry's removal. Another cpw-vault may take it
// between two of them. A Ctrl-C or SIGTERM while the command waits for it there must cancel at once, as it does at the
// first (lock-wait.test.ts): it waited out the 30 s with the signal held, then 30 s more to take its entry off the
// journal (the value was put back meanwhile), ~60 s in all. How it is stopped there: tests/helpers/lock-stop.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, keychainValues } from '../helpers/cli';
import { fileCli, fileEnv, makeFileVaultHome, vaultBytes } from '../helpers/file-vault';
import { waitingAfterWrite } from '../helpers/lock-stop';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'MidCommit'.repeat(5)}`;
const NEW = `hf_${'NewValue'.repeat(5)}`;

const CHANGES = [
  ['set', ['set', 'huggingface', 'token'], NEW, 'SIGINT', 130],
  ['delete', ['delete', 'huggingface', 'token', '--yes'], undefined, 'SIGTERM', 143],
] as const;

/** The journal beside `t`'s profile: the first file a change writes under the lock. */
const journalOf = (t: TempHome) => join(t.home, '.cp-whisperx', 'journal');

/** Sends `signal` to a command waiting for the holder's lock; expects it to end with `code` before the holder lets go, said as a cancel, the value never shown. */
async function cancelledWhileHeld(cmd: Awaited<ReturnType<typeof waitingAfterWrite>>, t: TempHome, signal: NodeJS.Signals, code: number) {
  expect(cmd.stderr()).toContain('waiting for');
  cmd.kill(signal);
  // The holder never lets go in this test: the command ends on its own, and never says it waits again.
  expect(await cmd.ended, cmd.stderr()).toEqual({ code, signal: null });
  expect(cmd.stderr()).toContain('cancelled: nothing changed');
  expect(cmd.stderr().match(/waiting for/g)).toHaveLength(1);
  expect(cmd.stderr()).not.toContain(HF.slice(3, 20));
  expect(cmd.stderr()).not.toContain(NEW.slice(3, 20));
  expect(existsSync(`${t.profile}.lock`), 'the holder\'s lock is kept').toBe(true);
  cmd.holder.kill('SIGKILL');
}

describe('a Ctrl-C or SIGTERM while a change waits for another\'s lock past its journal entry', () => {
  it.each(CHANGES)('keychain, %s, before the index: cancelled at once, the value as it was, the index agreeing', async (_name, args, input, signal, code) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const profile = readFileSync(t.profile, 'utf8');
    const cmd = await waitingAfterWrite(t, [...args], journalOf(t), 1, { input });
    await cancelledWhileHeld(cmd, t, signal, code);
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect(await keychainValues(t)).toEqual({ 'huggingface.token': HF });
    // Its journal entry may be left (the lock was held): the next start finishes it, changing nothing.
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(existsSync(journalOf(t)), 'the entry finished').toBe(false);
    expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
  });

  // The vault file is written under the profile's lock: the wait for it was held 30 s, then failed, and the undo waited
  // 30 s more for what it never wrote ("cancelled, but huggingface.token may keep the change", after ~60 s).
  it.each(CHANGES)('file backend, %s, before the vault file\'s write: cancelled at once, the vault file as it was', async (_name, args, input, signal, code) => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    onTestFinished(async () => void (await fileCli(h, ['lock']))); // the unlock agent, also when the test fails
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const profile = readFileSync(h.profile, 'utf8');
    const vault = vaultBytes(h);
    const cmd = await waitingAfterWrite(h, [...args], journalOf(h), 1, { input, env: fileEnv(h) });
    await cancelledWhileHeld(cmd, h, signal, code);
    expect(readFileSync(h.profile, 'utf8')).toBe(profile);
    expect(vaultBytes(h)).toEqual(vault);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(existsSync(journalOf(h)), 'the entry finished').toBe(false);
    expect((await fileCli(h, ['doctor'])).stdout).not.toMatch(/✗/);
  });
});
