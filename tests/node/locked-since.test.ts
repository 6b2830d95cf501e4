// A store that found the login keyring unlocked (the app, a library user: one store for hours), and the keyring locked
// since (Seahorse, `secret-tool lock`, the screen lock). Its items then come back locked, as KeePassXC's items do when
// it wants each access confirmed, and the read said so: "gnome-keyring wants the access confirmed in a dialog, and
// there is no display here to show it" sent the user looking for a dialog that never shows, where the keyring had to
// be unlocked. Real gnome-keyring in its own session, no display; the store's own D-Bus client, never keytar (whose
// findCredentials crashes on a locked collection).
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { inPrivateSession } from '../helpers/private-session';

type Said = { value?: string; code?: string; message?: string; fix?: string };

describe('a keyring locked after the store found it unlocked', () => {
  it('is said to be locked, with how to unlock it, not as an access to confirm in a dialog', async () => {
    const r = await inPrivateSession('unlocked', [process.execPath, fixture('locked-since')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { before: boolean; get: Said; getMany: Said; stillLocked: boolean; afterFix: unknown };
    expect(out.before).toBe(true);
    for (const said of [out.get, out.getMany]) {
      expect(said.code).toBe('KEYCHAIN_LOCKED');
      expect(said.message).toBe('The keychain is locked: the "Login" keyring of gnome-keyring was locked after it was opened (Seahorse, secret-tool lock or the screen lock), and there is no display here for its unlock dialog.');
      expect(said.fix).toBe('Unlock the "Login" keyring, then retry: in "Passwords and Keys" (Seahorse) select it and click Unlock, or from a shell run: gnome-keyring-daemon --replace --unlock (type its password, then Ctrl-D).');
      expect(said.message).not.toMatch(/confirmed in a dialog/);
    }
    expect(out.stillLocked).toBe(true);
    // The fix's command, run as written with the password typed, unlocks it: the same store then reads the value. A
    // plain `gnome-keyring-daemon --unlock` ends at once with the keyring of the running daemon still locked.
    expect(out.afterFix).toBe('read');
  }, 60_000);

  // The daemon stopped (kill -STOP, a hung keyring) just as the store asks whether the collection is locked: that
  // question's timeout was taken for "not locked", and the read said "gnome-keyring wants the access confirmed in a
  // dialog": KEYCHAIN_LOCKED, sending the user to a dialog, where the keychain had stopped answering.
  it("stopped as the store asks whether it is locked: said as the keychain not answering, within the store's timeout", async () => {
    const r = await inPrivateSession('unlocked', [process.execPath, fixture('locked-then-stopped')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as Said & { stopped: boolean; ms: number; timeoutMs: number };
    expect(out.stopped).toBe(true);
    expect(out.code, out.message).toBe('KEYCHAIN_TIMEOUT');
    expect(out.message).not.toMatch(/confirmed in a dialog/);
    expect(out.ms).toBeLessThan(out.timeoutMs + 1_500);
  }, 60_000);
});
