import type { TxOwner } from './journal';
import type { Caller } from './views';

/**
 * Status of a pipeline run started with `cpw-vault exec`. `refused`: exec did
 * not start the command because a credential the workflow needs is missing.
 * `interrupted`: the exec that ran it ended (killed, crashed, the machine
 * restarted) before it could record how the stage ended, so its outcome is
 * unknown; never counted as succeeded or failed.
 */
export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'refused', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One recorded run: names only (program without its arguments, credentials by id), never a value. */
export interface RunRecord {
  id: string;
  workflow: string;
  program: string;
  credentials: string[];
  status: RunStatus;
  exit_code: number | null;
  signal: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  /** Credentials whose env vars the child inherited from the parent (`exec --inherit-secrets`). */
  inherited?: string[];
  /** Credentials whose env vars were removed from the child's environment (least privilege). */
  stripped?: string[];
  /** Whether the child's output was masked. */
  masked?: boolean;
  /** The exec process that records the run's end (in the history file only; never shown). */
  owner?: TxOwner;
}

/** Counts by status and by workflow, and the success rate of finished runs. */
export interface RunStats {
  total: number;
  by_status: Record<RunStatus, number>;
  by_workflow: Record<string, { total: number; succeeded: number; failed: number }>;
  /** succeeded / (succeeded + failed), or null when none finished. */
  success_rate: number | null;
}

/** Every kind of audited action. */
export const AUDIT_EVENTS = ['profile_updated', 'credential_set', 'credential_deleted', 'credential_read', 'migration_applied', 'passphrase_changed', 'credential_verified', 'vault_unlocked', 'vault_locked', 'credentials_exported', 'backend_switched', 'credentials_imported'] as const;
export type AuditEventName = (typeof AUDIT_EVENTS)[number];

/** One line of the audit log. Names and counts only: never a value. */
export interface AuditEvent {
  ts: string;
  event: AuditEventName;
  caller: Caller;
  credential?: string;
  details?: Record<string, string | number | boolean | string[]>;
}

/**
 * A duration for people: "850 ms", "42 s", "9 min 16 s", "2 h 5 min".
 * Used by the Activity screen and desktop notifications alike.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/**
 * How a run ended, for its EXIT column (the CLI's `runs` and the app's Activity alike): the signal it ended by, when
 * there is one, else its exit code; undefined for neither (running, refused, or a damaged line's odd field). The
 * signal first: exec ends by a signal its stage never got (one after the stage exited, or one answered with exit 0
 * as it started), recorded with the stage's own exit code beside it, and "failed 0" read as a contradiction.
 */
export function runExit(run: Pick<RunRecord, 'exit_code' | 'signal'>): string | undefined {
  if (typeof run.signal === 'string' && run.signal) return run.signal;
  return Number.isInteger(run.exit_code) ? String(run.exit_code) : undefined;
}

/** Counts by status and workflow. Keyed by names from the file: objects without a prototype (a workflow "__proto__" is a workflow). */
export function runStats(runs: readonly RunRecord[]): RunStats {
  const by_status = Object.assign(Object.create(null) as Record<RunStatus, number>, Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])));
  const by_workflow = Object.create(null) as RunStats['by_workflow'];
  for (const r of runs) {
    // A hand-written or damaged line may lack either, or hold another type: counted as "unknown", not "undefined".
    const status = (typeof r.status === 'string' && r.status ? r.status : 'unknown') as RunStatus;
    by_status[status] = (by_status[status] ?? 0) + 1;
    const w = (by_workflow[typeof r.workflow === 'string' ? r.workflow : 'unknown'] ??= { total: 0, succeeded: 0, failed: 0 });
    w.total++;
    if (r.status === 'succeeded') w.succeeded++;
    if (r.status === 'failed') w.failed++;
  }
  const finished = by_status.succeeded + by_status.failed;
  return { total: runs.length, by_status, by_workflow, success_rate: finished ? by_status.succeeded / finished : null };
}
