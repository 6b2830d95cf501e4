/**
 * The one IPC contract: every renderer -> main call, with its argument and result types. Main registers one handler
 * object typed from it (a missing handler does not compile), the preload exposes one method per channel, and
 * renderer/api.ts calls them. Arguments are re-validated in main with the schemas of ipc-schemas.ts: the renderer is
 * untrusted input. No call takes a file path: migration sources are opaque handles main mints for files it found, or
 * that the user chose in main's dialog or dropped (resolved by the preload, confirmed in main's dialog).
 */
import type { VaultErrorJSON } from './errors';
import type { ApplyResult, MigrationPlan } from './migration-plan';
import type { CredentialMeta } from './profile-schema';
import type { PreferencesUpdate, UserUpdate } from './profile-parse';
import type { AuditEvent, AuditEventName, RunRecord, RunStats, RunStatus } from './records';
import type { VerificationResult } from './verification';
import type { CredentialView, DoctorReport, ProfileView } from './views';
import type { WorkflowStatus } from './workflows';
import type { TeamView } from './team-view';
import type { PlantedRow } from './team-planted';
import type { AgentNotAnswering } from './secret-store';

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

/** A migration source main vouches for: an opaque handle, and the path for display only. */
export interface MigrationSource {
  handle: string;
  path: string;
  /** found: main discovered it (config/secrets.json, a seed profile, the HuggingFace token file); picked: main's file dialog; dropped: a dropped file the user confirmed. */
  origin: 'found' | 'picked' | 'dropped';
}

/** A migration source (by handle) and the per-row choices. */
export interface MigrationRequest {
  source: string;
  /** Conflicts to overwrite (credential ids), or all. */
  overwrite?: string[] | 'all';
  includeUnknown?: boolean;
  /** migrationApply: the `reviewed` of the plan the user saw (apply refuses a source that changed since). */
  reviewed?: string;
}

/** The plan for a source. */
export interface MigrationPlanResult {
  source: MigrationSource;
  plan: MigrationPlan;
}

/** A migration's plan, with what names the source's content as planned (an opaque tag, no value in it): migrationApply must be given it back. */
export interface ReviewedPlan extends MigrationPlanResult {
  reviewed: string;
}

/** What "Remove the plaintext files" did. Main asks in its own dialog first. */
export interface RemovePlaintextResult {
  /** The user said no in main's dialog: nothing was removed. */
  cancelled: boolean;
  removed: string[];
  /** Plaintext files still on disk. */
  left: string[];
  /** Why nothing was removed, when entries would have been lost. */
  kept?: string;
  /** What to do about it in the app (absent when `kept` says it itself). */
  fix?: string;
}

/** One page of a long list, newest first. */
export interface Page<T> {
  items: T[];
  /** Matching items in all pages. */
  total: number;
  offset: number;
}

/** Which runs to list (newest first), and which page. */
export interface RunFilter {
  status?: RunStatus;
  workflow?: string;
  offset?: number;
  limit?: number;
}

/** Which audit events to list (newest first), and which page. */
export interface AuditFilter {
  event?: AuditEventName;
  /** Credential id, exact. */
  credential?: string;
  offset?: number;
  limit?: number;
}

/** A dropped file, as much of the DOM File type as the contract needs (shared/core has no DOM types). */
export interface DroppedFile {
  readonly name: string;
}

/** A team file main vouches for (chosen in main's dialog): an opaque handle, and the path for display only. */
export interface TeamFileRef {
  handle: string;
  path: string;
}

/** Where the secrets live (Security section), and whether they can be read now. Never a value or a key. */
export interface SecurityStatus {
  /** `keychain` (the OS keychain) or `file` (the age vault file beside the profile). */
  backend: string;
  /** Usable now. */
  ok: boolean;
  /** When not: why (KEYCHAIN_* or VAULT_LOCKED, VAULT_NOT_FOUND...), and the fix. */
  code?: string;
  message?: string;
  fix?: string;
  /** The vault file backend: until when the unlock agent keeps it open, null when locked; absent when its agent cannot be asked (code says why). */
  unlockedUntil?: string | null;
  /** The vault file backend: its unlock agent is alive but did not answer (stopped, busy, hung), so it may still hold the key; Lock now ends it. */
  agentNotAnswering?: AgentNotAnswering;
  /** No Secret Service is reachable: the app offers the vault file (nothing switches by itself). */
  offerFile: boolean;
  /** Why Lock now's second round, as a backend switch ended, failed (shown where Lock now's errors go, until pressed or locked). */
  lockFailed?: VaultErrorJSON;
}

/** What the app asks the providers about: one credential (its Test button), or every credential that has a value ("Verify all"). */
export type VerifyRequest = { kind: 'credential'; service: string; key: string } | { kind: 'all' };

