import { terminalDialogs, type KeychainDialogs } from '../node/secrets/dialogs';
import type { CliIO } from './io';

/**
 * The deadline of one keychain call for this command: what is left of 9.3 s
 * since the process started (at least 2 s). The 1.7 s left of the promised 11 s
 * pay for what the clock cannot see: the exec of node before uptime starts and
 * the exit (on a machine loaded 12 deep, 9.8 s ended at 11.1 s). A keychain that stops answering
 * fails the first call that waits on it and every later call at once, so the
 * whole command ends about 10 s after it started, whatever it was doing.
 */
export function commandKeychainDeadline(): number {
  return Math.max(2_000, Math.round(9_300 - process.uptime() * 1000));
}

/**
 * The keychain dialog policy of a command: a person at the terminal (stderr
 * a TTY, not CI, not a stage under exec) gets the longer wait, told at once
 * on stderr — straight to the terminal, never held back with the command's
 * own output.
 */
export function keychainDialogsFor(io: CliIO): { keychainDialogs?: KeychainDialogs; keychainDeadlineAt: number } {
  const dialogs = terminalDialogs(io.env, io.stderrIsTTY ?? false, (text) => io.err(text));
  // The same 9.3 s after start as each call's deadline: a dialog nobody answers ends the command then, with its exit code.
  const keychainDeadlineAt = Date.now() + commandKeychainDeadline();
  return dialogs ? { keychainDialogs: dialogs, keychainDeadlineAt } : { keychainDeadlineAt };
}
