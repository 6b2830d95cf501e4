import { redact } from './redact';

/** Every stable error code. The CLI maps them to exit codes, the renderer to messages. */
export const ERROR_CODES = [
  'PROFILE_NOT_FOUND',
  'PROFILE_INVALID',
  'PROFILE_PERMISSIONS',
  'PROFILE_SYMLINK',
  'PROFILE_LOCKED',
  // This process's backend switch outlasted a call's wait on it (SwitchGate): not another process's lock.
  'BACKEND_SWITCHING',
  'PROFILE_READ_ONLY',
  'PROFILE_PLAINTEXT',
  'PROFILE_VERSION_UNSUPPORTED',
  'PROFILE_TOO_LARGE',
  'KEYCHAIN_LOCKED',
  'KEYCHAIN_UNAVAILABLE',
  'KEYCHAIN_NO_PROVIDER',
  'KEYCHAIN_TIMEOUT',
  'KEYCHAIN_DENIED',
  'KEYCHAIN_ERROR',
  'KEYCHAIN_NO_COLLECTION',
  'VAULT_LOCKED',
  'VAULT_NOT_FOUND',
  'VAULT_PASSPHRASE_WRONG',
  'VAULT_CORRUPT',
  'VAULT_AGENT_UNSAFE',
  'EXPORT_INVALID',
  'TEAM_NOT_RECIPIENT',
  'TEAM_INVALID',
  'TEAM_CONFLICT',
  'TEAM_MISMATCH',
  'CREDENTIAL_MISSING',
  'CREDENTIAL_FORMAT',
  'CREDENTIAL_INVALID',
  'WORKFLOW_UNKNOWN',
  'WORKFLOW_NOT_READY',
  'CREDENTIAL_REJECTED',
  'PROVIDER_UNREACHABLE',
  'INVALID_ARGUMENT',
  'CANCELLED',
  'IPC_FORBIDDEN',
  'IO_ERROR',
  'INTERNAL',
] as const;

/** A stable, machine-readable error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One field-level validation problem: where, and what is wrong (never the value). */
export interface FieldError {
  path: string;
  message: string;
}

/** How many names (fields, credentials) a message lists before "and N more". */
export const LISTED_NAMES = 10;

/** How many field errors {@link VaultError.toJSON} carries (IPC, --json, doctor): the message names the total. */
export const JSON_FIELDS = 100;

/**
 * The first `max` of `items`, each as `show` gives it, joined by `separator`, then "and N more (M in all)": a message
 * naming every field of a library caller's update with 100,000 unknown keys ran to 18 MB. Only the shown ones are
 * formatted. The one place a message lists names.
 */
export function listedNames<T>(items: readonly T[], show: (item: T) => string, separator = ', ', max = LISTED_NAMES): string {
  const shown = items.slice(0, max).map(show);
  if (items.length > max) shown.push(`and ${items.length - max} more (${items.length} in all)`);
  return shown.join(separator);
}

/** The plain-JSON shape of an error as it crosses IPC or is printed with --json. */
export interface VaultErrorJSON {
  code: ErrorCode;
  message: string;
  fix: string;
  fields?: FieldError[];
}

/**
 * The one error type of cpw-vault: a stable `code`, a message a user can act
 * on and a `fix` line. Message and fix are redacted on construction, so a
 * secret that slips into them never leaves the process.
 */
export class VaultError extends Error {
  readonly code: ErrorCode;
  readonly fix: string;
  readonly fields: FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, fix: string, options?: { fields?: FieldError[]; cause?: unknown }) {
    super(redact(message));
    this.name = 'VaultError';
    this.code = code;
    this.fix = redact(fix);
    this.fields = options?.fields?.map((f) => ({ path: f.path, message: redact(f.message) }));
    // The cause stays in-process for debugging; it is never serialised.
    if (options?.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
  }

  /**
   * Plain JSON for IPC and `--json`: code, message, fix, and the first {@link JSON_FIELDS} fields (the message names
   * the total; `fields` keeps them all in process). Never the cause.
   */
  toJSON(): VaultErrorJSON {
    return { code: this.code, message: this.message, fix: this.fix, ...(this.fields ? { fields: this.fields.slice(0, JSON_FIELDS) } : {}) };
  }
}

/** True for a VaultError with one of the given codes (or any code when none given). */
export function isVaultError(err: unknown, ...codes: ErrorCode[]): err is VaultError {
  return err instanceof VaultError && (codes.length === 0 || codes.includes(err.code));
}

/**
 * CANCELLED: the user stopped the command (Ctrl-C, SIGTERM, a closed
 * terminal) and nothing changed. `cause` is the signal's name (an aborted
 * AbortSignal's reason): the exit code is 128 + its number.
 */
export function cancelledError(cause: unknown = 'SIGINT'): VaultError {
  return new VaultError('CANCELLED', 'cancelled: nothing changed', 'Run the command again when you are ready.', { cause });
}

/**
 * Wraps anything thrown into a VaultError without leaking its text unredacted:
 * VaultErrors pass through; other errors become INTERNAL with a redacted message.
 */
export function toVaultError(err: unknown): VaultError {
  if (err instanceof VaultError) return err;
  // process.cwd() (and path.resolve of a relative path) with the working directory removed under the process: a job
  // folder a cleanup step deleted. Said as that, not as a bug.
  if (err instanceof Error && (err as { syscall?: unknown }).syscall === 'uv_cwd') {
    return new VaultError('INVALID_ARGUMENT', 'The working directory no longer exists, and this command needs it (a relative path given is relative to it).', 'Give paths as absolute paths, or run from a folder that exists.', { cause: err });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new VaultError('INTERNAL', `Unexpected error: ${text}`, 'This is a bug in cpw-vault; please report it with the steps that led here.', { cause: err });
}
