import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { VaultError, type ErrorCode } from '../../core/errors';
import type { KeychainReason, KeychainStatus } from '../../core/secret-store';
import { useFileSteps } from '../../core/vault-file-steps';
import { shellWord, shownText, withoutControlChars } from '../../core/control-chars';

/**
 * What each keychain reason means to a user, and how to fix it. Lives with
 * the backends (not in the pure core): the texts name desktop tools
 * (Seahorse, gnome-keyring, KeePassXC) that only the Node layer knows about.
 */
const TEXT: Record<KeychainReason, { message: string; fix: string }> = {
  KEYCHAIN_UNAVAILABLE: {
    message: 'The keychain cannot be reached: there is no D-Bus session bus (no desktop session in this shell).',
    fix: 'Run from a desktop session, or start one for this shell: dbus-run-session -- $SHELL, then: gnome-keyring-daemon --unlock --components=secrets (type the keyring password, then Ctrl-D).',
  },
  KEYCHAIN_NO_PROVIDER: {
    message: 'The session bus has no Secret Service provider (org.freedesktop.secrets), so there is no keychain to use.',
    fix: 'Install and start one: sudo apt install gnome-keyring (or enable KeePassXC Secret Service integration), then log out and back in.',
  },
  KEYCHAIN_LOCKED: {
    message: 'The keychain is locked: its values cannot be read or written until it is unlocked.',
    // --replace: a plain --unlock ends at once when the daemon runs (it does whenever its keyring is locked), the keyring still locked.
    fix: 'Unlock it: open "Passwords and Keys" (Seahorse) and unlock the Login keyring, or run: gnome-keyring-daemon --replace --unlock (type the password, then Ctrl-D); KeePassXC: unlock the database in its window. On macOS: security unlock-keychain.',
  },
  KEYCHAIN_TIMEOUT: {
    message: 'The keychain did not answer in time.',
    fix: 'A dialog (an unlock or access-confirmation prompt) may be waiting on screen: answer it and retry. If none is, restart the keyring daemon or KeePassXC (or log out and in) and retry.',
  },
  KEYCHAIN_DENIED: {
    message: 'The keychain refused: its dialog was dismissed or the access denied.',
    fix: 'Retry and allow cpw-vault in the dialog (KeePassXC: "Allow", tick "Remember" to be asked once per run), or in KeePassXC turn off "Confirm when passwords are retrieved by clients" (Settings → Secret Service Integration).',
  },
  KEYCHAIN_NO_COLLECTION: {
    message: 'The Secret Service answers but exposes nothing to keep secrets in (no collection behind its "default" alias).',
    fix: 'KeePassXC: open and unlock the database, then Database → Database Settings → Secret Service Integration → "Expose entries under this group" (pick a group). gnome-keyring: create a keyring and make it the default (Seahorse: File → New → Password Keyring, then "Set as default").',
  },
  KEYCHAIN_ERROR: {
    message: 'The keychain reported an error.',
    fix: 'Check that a default keyring exists (Seahorse: File → New → Password Keyring, set as default) and retry.',
  },
};

/** The VaultError for a keychain reason, with its standard message and fix. `detail` is appended (redacted). */
export function keychainError(code: KeychainReason, detail?: string, cause?: unknown): VaultError {
  const t = TEXT[code];
  return new VaultError(code as ErrorCode, detail ? `${t.message} (${detail})` : t.message, t.fix, { cause });
}

/**
 * KEYCHAIN_LOCKED for a collection locked after this program found it unlocked (Seahorse, `secret-tool lock`, the
 * screen lock), where no unlock dialog can show. Its items come back locked then, as KeePassXC's do when it wants each
 * access confirmed, and the store said that ("wants the access confirmed in a dialog"): a gnome-keyring user looked for
 * a dialog that never shows, where the keyring had to be unlocked. A plain `gnome-keyring-daemon --unlock` does not
 * unlock the keyring of a daemon already running (it ends at once, the keyring still locked): --replace does.
 */
export function collectionLockedError(provider: string, label: string): VaultError {
  // The provider names its collection: a label of control characters must not reach the terminal as they are.
  const collection = shownText(label, 80);
  if (provider === 'KeePassXC') {
    return new VaultError('KEYCHAIN_LOCKED', "The keychain is locked: KeePassXC's database was locked after it was opened, and there is no display here for its unlock dialog.", "Unlock the database in KeePassXC's window, then retry.");
  }
  const of = provider === 'the keychain' ? '' : ` of ${provider}`;
  return new VaultError(
    'KEYCHAIN_LOCKED',
    `The keychain is locked: the "${collection}" keyring${of} was locked after it was opened (Seahorse, secret-tool lock or the screen lock), and there is no display here for its unlock dialog.`,
    `Unlock the "${collection}" keyring, then retry: in "Passwords and Keys" (Seahorse) select it and click Unlock, or from a shell run: gnome-keyring-daemon --replace --unlock (type its password, then Ctrl-D).`,
  );
}

