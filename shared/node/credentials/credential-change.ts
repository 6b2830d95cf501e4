import type { CredentialId } from '../../core/credential';
import type { CredentialMeta } from '../../core/profile-schema';

/** One change to one credential. */
export type CredentialChange =
  | { kind: 'set'; id: CredentialId; value: string; label?: string | undefined; envVar?: string | undefined }
  | { kind: 'delete'; id: CredentialId };

/** How a commit runs. */
export interface CommitOptions {
  /** Aborted (SIGINT, SIGTERM, SIGHUP, a closed window): the transaction rolls back and CANCELLED is thrown. */
  signal?: AbortSignal | undefined;
  /** Called before each secret-store write. */
  onProgress?: ((done: number, total: number, id: CredentialId) => void) | undefined;
  /** Values the caller's plan read (a migration, an import, a pull): the commit refuses (PROFILE_LOCKED) when one is no longer what is stored. */
  known?: ReadonlyMap<CredentialId, string | undefined> | undefined;
  /** Files the transaction creates (a migration's backup), created after the intent is journaled; removed on rollback. */
  files?: ReadonlyArray<{ path: string; create: () => void }> | undefined;
  /** A seed profile migrated in place: its plaintext slots are emptied by the commit. */
  stripPlaintext?: boolean | undefined;
  /** Write even while the deprecated secrets.json is the only source (migration creates the profile). */
  allowOverLegacy?: boolean | undefined;
}

/** What a commit did. */
export interface CommitResult {
  /** The index entry of each changed credential after the commit (none: deleted). */
  entries: ReadonlyMap<CredentialId, CredentialMeta | undefined>;
  /** For each deleted credential: whether it had a value or an index entry. */
  existed: ReadonlyMap<CredentialId, boolean>;
  /** Each secret set over a different value: the masked hint of the value it replaced (`set` says so). */
  replaced?: ReadonlyMap<CredentialId, string>;
}
