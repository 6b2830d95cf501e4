/**
 * The one place error codes become what a person reads (STYLE.md §4).
 * Messages from main are already specific; this only replaces the few whose
 * raw text means nothing to a user (a lock file path) and adds the wording
 * the screens share.
 */
import type { ErrorCode } from '../shared/core/errors';
import { ApiError } from './api';

const OVERRIDES: Partial<Record<ErrorCode, { message: string; fix: string }>> = {
  PROFILE_LOCKED: {
    message: 'Another cpw-vault (the app or a command) kept the profile busy; nothing was saved.',
    fix: 'Wait for the other cpw-vault command to finish, then try again.',
  },
};

/** While a write waits for another process: shown instead of the lock file's path. */
export const LOCK_RETRY_TEXT = 'Another cpw-vault is saving; retrying…';

/** Fixes that name a CLI step where the app has its own: main's message is kept, the way out said the app's way. */
const APP_FIXES: Partial<Record<ErrorCode, string>> = {
  VAULT_LOCKED: 'Unlock the vault file on the Security screen: its passphrase, then Unlock.',
};

/**
 * VAULT_LOCKED because the unlock agent is there but did not answer (main's words for it, client.ts): it may hold the
 * key, and Lock now ends it. APP_FIXES' unlock form asked for a passphrase past it (and Unlock waited on it again).
 */
const NOT_ANSWERING = /\bunlock agent did not answer\b/;
const NOT_ANSWERING_FIX = 'Lock now (on the Security screen, or on the card shown in place of this screen) ends the unlock agent that did not answer, its key with it; then unlock again.';

/** A fix as the app says it (see APP_FIXES), for a status that carries a code and a fix (and its message: see NOT_ANSWERING). */
export function appFix(code: string | undefined, fix: string | undefined, message = ''): string | undefined {
  if (code === 'VAULT_LOCKED' && NOT_ANSWERING.test(message)) return NOT_ANSWERING_FIX;
  return (code !== undefined && Object.hasOwn(APP_FIXES, code) ? APP_FIXES[code as ErrorCode] : undefined) ?? fix;
}

/** What to show for an error: its message and fix, or the plain-language version for codes whose raw text is internal. */
export function describeError(error: Pick<ApiError, 'code' | 'message' | 'fix'>): { message: string; fix: string } {
  return OVERRIDES[error.code] ?? { message: error.message, fix: appFix(error.code, error.fix, error.message) ?? error.fix };
}

/**
 * A refused save's error with each field it names by path (user.name) named by the label its form shows (Name).
 * Main words the message `<path> <problem>; …` from the same fields, for the CLI, whose users type those paths;
 * a field the form has no label for keeps its path, and a message worded otherwise is left as main wrote it.
 */
export function withFieldLabels(error: ApiError, labels: Readonly<Record<string, string>>): ApiError {
  let message = error.message;
  for (const f of error.fields) {
    if (Object.hasOwn(labels, f.path)) message = message.replace(`${f.path} ${f.message}`, `${labels[f.path]} ${f.message}`);
  }
  return message === error.message ? error : new ApiError({ code: error.code, message, fix: error.fix, fields: error.fields });
}

/** Keychain codes: the store cannot be reached, so values cannot be read or written. */
export const KEYCHAIN_CODES: ReadonlySet<ErrorCode> = new Set(['KEYCHAIN_LOCKED', 'KEYCHAIN_UNAVAILABLE', 'KEYCHAIN_NO_PROVIDER', 'KEYCHAIN_TIMEOUT', 'KEYCHAIN_DENIED', 'KEYCHAIN_ERROR']);
