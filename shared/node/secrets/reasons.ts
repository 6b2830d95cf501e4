import { VaultError, type ErrorCode } from '../../core/errors';
import type { KeychainReason, KeychainStatus } from '../../core/secret-store';

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
    fix: 'Unlock it: open "Passwords and Keys" (Seahorse) and unlock the Login keyring, or run: gnome-keyring-daemon --unlock --components=secrets (type the password, then Ctrl-D); KeePassXC: unlock the database in its window. On macOS: security unlock-keychain.',
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

/** The status object for a reason. */
export function keychainStatus(backend: string, code: KeychainReason, detail?: string): KeychainStatus {
  const e = keychainError(code, detail);
  return { ok: false, backend, code, message: e.message, fix: e.fix };
}
