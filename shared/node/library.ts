import type { WorkflowName, WorkflowStatus } from '../core/workflows';
import { openVault, type OpenOptions } from './open';
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
 * The value of a credential and where it came from (env var first, then the
 * keychain). Throws VaultError CREDENTIAL_MISSING (with a fix line) when it is
 * nowhere, KEYCHAIN_LOCKED / KEYCHAIN_UNAVAILABLE / ... when the keychain
 * cannot answer.
 */
export async function getCredential(service: string, key: string): Promise<CredentialValue> {
  return (await defaultVault()).getCredential(service, key);
}

/**
 * Checks that a workflow has every credential it needs (reading the keychain
 * to be sure). Returns its status when ready; throws VaultError
 * WORKFLOW_NOT_READY whose message lists each missing credential and the
 * command that fixes it.
 */
export async function requireWorkflow(name: WorkflowName | string): Promise<WorkflowStatus> {
  const status = await (await defaultVault()).validateWorkflow(name, { verify: true });
  if (!status.ready) throw notReady(status);
  return status;
}

/**
 * The environment variables a workflow's stage expects (every alias of each
 * credential), ready to merge into a child process's env. Throws like
 * {@link requireWorkflow}.
 */
export async function workflowEnv(name: WorkflowName | string): Promise<Record<string, string>> {
  return (await defaultVault()).workflowEnv(name);
}

export type { OpenOptions as OpenVaultOptions };
