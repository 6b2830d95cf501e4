import { listedNames, toVaultError, VaultError } from '../../core/errors';
import type { CredentialId } from '../../core/credential';
import { markNotUndone } from '../../core/journal';

/** PROFILE_LOCKED: credentials another writer changed between a plan and its apply (nothing written yet). */
export function changedSincePlan(ids: readonly CredentialId[]): VaultError {
  return new VaultError('PROFILE_LOCKED', `${listedNames(ids, (id) => id, ', ', 5)} changed since the plan was made (stored meanwhile by the app or another cpw-vault); nothing was changed.`, 'Run it again: the new plan compares each with what is stored now (the same value: identical, nothing to write; another: a conflict, kept unless you choose to overwrite it).');
}

/**
 * The error of a commit whose undo did not finish: the same code (a timeout stays exit 4, a Ctrl-C 130), but never
 * "nothing changed": it names the credentials that may keep the change, and what sets them right.
 */
export function undoIncomplete(err: unknown, left: CredentialId[]): VaultError {
  const base = toVaultError(err);
  const what = `${left.join(', ')} may keep the change (the undo did not finish: the ${left.length === 1 ? 'credential was' : 'credentials were'} not put back)`;
  const message = base.code === 'CANCELLED' ? `cancelled, but ${what}.` : `${base.message.replace(/[.\s]*$/, '')}; ${what}.`;
  const fix = `${base.code === 'CANCELLED' ? '' : `${base.fix} `}Once the keychain answers, the next cpw-vault command makes the index describe what it holds; check with \`cpw-vault list\` and set again any value you want back.`;
  const out = new VaultError(base.code, message, fix, { cause: err });
  return markNotUndone(out, left);
}
