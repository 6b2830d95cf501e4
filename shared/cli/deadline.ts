/**
 * The deadline of one keychain call for this command: what is left of 9.8 s
 * since the process started (at least 2 s). A keychain that stops answering
 * fails the first call that waits on it and every later call at once, so the
 * whole command ends about 10 s after it started, whatever it was doing.
 */
export function commandKeychainDeadline(): number {
  return Math.max(2_000, Math.round(9_800 - process.uptime() * 1000));
}
