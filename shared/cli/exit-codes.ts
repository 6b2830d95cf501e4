import { toVaultError, type ErrorCode, type VaultError } from '../core/errors';
import { paint, type CliIO } from './io';

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2, missing: 3, keychain: 4, cancelled: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  INVALID_ARGUMENT: EXIT.usage,
  CREDENTIAL_FORMAT: EXIT.usage,
  CREDENTIAL_INVALID: EXIT.usage,
  WORKFLOW_UNKNOWN: EXIT.usage,
  CREDENTIAL_MISSING: EXIT.missing,
  WORKFLOW_NOT_READY: EXIT.missing,
  KEYCHAIN_LOCKED: EXIT.keychain,
  KEYCHAIN_UNAVAILABLE: EXIT.keychain,
  KEYCHAIN_NO_PROVIDER: EXIT.keychain,
  KEYCHAIN_TIMEOUT: EXIT.keychain,
  KEYCHAIN_DENIED: EXIT.keychain,
  KEYCHAIN_ERROR: EXIT.keychain,
  // The vault file backend: locked or absent is "the secret store cannot be used", like a keychain.
  VAULT_LOCKED: EXIT.keychain,
  VAULT_NOT_FOUND: EXIT.keychain,
  CANCELLED: EXIT.cancelled,
};

/** The one place error codes become exit codes. */
export function exitCodeFor(err: VaultError): ExitCode {
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
  io.err(`${p.red('error')} [${err.code}] ${err.message}\n`);
  for (const field of err.fields ?? []) io.err(`  ${field.path}: ${field.message}\n`);
  if (err.fix) io.err(`${p.dim('fix:')} ${err.fix.split('\n').join('\n     ')}\n`);
  if (json) io.out(`${JSON.stringify({ error: err.toJSON() })}\n`);
  return exitCodeFor(err);
}
