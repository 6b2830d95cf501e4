// `backend use file` takes the profile's lock five times: its record, the new vault, the record again, the vault
// file's write, the switch. Another cpw-vault may take the lock between two of them. A SIGTERM while the move waits
// for it there must cancel at once, as it does at the first (lock-wait.test.ts). How the move is stopped there:
// tests/helpers/lock-stop.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { waitingAfterWrite } from '../helpers/lock-stop';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'MidMove'.repeat(6)}`;

describe('a SIGTERM while `backend use file` waits for another\'s lock past its record', () => {
  it.each([
    ['the new vault (after its record)', 'backend-move', 1],
    ['the vault file\'s write (after the record of what it writes)', 'backend-move', 2],
    ['the switch (after the vault file\'s write)', 'user.profile.vault.age', 3],
  ])('before %s: "cancelled: nothing changed" at once, exit 143, no vault file, the record gone', async (_where, file, when) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const pass = join(t.home, 'pass');
    writeFileSync(pass, 'correct horse battery staple 42\n', { mode: 0o600 });
    const profile = readFileSync(t.profile, 'utf8');
    const use = await waitingAfterWrite(t, ['backend', 'use', 'file', '--passphrase-file', pass], join(t.home, '.cp-whisperx', file), when);
    expect(use.stderr()).toContain('waiting for');
    use.kill('SIGTERM');
    expect(await use.ended, use.stderr()).toEqual({ code: 143, signal: null });
    expect(use.stderr()).toContain('cancelled: nothing changed');
    expect(use.stderr()).not.toContain('PROFILE_LOCKED');
    expect(existsSync(`${t.profile}.lock`), 'the holder\'s lock is kept').toBe(true);
    use.holder.kill('SIGKILL');
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect(existsSync(`${t.profile}.vault.age`)).toBe(false);
    expect(existsSync(`${t.profile}.identity.age`) || existsSync(join(t.home, '.cp-whisperx', 'backend-move'))).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
  });
});
