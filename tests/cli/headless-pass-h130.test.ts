// A new user's pass on a host without a keychain (SSH to a GPU server, a container, CI), and a migration whose
// backup folder another user owns. Each fix line must be one the user can act on: the vault file offered by every
// command that finds no keychain (check, list and which said only "run from a desktop session"), and a refused
// backup folder pointing at --backup-dir (it said "Use a profile in a folder you own (--profile PATH)", which
// changes nothing about where the backup goes).
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

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
