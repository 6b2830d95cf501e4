import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { VaultError } from '../../core/errors';
import { RUN_STATUSES, type RunRecord, type RunStats, type RunStatus } from '../../core/records';
import { parseJson } from '../../core/json';
import { withFileLock } from '../profile/file-lock';
import { ensurePrivateDir, readSecureFile, stampOf, writeSecureFile } from '../profile/secure-fs';

export { RUN_STATUSES, type RunRecord, type RunStats, type RunStatus } from '../../core/records';

/**
 * Run history beside the profile (`runs.json`, 0600): the newest `limit`
 * runs, older ones dropped. Every change is a locked read-modify-write with
 * an atomic replace, like the profile. `maxBytes` bounds a read (default
 * 1 MiB, plenty for 500 runs; a larger `limit` needs a larger bound).
 */
export class RunHistory {
  constructor(readonly path: string, private readonly dedicatedDir: boolean, private readonly limit = 500, private readonly warn: (m: string) => void = () => {}, private readonly maxBytes?: number) {}

  /** All runs, newest first. */
  list(filter: { status?: string; workflow?: string } = {}): RunRecord[] {
    if (filter.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(filter.status)) {
      throw new VaultError('INVALID_ARGUMENT', 'Unknown run status.', `Use one of: ${RUN_STATUSES.join(', ')}.`);
    }
    return this.read()
      .filter((r) => (!filter.status || r.status === filter.status) && (!filter.workflow || r.workflow === filter.workflow))
      .reverse();
  }

  /** One run by id (or unique id prefix). Throws INVALID_ARGUMENT when unknown. */
  get(id: string): RunRecord {
    const matches = this.read().filter((r) => r.id === id || (id.length >= 4 && r.id.startsWith(id)));
    if (matches.length !== 1) throw new VaultError('INVALID_ARGUMENT', matches.length ? 'That run id prefix matches several runs.' : 'No run with that id.', 'List runs with: cpw-vault runs');
    return matches[0]!;
  }

  /** Starts a record (status pending) and returns it. */
  async start(run: Pick<RunRecord, 'workflow' | 'program' | 'credentials'> & Partial<Pick<RunRecord, 'inherited' | 'stripped' | 'masked'>>, now: Date): Promise<RunRecord> {
    const record: RunRecord = { id: randomBytes(6).toString('hex'), ...run, status: 'pending', exit_code: null, signal: null, started_at: now.toISOString(), finished_at: null, duration_ms: null };
    await this.mutate((runs) => [...runs, record]);
    return record;
  }

  /** Updates a record's fields. */
  async update(id: string, patch: Partial<RunRecord>): Promise<void> {
    await this.mutate((runs) => runs.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  }

  /** Removes a run; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const target = this.get(id);
    await this.mutate((runs) => runs.filter((r) => r.id !== target.id));
    return true;
  }

  stats(): RunStats {
    const runs = this.read();
    const by_status = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    const by_workflow: RunStats['by_workflow'] = {};
    for (const r of runs) {
      by_status[r.status]++;
      const w = (by_workflow[r.workflow] ??= { total: 0, succeeded: 0, failed: 0 });
      w.total++;
      if (r.status === 'succeeded') w.succeeded++;
      if (r.status === 'failed') w.failed++;
    }
    const finished = by_status.succeeded + by_status.failed;
    return { total: runs.length, by_status, by_workflow, success_rate: finished ? by_status.succeeded / finished : null };
  }

  private read(): RunRecord[] {
    if (!stampOf(this.path)) return [];
    const parsed = parseJson(readSecureFile(this.path, { warn: this.warn, ...(this.maxBytes ? { maxBytes: this.maxBytes } : {}) }).text);
    if (!parsed.ok || !Array.isArray(parsed.value)) {
      throw new VaultError('IO_ERROR', `${this.path} is damaged (not a JSON list of runs).`, `Move it aside to start a new history: mv ${this.path} ${this.path}.bad`);
    }
    return parsed.value as RunRecord[];
  }

  private async mutate(fn: (runs: RunRecord[]) => RunRecord[]): Promise<void> {
    ensurePrivateDir(dirname(this.path), this.dedicatedDir);
    await withFileLock(this.path, async (lock) => {
      const next = fn(this.read()).slice(-this.limit);
      lock.assertHeld();
      await writeSecureFile(this.path, `${JSON.stringify(next, null, 1)}\n`, this.dedicatedDir);
    });
  }
}
