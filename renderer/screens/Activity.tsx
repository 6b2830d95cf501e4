import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { AUDIT_EVENTS, RUN_STATUSES, type AuditEventName, type RunStatus } from '../../shared/core/records';
import { WORKFLOW_NAMES } from '../../shared/core/workflows';
import { ErrorNote, Field, Loading, When } from '../components/common';
import { useVault } from '../store';

/** Audit events and pipeline runs, with filters and the run statistics. */
export function Activity() {
  const a = useVault(useShallow((s) => ({
    audit: s.audit, runs: s.runs, stats: s.runStats, auditFilter: s.auditFilter, status: s.runStatusFilter, workflow: s.runWorkflowFilter,
    loading: s.activityLoading, error: s.activityError, load: s.loadActivity, filter: s.setActivityFilters,
  })));
  const { load } = a;
  useEffect(() => void load(), [load]);
  if (a.error) return <ErrorNote error={a.error} onRetry={() => void a.load()} />;
  if (a.loading && !a.stats) return <Loading what="activity" />;
  const rate = a.stats?.success_rate;
  return (
    <div className="activity">
      <section aria-labelledby="stats-h">
        <h2 id="stats-h">Pipeline runs</h2>
        {a.stats && (
          <p className="stats">
            {a.stats.total} runs · {a.stats.by_status.succeeded} succeeded · {a.stats.by_status.failed} failed · {a.stats.by_status.running} running · success rate {rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`}
          </p>
        )}
        <div className="row">
          <Field label="Status">
            {(f) => <select id={f.id} value={a.status} onChange={(e) => void a.filter({ runStatusFilter: e.target.value as RunStatus | '' })}><option value="">All</option>{RUN_STATUSES.map((s) => <option key={s}>{s}</option>)}</select>}
          </Field>
          <Field label="Workflow">
            {(f) => <select id={f.id} value={a.workflow} onChange={(e) => void a.filter({ runWorkflowFilter: e.target.value })}><option value="">All</option>{WORKFLOW_NAMES.map((w) => <option key={w}>{w}</option>)}</select>}
          </Field>
        </div>
        {a.runs.length === 0 ? <p>No runs yet. Run a stage with <code>cpw-vault exec --workflow … -- …</code>.</p> : (
          <table>
            <caption className="sr-only">Runs</caption>
            <thead><tr><th scope="col">Started</th><th scope="col">Workflow</th><th scope="col">Program</th><th scope="col">Status</th><th scope="col">Exit</th><th scope="col">Duration</th></tr></thead>
            <tbody>
              {a.runs.map((r) => (
                <tr key={r.id}><td><When iso={r.started_at} /></td><td>{r.workflow}</td><td><code>{r.program}</code></td><td>{r.status}</td><td>{r.exit_code ?? '—'}</td><td>{r.duration_ms === null ? '—' : `${(r.duration_ms / 1000).toFixed(1)} s`}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="audit-h">
        <h2 id="audit-h">Audit log</h2>
        <Field label="Event">
          {(f) => <select id={f.id} value={a.auditFilter} onChange={(e) => void a.filter({ auditFilter: e.target.value as AuditEventName | '' })}><option value="">All</option>{AUDIT_EVENTS.map((x) => <option key={x}>{x}</option>)}</select>}
        </Field>
        {a.audit.length === 0 ? <p>No events yet.</p> : (
          <table>
            <caption className="sr-only">Audit events</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Credential</th></tr></thead>
            <tbody>
              {a.audit.map((e, i) => <tr key={`${e.ts}-${i}`}><td><When iso={e.ts} /></td><td>{e.event}</td><td>{e.caller}</td><td>{e.credential ?? '—'}</td></tr>)}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