/** The providers' answers: one result per credential asked about (never a value, never a response body), and what "Verify all" passed over. */
export interface VerifyOutcome {
  results: VerificationResult[];
  skipped: Array<{ credential: string; reason: string }>;
}

/** Every renderer -> main call. Every call resolves to plain JSON; failures carry { code, message, fix }. */
export interface VaultApi {
  profileGet(): Promise<ProfileView>;
  profileUpdate(update: { user?: UserUpdate; preferences?: PreferencesUpdate }): Promise<ProfileView>;
  /** The saved avatar, fetched by main (https only, size and type checked), as a data: URL; null when there is none or it failed. */
  profileAvatar(): Promise<string | null>;
  /** Tightens the profile file to 0600 (and its own folder to 0700); returns doctor's new report. */
  profileFixPermissions(): Promise<DoctorReport>;
  credentialsList(): Promise<CredentialView[]>;
  credentialsSet(request: SetCredentialRequest): Promise<{ meta: CredentialMeta; warning?: string }>;
  credentialsDelete(ref: CredentialRef): Promise<boolean>;
  /** The value, for display only. */
  credentialsReveal(ref: CredentialRef): Promise<string>;
  /** Puts the value on the clipboard; main clears it after `clearsAfterMs` if it still holds it, and says so with EVENTS.clipboardCleared. */
  credentialsCopy(ref: CredentialRef): Promise<{ clearsAfterMs: number }>;
  workflowsValidate(): Promise<WorkflowStatus[]>;
  /** Asks each provider whether the key works (main reads the value, picks the endpoint from its own environment, records the outcome). */
  credentialsVerify(request: VerifyRequest): Promise<VerifyOutcome>;
  /** The plaintext sources main found by itself. */
  migrationSources(): Promise<MigrationSource[]>;
  /** Main's own file dialog; null when cancelled. */
  migrationPickFile(): Promise<MigrationSource | null>;
  /** A dropped file: the preload resolves its path, main asks the user to confirm it; null when declined. */
  migrationDrop(file: DroppedFile): Promise<MigrationSource | null>;
  migrationPlan(request: MigrationRequest): Promise<ReviewedPlan>;
  migrationApply(request: MigrationRequest): Promise<ApplyResult>;
  /** Deletes the source and its backups once every entry is in the vault, after main's own confirmation dialog. */
  migrationRemovePlaintext(request: { source: string }): Promise<RemovePlaintextResult>;
  runsList(filter: RunFilter): Promise<Page<RunRecord>>;
  runsStats(): Promise<RunStats>;
  auditList(filter: AuditFilter): Promise<Page<AuditEvent>>;
  doctor(): Promise<DoctorReport>;
  securityStatus(): Promise<SecurityStatus>;
  /** The vault file: opens it with the passphrase (one scrypt) and starts the unlock agent (8 h), shared with the CLI. */
  securityUnlock(request: { passphrase: string }): Promise<SecurityStatus>;
  /** Stops the unlock agent. */
  securityLock(): Promise<SecurityStatus>;
  /** The vault file: current (verified), then the new one (at least 12 characters); the agent is stopped afterwards. */
  securityChangePassphrase(request: { current: string; next: string }): Promise<SecurityStatus>;
  /** Moves every secret to the other backend, all or nothing (to the file: the new vault's passphrase). */
  securityUseBackend(request: { backend: 'keychain' | 'file'; passphrase?: string }): Promise<{ moved: string[]; status: SecurityStatus }>;
  /**
   * Writes every secret to an age file main's save dialog names, encrypted with `passphrase`; null when the dialog was
   * cancelled. `warnings`: each credential left out (listed without a value), as the CLI warns of it.
   */
  securityExport(request: { passphrase: string }): Promise<{ file: string; count: number; warnings: string[] } | null>;
  /** Main's open dialog for an export file; null when cancelled. */
  securityImportPick(): Promise<MigrationSource | null>;
  /** Decrypts the chosen export (kept in main's memory) and plans it like a migration. */
  securityImportPlan(request: { source: string; passphrase: string; overwrite?: string[] | 'all' }): Promise<MigrationPlanResult>;
  /** Applies the plan of an export decrypted by securityImportPlan, all or nothing. */
  securityImportApply(request: { source: string; overwrite?: string[] | 'all' }): Promise<{ imported: string[] }>;
  /** Opens one of the catalog's "get it at" pages (exactly) in the browser. */
  openExternal(url: string): Promise<void>;
  /** Team vault: main's file dialog for a cpw-team.age; null when cancelled. */
  teamPickFile(): Promise<TeamFileRef | null>;
  /** Members, key names (never values), whether you are a recipient, which of your values differ. */
  teamStatus(request: { handle: string }): Promise<TeamView>;
  /** Your team public key, created in your secret store on first use. */
  teamIdentity(): Promise<{ recipient: string }>;
  /** The pull plan, shown before anything is written, and the tag of what it was made from (no value in it). */
  teamPullPlan(request: { handle: string }): Promise<{ plan: MigrationPlan; reviewed: string }>;
  /** Pulls only what the plan tagged `reviewed` showed: a team file changed since is refused, nothing written. */
  teamPull(request: { handle: string; reviewed: string }): Promise<{ ok: boolean; imported: number; notUndone?: string[]; failedCode?: string }>;
  /**
   * `withheld`: keys the file names that this vault never shared (a teammate may have named a personal key): not sent.
   * `planted`: the team identity rows planted in the file that the rewrite removed (their places, never a value).
   */
  teamPush(request: { handle: string }): Promise<{ updated: string[]; withheld: string[]; to_rotate?: string[]; planted: PlantedRow[] }>;
}