/** The status object for a reason. */
export function keychainStatus(backend: string, code: KeychainReason, detail?: string): KeychainStatus {
  const e = keychainError(code, detail);
  return { ok: false, backend, code, message: e.message, fix: e.fix };
}

/** The tools KEYCHAIN_UNAVAILABLE's fix has the user run to start a keychain for a shell. */
const KEYCHAIN_STARTERS = ['dbus-run-session', 'gnome-keyring-daemon'];

/** Whether `name` is an executable in a folder of `path` (PATH). */
function onPath(name: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).filter(Boolean).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * KEYCHAIN_UNAVAILABLE for a shell with no session bus, its fix fitting the host. Where dbus-run-session or
 * gnome-keyring-daemon is not installed (a GPU server, a container, a CI image), "start one for this shell:
 * dbus-run-session -- $SHELL, then: gnome-keyring-daemon --unlock" named commands that are not there, a keychain that
 * cannot be: the fix there is the age vault file, the one way such a host keeps secrets.
 */
export function noSessionBusError(env: Readonly<Record<string, string | undefined>>): VaultError {
  const missing = KEYCHAIN_STARTERS.filter((name) => !onPath(name, env['PATH']));
  if (missing.length === 0) return keychainError('KEYCHAIN_UNAVAILABLE');
  return new VaultError(
    'KEYCHAIN_UNAVAILABLE',
    `${TEXT.KEYCHAIN_UNAVAILABLE.message.slice(0, -1)}, and none can be started here: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed (a server, a container or CI).`,
    // Both cases said: the CLI, which knows whether there is a terminal, keeps the one that works (stepsFitting).
    `Keep the secrets in an age-encrypted file beside the profile: ${useFileSteps()}.`,
  );
}

/** How busPathTooLongError's fix starts: the keychain runs, so the CLI offers no vault file in its place (file-offer.ts). */
export const BUS_PATH_FIX = 'Reach the bus by a shorter path:';

/**
 * KEYCHAIN_UNAVAILABLE for a session bus whose socket path is longer than a Unix socket's address holds (see
 * busPathOverflow): "there is no D-Bus session bus (EINVAL)" sent the user looking for a bus that is there.
 */
export function busPathTooLongError(path: string, size: { bytes: number; room: number }, env: Readonly<Record<string, string | undefined>>): VaultError {
  const from = env['DBUS_SESSION_BUS_ADDRESS'] ? 'DBUS_SESSION_BUS_ADDRESS' : 'XDG_RUNTIME_DIR';
  if (path.startsWith('\0')) {
    const name = withoutControlChars(path.slice(1));
    return new VaultError('KEYCHAIN_UNAVAILABLE', `The keychain cannot be reached: the session bus's abstract socket name (${from}) is ${size.bytes - 1} bytes long, and a Unix socket's address holds at most ${size.room - 1}: ${name}.`, `${BUS_PATH_FIX} start the session bus with a shorter address (dbus-run-session picks one that fits), and retry.`);
  }
  return new VaultError(
    'KEYCHAIN_UNAVAILABLE',
    `The keychain cannot be reached: the session bus's socket path (${from}) is ${size.bytes} bytes long, and a Unix socket's address holds at most ${size.room}: ${shellWord(path)}.`,
    // connect(2) follows a symbolic link: one at a short path reaches the same bus. ~/.cpw-bus only where it is short
    // enough itself (a long home folder made the fix fail the same way); -f -n: one left by an earlier session is replaced.
    shortLinkFits(env, size.room)
      ? `${BUS_PATH_FIX} a symbolic link to it in a folder only you can write, e.g. ln -sfn ${shellWord(path)} ~/.cpw-bus && export DBUS_SESSION_BUS_ADDRESS=unix:path=$HOME/.cpw-bus, then retry.`
      : `${BUS_PATH_FIX} a symbolic link to it, at a path of at most ${size.room} bytes in a folder only you can write (ln -sfn ${shellWord(path)} LINK), then export DBUS_SESSION_BUS_ADDRESS=unix:path=LINK and retry.`,
  );
}

/** Whether ~/.cpw-bus, the link busPathTooLongError's fix makes, is itself short enough for a Unix socket's address. */
function shortLinkFits(env: Readonly<Record<string, string | undefined>>, room: number): boolean {
  const home = env['HOME'];
  return !!home && Buffer.byteLength(`${home.replace(/\/+$/, '')}/.cpw-bus`, 'utf8') <= room;
}
