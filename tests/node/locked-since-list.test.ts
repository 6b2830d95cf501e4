// A keyring locked behind a long-lived store's back (the app's, a library user's): its list and doctor's census. A
// gnome-keyring restarted with the keyring locked hashes its items' attributes, and the store, which had found the
// keyring unlocked, read no account in them: list() and the census said the namespace was empty, which the index
// comparison reads as "every value was removed outside cpw-vault" (doctor offered a repair). They must say what a read
// says: locked since, and how to unlock it. Real gnome-keyring in its own session, no display.
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { inPrivateSession } from '../helpers/private-session';

type Said = { value?: unknown; code?: string; message?: string; fix?: string };
const LOCKED_SINCE = 'The keychain is locked: the "Login" keyring of gnome-keyring was locked after it was opened (Seahorse, secret-tool lock or the screen lock), and there is no display here for its unlock dialog.';
const NAMES = ['huggingface.token', 'tmdb.api_key'];

describe('list and census of a keyring locked after the store found it unlocked', () => {
  it('say it is locked, as a read does, never an empty list; after the unlock the same store lists again', async () => {
    const r = await inPrivateSession('unlocked', [process.execPath, fixture('locked-since-list')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as Record<string, Said> & { before: Said[]; stillLocked: boolean; lockedAtEnd: boolean };
    for (const said of out.before) expect(said.value).toEqual(NAMES);
    for (const name of ['listNow', 'censusNow', 'listLater', 'censusLater', 'listRestarted', 'censusRestarted']) {
      const said = out[name]!;
      expect(said.value, name).toBeUndefined();
      expect(said.code, name).toBe('KEYCHAIN_LOCKED');
      expect(said.message, name).toBe(LOCKED_SINCE);
      expect(said.fix, name).toMatch(/^Unlock the "Login" keyring, then retry/);
    }
    expect(out.stillLocked).toBe(true);
    expect(out.lockedAtEnd).toBe(true);
    expect(out.afterUnlock!.value).toEqual(NAMES);
  }, 60_000);
});
