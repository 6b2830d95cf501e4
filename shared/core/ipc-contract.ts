/**
 * The one IPC contract: every renderer -> main call, with its argument and
 * result types. Main registers one handler object typed from it (a missing
 * handler does not compile), the preload exposes one method per channel, and
 * renderer/api.ts calls them. Arguments are re-validated in main with the
 * schemas of ipc-schemas.ts: the renderer is untrusted input.
 */
import type { VaultErrorJSON } from './errors';
import type { ApplyResult, MigrationPlan } from './migration-plan';
import type { CredentialMeta } from './profile-schema';
import type { PreferencesUpdate, UserUpdate } from './profile-parse';
import type { AuditEvent, AuditEventName, RunRecord, RunStats, RunStatus } from './records';
import type { CredentialView, DoctorReport, ProfileView } from './views';
import type { WorkflowStatus } from './workflows';

/** A credential by name. */
export interface CredentialRef {
  service: string;
  key: string;
}

/** Storing a value (it travels renderer -> main once, never back except on reveal). */
export interface SetCredentialRequest extends CredentialRef {
  value: string;
  /** The user saw the format warning and chose "Save anyway". */
  acceptFormatWarning?: boolean;
  label?: string;
  /** Custom credentials: the env var that carries it. */
  envVar?: string;
}

/** A migration source and the per-row choices. No path: the source cpw-vault finds itself (secrets.json, ...). */
export interface MigrationRequest {
  path?: string;
  /** Conflicts to overwrite (credential ids), or all. */
  overwrite?: string[] | 'all';
  includeUnknown?: boolean;
}

export interface MigrationApplyRequest extends MigrationRequest {
  removePlaintext?: boolean;
}

/** The plan for a source, or null when there is nothing to migrate. */
export type MigrationPlanResult = { path: string; plan: MigrationPlan } | null;

/** Every renderer -> main call. Every call resolves to plain JSON; failures carry { code, message, fix }. */
export interface VaultApi {
  profileGet(): Promise<ProfileView>;
  profileUpdate(update: { user?: UserUpdate; preferences?: PreferencesUpdate }): Promise<ProfileView>;
  credentialsList(): Promise<CredentialView[]>;
  credentialsSet(request: SetCredentialRequest): Promise<{ meta: CredentialMeta; warning?: string }>;
  credentialsDelete(ref: CredentialRef): Promise<boolean>;
  /** The value, for display only. */
  credentialsReveal(ref: CredentialRef): Promise<string>;
  /** Puts the value on the clipboard; main clears it after `clearsAfterMs` if it still holds it. */
  credentialsCopy(ref: CredentialRef): Promise<{ clearsAfterMs: number }>;
  workflowsValidate(): Promise<WorkflowStatus[]>;
  migrationPickFile(): Promise<string | null>;
  migrationPlan(request: MigrationRequest): Promise<MigrationPlanResult>;
  migrationApply(request: MigrationApplyRequest): Promise<ApplyResult>;
  runsList(filter: { status?: RunStatus; workflow?: string }): Promise<RunRecord[]>;
  runsStats(): Promise<RunStats>;
  auditList(filter: { event?: AuditEventName; credential?: string; limit?: number }): Promise<AuditEvent[]>;
  doctor(): Promise<DoctorReport>;
  /** Opens an https page on the allowlist (the catalog's "get it at" hosts) in the browser. */
  openExternal(url: string): Promise<void>;
}

export type VaultMethod = keyof VaultApi;

/** The channel of each method. */
export const CHANNELS = {
  profileGet: 'vault:profile.get',
  profileUpdate: 'vault:profile.update',
  credentialsList: 'vault:credentials.list',
  credentialsSet: 'vault:credentials.set',
  credentialsDelete: 'vault:credentials.delete',
  credentialsReveal: 'vault:credentials.reveal',
  credentialsCopy: 'vault:credentials.copy',
  workflowsValidate: 'vault:workflows.validate',
  migrationPickFile: 'vault:migration.pick-file',
  migrationPlan: 'vault:migration.plan',
  migrationApply: 'vault:migration.apply',
  runsList: 'vault:runs.list',
  runsStats: 'vault:runs.stats',
  auditList: 'vault:audit.list',
  doctor: 'vault:doctor',
  openExternal: 'vault:open-external',
} as const satisfies Record<VaultMethod, `vault:${string}`>;

/** Main -> renderer events. */
export const EVENTS = { profileChanged: 'vault:profile.changed' } as const;

/** What crosses IPC: a value, or an error without any secret. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: VaultErrorJSON };

/** What the preload exposes as `window.vault`: one method per channel, resolving to an envelope, plus the change event. */
export type VaultBridge = {
  [M in VaultMethod]: (...args: Parameters<VaultApi[M]>) => Promise<IpcResult<Awaited<ReturnType<VaultApi[M]>>>>;
} & {
  /** Called when the profile file changed on disk (e.g. the CLI edited it). Returns an unsubscribe function. */
  onProfileChanged(listener: () => void): () => void;
  /** The path of a file dropped on the page (Electron's webUtils.getPathForFile; "" when it has none). */
  pathForFile(file: DroppedFile): string;
};

/** A dropped file, as much of the DOM File type as the contract needs (shared/core has no DOM types). */
export interface DroppedFile {
  readonly name: string;
}
