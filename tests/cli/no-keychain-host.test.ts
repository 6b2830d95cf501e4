import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

/**
 * A GPU server, a container or a CI image: no desktop, no D-Bus session, and no dbus-run-session or
 * gnome-keyring-daemon installed. The keychain's fix told the user to "start one for this shell: dbus-run-session --
 * $SHELL, then: gnome-keyring-daemon --unlock ...", two commands that are not there (a keychain that cannot be); the
 * vault file came second, as an "Or". Here the vault file is the fix, said once.
 */

const noBus = { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, XDG_RUNTIME_DIR: undefined };

describe('a host where no keychain can be started (neither dbus-run-session nor gnome-keyring-daemon installed)', () => {
  let t: TempHome;
  let env: Record<string, string | undefined>;
  beforeAll(() => {
    t = makeTempHome();
    // PATH holds node alone (the launcher's #! finds it): what a slim server or container image has.
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    env = { ...noBus, PATH: bin };
  });
  afterAll(() => rmSync(t.root, { recursive: true, force: true }));

  it('set, check and list say no keychain can be started here and give the vault file as the fix, not a desktop keyring', async () => {
    const runs = [
      await cli(t, ['set', 'huggingface', 'token'], { input: 'hf_abcdefghijklmnopqrstuvwxyz0123456789', env }),
      await cli(t, ['check', 'transcribe'], { env }),
      await cli(t, ['list'], { env }),
    ];
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('there is no D-Bus session bus (no desktop session in this shell), and none can be started here: dbus-run-session and gnome-keyring-daemon are not installed');
      // No terminal here (stdin a pipe): the steps that work without one, not both cases in one sentence.
      expect(r.stderr).toContain('fix: Keep the secrets in an age-encrypted file beside the profile: cpw-vault backend use file --passphrase-file PATH, then cpw-vault unlock --passphrase-file PATH.');
      expect(r.stderr).not.toMatch(/Run from a desktop session|dbus-run-session -- |gnome-keyring-daemon --unlock/);
      expect(r.stderr.split('cpw-vault backend use file').length - 1).toBe(1);
    }
  });

  it('doctor and setup --non-interactive name the vault file once, setup with its --passphrase-file steps', async () => {
    const doctor = await cli(t, ['doctor'], { env });
    expect(doctor.stderr).toContain('none can be started here');
    expect(doctor.stderr).not.toMatch(/gnome-keyring-daemon --unlock/);
    expect(doctor.stderr.split('cpw-vault backend use file').length - 1).toBe(1);
    const setup = await cli(t, ['setup', '--non-interactive'], { env });
    expect(setup.code).toBe(4);
    expect(setup.stderr).toContain('fix: Keep the secrets in an age-encrypted file: cpw-vault backend use file --passphrase-file PATH, then cpw-vault unlock --passphrase-file PATH, then run setup again.');
    expect(setup.stderr.split('cpw-vault backend use file').length - 1).toBe(1);
  });

  it('where both are installed, the fix still starts a keychain for the shell, the vault file offered too', async () => {
    const r = await cli(t, ['set', 'huggingface', 'token'], { input: 'hf_abcdefghijklmnopqrstuvwxyz0123456789', env: noBus });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/fix: Run from a desktop session, or start one for this shell: dbus-run-session -- \$SHELL/);
    expect(r.stderr).toContain('Or keep the secrets in an age-encrypted file beside the profile: cpw-vault backend use file');
  });
});
