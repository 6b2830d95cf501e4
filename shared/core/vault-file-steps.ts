/** The command that switches a profile to the age vault file. */
export const USE_FILE = 'cpw-vault backend use file';

/**
 * The vault file's two steps as a fix line gives them: the one rule for every line that offers it. `terminal`: stdin
 * is a terminal, where each step asks its passphrase. With none (a CI job, `setsid ... < /dev/null`) each needs it
 * given: a line without --passphrase-file, pasted there, failed, and only then said to add it. Undefined where the
 * text is made without knowing (the keychain's errors, made in the Node layer): both cases said, and the CLI, which
 * knows, puts the line that works in its place ({@link stepsFitting}).
 */
export function useFileSteps(terminal?: boolean): string {
  if (terminal === undefined) return `${USE_FILE}, then cpw-vault unlock once per session (with no terminal: --passphrase-file PATH on both)`;
  const [use, unlock] = fileSteps(terminal);
  return terminal ? `${use}, then ${unlock} once per session` : `${use}, then ${unlock}`;
}

/**
 * The vault file's steps as the lines to run, by the rule of {@link useFileSteps}: the switch, then the unlock (doctor
 * --json's `offer.steps`; its `command` is the first). PATH: a 0600 file holding the passphrase.
 */
export function fileSteps(terminal: boolean): [use: string, unlock: string] {
  return [terminal ? USE_FILE : `${USE_FILE} --passphrase-file PATH`, unlockStep(terminal)];
}

/**
 * The unlock a line names as the next step (after a switch to the vault file, setup's last line), by the same rule:
 * with no terminal it needs the passphrase given. "Next: cpw-vault unlock", pasted into a CI job, failed "There is no
 * terminal to ask the passphrase on".
 */
export function unlockStep(terminal: boolean): string {
  return terminal ? 'cpw-vault unlock' : 'cpw-vault unlock --passphrase-file PATH';
}

/** `fix` with the steps said for both cases ({@link useFileSteps} without `terminal`) as those that work here. */
export function stepsFitting(fix: string, terminal: boolean): string {
  return fix.replace(useFileSteps(), useFileSteps(terminal));
}
