import { hasLoneSurrogate, type CredentialId } from './credential';
import type { CredentialMeta, Profile } from './profile-schema';
import type { KeychainStatus } from './secret-store';
import type { WorkflowStatus } from './workflows';

/** Who is asking: recorded with every credential read in the audit log. */
export type Caller = 'cli' | 'app' | 'library';

/** Where a credential's value comes from. */
export type CredentialSource =
  | { kind: 'env'; name: string }
  /** The secret store; `store: 'file'` when it is the age vault file (no keychain involved). */
  | { kind: 'keychain'; store?: 'file' }
  | { kind: 'profile' }
  | { kind: 'legacy'; path: string };

/** A credential as listed: metadata only, never its value. */
export interface CredentialView {
  id: CredentialId;
  service: string;
  key: string;
  label: string;
  secret: boolean;
  custom: boolean;
  envVars: string[];
  url?: string;
  formatHint?: string;
  /** The profile's index says a value is stored (keychain or profile slot). */
  stored: boolean;
  /** Where a read would take the value from now; null when nowhere. */
  source: CredentialSource | null;
  meta?: CredentialMeta;
}

/**
 * What exec needs of each credential: the env vars that carry it (stripped from a stage that does not use it) and
 * whether a value is stored as a secret (masked in its output). A {@link CredentialView} is one; exec builds these
 * alone, without the last use, label and source a list shows.
 */
export type CredentialCarrier = Pick<CredentialView, 'id' | 'secret' | 'custom' | 'envVars' | 'stored'> & { meta?: Pick<CredentialMeta, 'storage'> };

/** The profile as shown to a caller: where it lives and what it holds (no secrets, ever). */
export interface ProfileView {
  path: string;
  kind: 'profile' | 'legacy' | 'none';
  profile: Profile;
}

/** Human label of a source, for tables and screens. */
export function sourceLabel(source: CredentialSource | null): string {
  if (!source) return 'missing';
  if (source.kind === 'env') return `env ${source.name}`;
  // kind 'keychain' is the secret store, whichever it is: with the age vault file, say so.
  if (source.kind === 'keychain' && source.store === 'file') return 'vault file';
  return source.kind === 'legacy' ? 'secrets.json (deprecated)' : source.kind;
}

/** What `doctor` found about the profile file. */
export interface ProfileReport {
  path: string;
  kind: 'profile' | 'legacy' | 'none';
  mode: string | null;
  dir_mode: string | null;
  version: string | null;
  problems: Array<{ code: string; message: string; fix: string }>;
  /** What works but deserves a word (a profile in a folder others can write, sticky like /tmp). */
  warnings?: string[];
  /**
   * Set when there is no profile yet and every problem is the deprecated config/secrets.json's (read in the
   * profile's place, and broken): its path. Not a damaged profile: creating one is the way on.
   */
  legacy?: string;
}

/** What a repair of the index found and did: credential names and counts, never a value. */
export interface RepairSummary {
  /** Interrupted changes (a crashed writer's) finished. */
  recovered: number;
  /** Credentials found in the keychain and indexed again. */
  added: string[];
  /** Index entries whose value is gone from the keychain (removed by a repair). */
  stale: string[];
  dropped: string[];
  /** Values in the keychain's namespace that are not catalog credentials nor indexed: left alone. */
  orphans: string[];
  /** Catalog credentials not indexed, left alone: the namespace is the default profile's too (a profile the first versions made). */
  shared: string[];
  /** Why the repair compared nothing (a profile that cannot be read), when it did not: absent when it ran. */
  skipped?: string;
}

/** A change to credentials another cpw-vault started and has not finished (a journal transaction): names only. */
export interface UnfinishedChange {
  credentials: string[];
  started_at: string;
  /** Who runs it: "process 40", "process 1 in another pid namespace (a container)", "process 7 on HOST". */
  owner: string;
  /** For an owner that cannot be seen from here: from when it counts as abandoned and any command finishes it. */
  abandoned_at?: string;
}

/**
 * A backend switch (`cpw-vault backend use`) that was started and not finished: until it is, both backends hold
 * the secrets (the one the profile names is the one in use). Names only.
 */
export interface UnfinishedSwitch {
  from: string;
  to: string;
  /** The backend the profile names: it holds every secret. */
  in_use: string;
  started_at: string;
  /** Who started it (as {@link UnfinishedChange.owner}). */
  owner: string;
  /**
   * `running`: its owner still runs here. `unseen`: its owner cannot be seen from here (another pid namespace or
   * host): finished from here after `abandoned_at`. `interrupted`: its owner is gone, and finishing it failed (a
   * backend that could not be asked), or was not tried yet.
   */
  state: 'running' | 'unseen' | 'interrupted';
  abandoned_at?: string;
}

/** Everything `doctor` checks, as one document (CLI `doctor --json`, the app's banner). */
export interface DoctorReport {
  ok: boolean;
  /** What `doctor --repair` did (names and counts only). */
  repair?: RepairSummary;
  profile: ProfileReport;
  /** The backend the profile names, which holds the secrets: `keychain` or `file` (the age vault file). `keychain.backend` describes it. */
  storage: string;
  keychain: KeychainStatus;
  workflows: WorkflowStatus[];
  /** Changes other cpw-vaults started and have not finished (absent when none). */
  unfinished?: UnfinishedChange[];
  /** A backend switch left unfinished (absent when none): a problem, `ok` is false. */
  backend_switch?: UnfinishedSwitch;
  /** Credentials the index lists whose value the secret store no longer holds (removed outside cpw-vault); absent when none. */
  stale?: CredentialId[];
}

/**
 * True when a label of `creds` holds half of a UTF-16 pair (a hand wrote \ud800 in the profile): a listing that shows
 * labels (`list`, the app's list) then gives the full read's PROFILE_INVALID, naming the field, instead of sending it
 * on: `list --json` printed it as "\ud800", which no UTF-8 reader can hold (Python's print fails on it), the app as
 * U+FFFD. The read side itself reads on without the schema, as for any field only the full read checks: `get`,
 * `env` and `exec` print no label, and a pipeline keeps its keys.
 */
export function holdsBrokenLabel(creds: readonly CredentialView[]): boolean {
  return creds.some((c) => hasLoneSurrogate(c.label));
}
