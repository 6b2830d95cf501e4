// KeePassXC's database locked after a long-lived store (the app's, open for as long as its window is) found it
// unlocked. The store believed that check for good, so its next read sent SearchItems with no check first, and
// KeePassXC answers a search of a locked database with its unlock dialog and no answer: the read hung to its deadline,
// said KEYCHAIN_TIMEOUT ("the keychain did not answer"), the dialog showed on KeePassXC's screen while the store had
// no display, and the store, given up on, failed every read until it was reopened. Real KeePassXC (Debian's 2.7.4) on
// Xvfb in its own session; the store has no display.
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { withProvider } from '../helpers/provider-session';

type Said = { value?: unknown; code?: string; message?: string; fix?: string; ms: number };
const LOCKED_SINCE = "The keychain is locked: KeePassXC's database was locked after it was opened, and there is no display here for its unlock dialog.";

describe('a KeePassXC database locked after the store found it unlocked', () => {
  it("reads, lists, counts and the census say so at once in KeePassXC's words, with no dialog; unlocked again, the same store reads", async () => {
    const { byLabel } = await withProvider({
      provider: 'keepassxc',
      steps: [{ label: 'long-lived store', shell: `'${process.execPath}' '${fixture('kpx-locked-since')}' kpx-test-pw` }],
    });
    const step = byLabel('long-lived store');
    expect(step.code, step.stderr).toBe(0);
    const out = JSON.parse(step.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as Record<string, Said> & { before: boolean; lockedNow: boolean; windows: string[]; unlockedAgain: boolean; afterUnlock: unknown; timeoutMs: number };
    expect(out.before).toBe(true);
    expect(out.lockedNow).toBe(true);
    for (const name of ['get', 'getMany', 'list', 'count', 'census']) {
      const said = out[name]!;
      expect(said.code, `${name}: ${said.message}`).toBe('KEYCHAIN_LOCKED');
      expect(said.message, name).toBe(LOCKED_SINCE);
      expect(said.fix, name).toBe("Unlock the database in KeePassXC's window, then retry.");
      expect(said.ms, name).toBeLessThan(out.timeoutMs / 2);
    }
    expect(out.windows.filter((w) => /Unlock Database/.test(w))).toEqual([]);
    expect(out.unlockedAgain).toBe(true);
    expect(out.afterUnlock).toBe('read');
  }, 240_000);
});
