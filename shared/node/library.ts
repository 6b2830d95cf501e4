import { isVaultError } from '../core/errors';
import type { WorkflowName, WorkflowStatus } from '../core/workflows';
import { openVault, type OpenOptions } from './open';
import { assertNamedProfileExists } from './profile/named-profile';
import { notReady, type CredentialValue, type Vault } from './vault/vault';

export { openVault } from './open';
export { Vault, type CredentialValue } from './vault/vault';
/** Options of {@link openVault}. */
export type VaultOptions = OpenOptions;

let shared: Promise<Vault> | undefined;

/**
 * The vault the module-level helpers share: default profile, OS keychain,
 * caller "library". An open that failed (a lock another process held too
 * long, a lock file that was a link) is not kept: the next call opens
 * again, so a long-running pipeline recovers once the cause is gone instead
 * of failing with the first error for as long as it runs.
 */
function defaultVault(): Promise<Vault> {
  if (!shared) {
    const opening = openVault({ caller: 'library' });
    shared = opening;
    opening.catch(() => {
      if (shared === opening) shared = undefined;
    });
  }
  return shared;
}

/**
 * Runs a helper on the shared vault. After a keychain that did not answer in
 * time, the vault's secret store answers KEYCHAIN_TIMEOUT at once from then
 * on (right for a command, which exits): the shared vault closes it, so a
 * long-running stage that asks again later gets a fresh connection and its
 * value once the keychain answers again.
 */
async function withDefaultVault<T>(use: (vault: Vault) => Promise<T>): Promise<T> {
  // A $CPW_PROFILE naming no file is a typo, as the CLI's reads say: it read as an empty vault, "not set ... run
  // cpw-vault set", which a shell without that variable stores in the default profile, and the stage failed again.
  assertNamedProfileExists({});
  const vault = await defaultVault();
  try {
    return await use(vault);
  } catch (err) {
    if (isVaultError(err, 'KEYCHAIN_TIMEOUT')) vault.close();
    throw err;
  }
}

/**
 * The value of a credential and where it came from (env var first, then the
 * keychain). Throws VaultError CREDENTIAL_MISSING (with a fix line) when it is
 * nowhere, KEYCHAIN_LOCKED / KEYCHAIN_UNAVAILABLE / ... when the keychain
 * cannot answer, PROFILE_NOT_FOUND when $CPW_PROFILE names no file.
 */
export async function getCredential(service: string, key: string): Promise<CredentialValue> {
  return withDefaultVault((vault) => vault.getCredential(service, key));
}

/**
 * Checks that a workflow has every credential it needs (reading the keychain
 * to be sure). Returns its status when ready; throws VaultError
 * WORKFLOW_NOT_READY whose message lists each missing credential and whose
 * `fix` holds the command that adds each (one line each).
 */
export async function requireWorkflow(name: WorkflowName | string): Promise<WorkflowStatus> {
  return withDefaultVault(async (vault) => {
    const status = await vault.validateWorkflow(name, { verify: true });
    if (!status.ready) throw notReady(status);
    return status;
  });
}

/**
 * The environment variables a workflow's stage expects (every alias of each
 * credential), ready to merge into a child process's env. Throws like
 * {@link requireWorkflow}.
 */
export async function workflowEnv(name: WorkflowName | string): Promise<Record<string, string>> {
  return withDefaultVault((vault) => vault.workflowEnv(name));
}

export type { OpenOptions as OpenVaultOptions };
