/**
 * cpw-vault as a library, for pipeline scripts in Node:
 *
 *   import { getCredential, requireWorkflow, workflowEnv } from 'cpw-vault';
 *   await requireWorkflow('subtitle');               // throws VaultError listing what is missing
 *   const { value } = await getCredential('tmdb', 'api_key');
 *
 * Re-exports only; see shared/node/library.ts.
 */
export { getCredential, requireWorkflow, workflowEnv, openVault, Vault, type VaultOptions, type CredentialValue } from './node/library';
export { VaultError, isVaultError, type ErrorCode, type VaultErrorJSON, type FieldError } from './core/errors';
export type { WorkflowName, WorkflowStatus, MissingItem } from './core/workflows';
export type { CredentialSource, CredentialView, ProfileView, Caller } from './core/views';
export type { Profile, Preferences, UserDetails, CredentialMeta } from './core/profile-schema';
export type { KeychainStatus, SecretStore } from './core/secret-store';
export { refuseInspectorSignal } from './node/inspector-signal';
export { CATALOG, type CatalogEntry } from './core/catalog';
export { WORKFLOW_NAMES } from './core/workflows';
