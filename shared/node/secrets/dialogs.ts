type Env = Readonly<Record<string, string | undefined>>;

/**
 * A person who can answer the keychain provider's dialogs (KeePassXC's
 * "Unlock Database" and access confirmation, gnome-keyring's unlock prompt).
 * With one, a dialog is waited for up to `waitMs`, and `notify` says at once
 * that it waits; without one, a dialog gets only the normal deadline of the
 * call (about 10 s) and then fails with KEYCHAIN_TIMEOUT and a fix line.
 */
export interface KeychainDialogs {
  /** Longest wait for an answer to one dialog. */
  waitMs: number;
  /** Tells the person that a dialog waits for them (stderr, the app). */
  notify(message: string): void;
}

/** Default wait for a dialog a person can answer. */
export const DEFAULT_DIALOG_WAIT_MS = 60_000;

/** `CPW_KEYCHAIN_DIALOG_TIMEOUT` (seconds, 1-3600) or 60 s. */
export function dialogWaitMs(env: Env): number {
  const raw = env['CPW_KEYCHAIN_DIALOG_TIMEOUT'];
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 1 && seconds <= 3600 ? Math.round(seconds * 1000) : DEFAULT_DIALOG_WAIT_MS;
}

/**
 * Whether a person can answer a dialog for a command: its stderr is a
 * terminal (where the notice goes), and it is neither CI nor a stage that
 * `cpw-vault exec` runs (CPW_VAULT_STAGE, set for every stage: a pipeline
 * step has nobody watching it).
 */
export function personCanAnswer(env: Env, stderrIsTTY: boolean): boolean {
  if (!stderrIsTTY) return false;
  if (env['CPW_VAULT_STAGE']) return false;
  const ci = env['CI'];
  return ci === undefined || ci === '' || ci === 'false' || ci === '0';
}

/** The dialog policy of a command: a person on the terminal gets the longer wait and a notice on stderr; otherwise none. */
export function terminalDialogs(env: Env, stderrIsTTY: boolean, write: (text: string) => void): KeychainDialogs | undefined {
  if (!personCanAnswer(env, stderrIsTTY)) return undefined;
  return { waitMs: dialogWaitMs(env), notify: (message) => write(`${message}\n`) };
}
