import { withoutControlChars } from '../core/control-chars';
import { fixWithFileOffer } from './file-offer';
import { LISTED_NAMES, toVaultError, type ErrorCode, type VaultError } from '../core/errors';
import { notUndone } from '../core/journal';
import { paint, type CliIO } from './io';
import { withProfileOptionIn } from './profile-hint';
import { signalExitCode } from './signals';

/**
 * Exit codes of every command: 0 ok, 1 failure, 2 usage, 3 missing credential
 * / workflow not ready / a key the provider rejects (verify), 4 keychain
 * locked or unavailable, 5 a provider could not be asked (unreachable or
 * rate-limited: verify, check --verify, exec --verify).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, missing: 3, keychain: 4, unreachable: 5 } as const;
/** 0-5, or 128 + n for a command a signal cancelled (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT] | number;

const BY_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  INVALID_ARGUMENT: EXIT.usage,
  CREDENTIAL_FORMAT: EXIT.usage,
  CREDENTIAL_INVALID: EXIT.usage,
  WORKFLOW_UNKNOWN: EXIT.usage,
  CREDENTIAL_MISSING: EXIT.missing,
  WORKFLOW_NOT_READY: EXIT.missing,
  CREDENTIAL_REJECTED: EXIT.missing,
  PROVIDER_UNREACHABLE: EXIT.unreachable,
  KEYCHAIN_LOCKED: EXIT.keychain,
  KEYCHAIN_UNAVAILABLE: EXIT.keychain,
  KEYCHAIN_NO_PROVIDER: EXIT.keychain,
  KEYCHAIN_TIMEOUT: EXIT.keychain,
  KEYCHAIN_DENIED: EXIT.keychain,
  KEYCHAIN_ERROR: EXIT.keychain,
  KEYCHAIN_NO_COLLECTION: EXIT.keychain,
  // The vault file backend: locked or absent is "the secret store cannot be used", like a keychain.
  VAULT_LOCKED: EXIT.keychain,
  VAULT_NOT_FOUND: EXIT.keychain,
};

/** The one place error codes become exit codes. */
export function exitCodeFor(err: VaultError): ExitCode {
  if (err.code === 'CANCELLED') return signalExitCode((err as { cause?: unknown }).cause);
  return BY_CODE[err.code] ?? EXIT.failure;
}

/**
 * Reports an error: a human message and fix on stderr; with --json also the
 * error document on stdout (so a script always gets one JSON document).
 * Returns the exit code.
 */
export function reportError(io: CliIO, thrown: unknown, json: boolean): ExitCode {
  const err = toVaultError(thrown);
  const p = paint(io);
  // The JSON error document goes to stdout, which may be what failed (a full disk): then stderr has said it.
  const jsonOut = (text: string) => {
    try {
      io.out(text);
    } catch {
      // said on stderr
    }
  };
  if (err.code === 'CANCELLED') {
    // Not an error: the user stopped it, and the rollback left everything as it was (unless the keychain cut the undo short: then what to do).
    io.err(`${err.message}\n`);
    if (notUndone(err).length) io.err(`${p.dim('fix:')} ${defused(err.fix)}\n`);
    if (json) jsonOut(`${JSON.stringify(withProfileOptionIn({ error: err.toJSON() }, io.profileOption))}\n`);
    return exitCodeFor(err);
  }
  // A path, an argument or a name in a message may hold an escape sequence (a folder unpacked from an archive): defused.
  io.err(`${p.red('error')} [${err.code}] ${defused(err.message)}\n`);
  // One line a field, as many as the message names (a profile with 100,000 bad entries printed 100,000 lines).
  const fields = err.fields ?? [];
  for (const field of fields.slice(0, LISTED_NAMES)) io.err(`  ${defused(field.path)}: ${defused(field.message)}\n`);
  if (fields.length > LISTED_NAMES) io.err(`  and ${fields.length - LISTED_NAMES} more\n`);
  // A host with no keychain (SSH, a container, CI): the vault file is the way on, whatever command found out; its steps
  // as they work with no terminal (CI) too.
  const fix = err.fix && fixWithFileOffer(err.code, err.fix, io.stdinIsTTY);
  // Its lines indented under 'fix:': a named path's line break first shown as '?' (PROFILE_INVALID's 'Fix the JSON ... of PATH').
  const lines = fix && (io.showingPaths?.(fix) ?? fix).split('\n');
  if (lines) io.err(`${p.dim('fix:')} ${lines.map(withoutControlChars).join('\n     ')}\n`);
  if (json) jsonOut(`${JSON.stringify(withProfileOptionIn({ error: err.toJSON() }, io.profileOption))}\n`);
  return exitCodeFor(err);
}

/**
 * `text` with each control character but the line break (an escape sequence's ESC, BEL, a carriage return) as '?':
 * for errors and warnings, which quote paths and names (a folder unpacked from an archive, one another user made).
 */
export function defused(text: string): string {
  return text.split('\n').map(withoutControlChars).join('\n');
}
