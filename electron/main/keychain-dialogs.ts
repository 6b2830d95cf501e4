/**
 * The desktop app has a person in front of it: the keychain provider's
 * dialogs (KeePassXC's unlock and access confirmation, gnome-keyring's
 * unlock prompt) are waited for up to the dialog wait (60 s, or
 * CPW_KEYCHAIN_DIALOG_TIMEOUT), and a desktop notification says at once
 * that one is waiting — the dialog may open behind the app's window.
 */
import { dialogWaitMs, type KeychainDialogs } from '../../shared/node/secrets/dialogs';
import type { NotifierPort } from './ports';

export function appKeychainDialogs(env: Readonly<Record<string, string | undefined>>, notifier: NotifierPort): KeychainDialogs {
  return {
    waitMs: dialogWaitMs(env),
    notify: (message) => notifier.notify({ title: 'cpw-vault is waiting for the keychain', body: message.charAt(0).toUpperCase() + message.slice(1) }),
  };
}
