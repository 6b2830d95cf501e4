import { VaultError } from '../../core/errors';
import { envVarProblem, type EnvVarOwners } from '../../core/env-var-names';
import type { Profile } from '../../core/profile-schema';
import type { CredentialChange } from './credential-change';

/**
 * Throws INVALID_ARGUMENT when a change would give a custom credential an env
 * var another one carries once `changes` are made (a batch may swap names).
 * Checked under the profile's lock: two sets that both checked the name before
 * either wrote it gave two credentials one env var (exec carries only one).
 * A credential keeping the name it has (`metadata`, its entry now) claims
 * nothing new: a set of a hand-edited pair's one was refused, or not, by
 * which of the two the owners map listed last.
 */
export function assertDistinctEnvVars(changes: readonly CredentialChange[], owners: EnvVarOwners, metadata: Profile['credential_metadata']): void {
  const renamed = new Set(changes.filter((c) => c.kind === 'delete' || c.envVar).map((c) => c.id));
  // The names this batch gives, then the others' (a credential the batch renames or deletes gives up its own).
  const batch = new Map<string, string>();
  const taken: EnvVarOwners = {
    get: (name) => {
      const owner = batch.get(name) ?? owners.get(name);
      return owner !== undefined && (batch.has(name) || !renamed.has(owner)) ? owner : undefined;
    },
  };
  for (const c of changes) {
    if (c.kind !== 'set' || !c.envVar) continue;
    const kept = c.envVar === (Object.hasOwn(metadata, c.id) ? metadata[c.id]!.env_var : undefined) && !batch.has(c.envVar);
    const problem = kept ? envVarProblem(c.envVar, c.id) : envVarProblem(c.envVar, c.id, taken);
    if (problem) throw new VaultError('INVALID_ARGUMENT', `${problem} Nothing was stored.`, 'Choose a name of its own (--env-var NAME, or the app\'s Environment variable field).');
    batch.set(c.envVar, c.id);
  }
}