/** The name of a renderer -> main call. */
export type VaultMethod = keyof VaultApi;

/**
 * What main receives per channel. The same as the renderer sends, except
 * where the preload transforms the call: a dropped File crosses as the path
 * webUtils.getPathForFile gave it (main still asks the user to confirm it).
 */
export type MainArgs<M extends VaultMethod> = M extends 'migrationDrop' ? [path: string] : Parameters<VaultApi[M]>;

/** The channel of each method. */
export const CHANNELS = {
  profileGet: 'vault:profile.get',
  profileUpdate: 'vault:profile.update',
  profileAvatar: 'vault:profile.avatar',
  profileFixPermissions: 'vault:profile.fix-permissions',
  credentialsList: 'vault:credentials.list',
  credentialsSet: 'vault:credentials.set',
  credentialsDelete: 'vault:credentials.delete',
  credentialsReveal: 'vault:credentials.reveal',
  credentialsCopy: 'vault:credentials.copy',
  workflowsValidate: 'vault:workflows.validate',
  credentialsVerify: 'vault:credentials.verify',
  migrationSources: 'vault:migration.sources',
  migrationPickFile: 'vault:migration.pick-file',
  migrationDrop: 'vault:migration.drop',
  migrationPlan: 'vault:migration.plan',
  migrationApply: 'vault:migration.apply',
  migrationRemovePlaintext: 'vault:migration.remove-plaintext',
  runsList: 'vault:runs.list',
  runsStats: 'vault:runs.stats',
  auditList: 'vault:audit.list',
  doctor: 'vault:doctor',
  securityStatus: 'vault:security.status',
  securityUnlock: 'vault:security.unlock',
  securityLock: 'vault:security.lock',
  securityChangePassphrase: 'vault:security.change-passphrase',
  securityUseBackend: 'vault:security.use-backend',
  securityExport: 'vault:security.export',
  securityImportPick: 'vault:security.import-pick',
  securityImportPlan: 'vault:security.import-plan',
  securityImportApply: 'vault:security.import-apply',
  openExternal: 'vault:open-external',
  teamPickFile: 'vault:team.pick-file',
  teamStatus: 'vault:team.status',
  teamIdentity: 'vault:team.identity',
  teamPullPlan: 'vault:team.pull-plan',
  teamPull: 'vault:team.pull',
  teamPush: 'vault:team.push',
} as const satisfies Record<VaultMethod, `vault:${string}`>;

/** Main -> renderer events. */
export const EVENTS = {
  /** The profile file changed on disk (e.g. the CLI edited it). */
  profileChanged: 'vault:profile.changed',
  /** The run history changed (a pipeline run started or ended). */
  runsChanged: 'vault:runs.changed',
  /** The audit log changed (an event appended, by this app or another process: a CLI `get`, a pipeline stage). */
  auditChanged: 'vault:audit.changed',
  /** The vault file's unlock agent started or stopped anywhere (a terminal's unlock or lock, its time to live, a kill): no payload, the window asks. */
  vaultLockChanged: 'vault:lock.changed',
  /** The clipboard timer fired: `cleared` is false when the clipboard held something else by then (left alone). */
  clipboardCleared: 'vault:clipboard.cleared',
} as const;

/** The name of a main -> renderer event. */
export type VaultEvent = keyof typeof EVENTS;

/** The payload of each event. */
export interface EventPayloads {
  profileChanged: undefined;
  runsChanged: undefined;
  auditChanged: undefined;
  vaultLockChanged: undefined;
  clipboardCleared: { cleared: boolean };
}

/** What crosses IPC: a value, or an error without any secret. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: VaultErrorJSON };

/** What the preload exposes as `window.vault`: one method per channel, resolving to an envelope, plus one subscription per event. */
export type VaultBridge = {
  [M in VaultMethod]: (...args: Parameters<VaultApi[M]>) => Promise<IpcResult<Awaited<ReturnType<VaultApi[M]>>>>;
} & {
  /** Subscribes to a main -> renderer event. Returns an unsubscribe function. */
  on<E extends VaultEvent>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
};
