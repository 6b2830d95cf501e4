import type { Caller } from './views';

/** Status of a pipeline run started with `cpw-vault exec`. */
export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;
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
export const AUDIT_EVENTS = ['profile_updated', 'credential_set', 'credential_deleted', 'credential_read', 'migration_applied', 'passphrase_changed', 'vault_unlocked', 'vault_locked', 'credentials_exported'] as const;
export type AuditEventName = (typeof AUDIT_EVENTS)[number];

/** One line of the audit log. Names and counts only: never a value. */
export interface AuditEvent {
  ts: string;
  event: AuditEventName;
  caller: Caller;
  credential?: string;
  details?: Record<string, string | number | boolean | string[]>;
}
