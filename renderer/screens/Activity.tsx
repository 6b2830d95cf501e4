import { useEffect, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Page } from '../../shared/core/ipc-contract';
import { AUDIT_EVENTS, RUN_STATUSES, formatDuration, runExit, type AuditEventName, type RunStatus } from '../../shared/core/records';
import { WORKFLOW_NAMES } from '../../shared/core/workflows';
import { ErrorNote, Field, Loading, SoftButton, When } from '../components/common';
import { useVault } from '../store';
import { ACTIVITY_PAGE, selectActivityTabState, type ActivityTab } from '../store/activity-slice';

const TABS: Array<{ id: ActivityTab; label: string }> = [{ id: 'runs', label: 'Pipeline runs' }, { id: 'audit', label: 'Audit log' }];

/** "101–200 of 10,000" with Previous / Next. */
function Pager({ page, what, onPage }: { page: Page<unknown>; what: string; onPage: (offset: number) => void }) {
  const first = page.total ? page.offset + 1 : 0;
  const last = page.offset + page.items.length;
  return (
    <nav className="pager" aria-label={`${what} pages`}>
      {/* Soft, not `disabled`: Next pressed from the keyboard onto the last page turned off under the focus, which fell to <body>. */}
      <SoftButton type="button" onClick={() => onPage(Math.max(0, page.offset - ACTIVITY_PAGE))} off={page.offset === 0}>Previous</SoftButton>
      <span>{first.toLocaleString('en')}–{last.toLocaleString('en')} of {page.total.toLocaleString('en')} {what}</span>
      <SoftButton type="button" onClick={() => onPage(page.offset + ACTIVITY_PAGE)} off={last >= page.total}>Next</SoftButton>
    </nav>
  );
}

/**
 * A record's text field as shown: the history keeps any start line with an id, a workflow and a start time, and the
 * audit log any line with a time and a known event, so a hand edit can leave an object where the program, status,
 * caller or credential goes, and React rendering one threw (a blank window). The workflow too: a later update line's
 * patch replaces it with whatever it holds.
 */
const text = (v: unknown): string => (typeof v === 'string' && v ? v : '—');

function Runs() {
  const a = useVault(useShallow((s) => ({ runs: s.runs, stats: s.runStats, status: s.runStatusFilter, workflow: s.runWorkflowFilter, setFilters: s.setRunFilters, load: s.loadRuns, zone: s.profile?.profile.user.timezone })));
  const rate = a.stats?.success_rate;
  return (
    <>
      <div className="row filters">
        <Field label="Status">{(f) => <select id={f.id} value={a.status} onChange={(e) => void a.setFilters({ runStatusFilter: e.target.value as RunStatus | '' })}><option value="">All</option>{RUN_STATUSES.map((s) => <option key={s}>{s}</option>)}</select>}</Field>
        <Field label="Workflow">{(f) => <select id={f.id} value={a.workflow} onChange={(e) => void a.setFilters({ runWorkflowFilter: e.target.value })}><option value="">All</option>{WORKFLOW_NAMES.map((w) => <option key={w}>{w}</option>)}</select>}</Field>
      </div>
      {a.stats && (
        <p className="stats">
          {a.stats.total.toLocaleString('en')} runs · {a.stats.by_status.succeeded.toLocaleString('en')} succeeded · {a.stats.by_status.failed.toLocaleString('en')} failed · {a.stats.by_status.refused.toLocaleString('en')} refused · {a.stats.by_status.running} running{a.stats.by_status.interrupted ? ` · ${a.stats.by_status.interrupted.toLocaleString('en')} interrupted` : ''} · success rate {rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`}
        </p>
      )}
      {a.runs && (a.runs.total === 0 ? (a.status || a.workflow ? <p>No runs match these filters.</p> : <p>No runs yet. Run a stage with <code>cpw-vault exec --workflow … -- …</code>.</p>) : (
        <>
          <Pager page={a.runs} what="runs" onPage={(o) => void a.load(o)} />
          <table>
            <caption className="sr-only">Runs</caption>
            <thead><tr><th scope="col">Started{a.zone ? ` (${a.zone})` : ''}</th><th scope="col">Workflow</th><th scope="col">Program</th><th scope="col">Status</th><th scope="col">Exit</th><th scope="col">Duration</th></tr></thead>
            <tbody>
              {a.runs.items.map((r) => (
                <tr key={r.id}><td><When iso={r.started_at} seconds /></td><td>{text(r.workflow)}</td><td><code>{text(r.program)}</code></td><td>{text(r.status)}</td><td>{runExit(r) ?? '—'}</td><td>{r.duration_ms === null ? '—' : formatDuration(r.duration_ms)}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      ))}
    </>
  );
}

function Audit() {
  const a = useVault(useShallow((s) => ({ audit: s.audit, event: s.auditFilter, credential: s.auditCredentialFilter, setFilters: s.setAuditFilters, load: s.loadAudit, credentials: s.credentials, zone: s.profile?.profile.user.timezone })));
  // The credential filtered on keeps its option once it is no longer listed (deleted, e.g. by the CLI): without one, the
  // select showed "All" over that credential's events, and picking All (already shown) changed nothing.
  const gone = !!a.credential && !a.credentials.some((c) => c.id === a.credential);
  return (
    <>
      <div className="row filters">
        <Field label="Event">{(f) => <select id={f.id} value={a.event} onChange={(e) => void a.setFilters({ auditFilter: e.target.value as AuditEventName | '' })}><option value="">All</option>{AUDIT_EVENTS.map((x) => <option key={x}>{x}</option>)}</select>}</Field>
        <Field label="Credential">{(f) => <select id={f.id} value={a.credential} onChange={(e) => void a.setFilters({ auditCredentialFilter: e.target.value })}><option value="">All</option>{a.credentials.map((c) => <option key={c.id} value={c.id}>{c.id}</option>)}{gone && <option value={a.credential}>{a.credential} (not stored now)</option>}</select>}</Field>
      </div>
      {a.audit && (a.audit.total === 0 ? <p>No events{a.event || a.credential ? ' match these filters' : ' yet'}.</p> : (
        <>
          <Pager page={a.audit} what="events" onPage={(o) => void a.load(o)} />
          <table>
            <caption className="sr-only">Audit events</caption>
            <thead><tr><th scope="col">When{a.zone ? ` (${a.zone})` : ''}</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Credential</th></tr></thead>
            <tbody>
              {a.audit.items.map((e, i) => <tr key={`${a.audit!.offset + i}`}><td><When iso={e.ts} seconds /></td><td>{e.event}</td><td>{text(e.caller)}</td><td>{text(e.credential)}</td></tr>)}
            </tbody>
          </table>
        </>
      ))}
    </>
  );
}

/** Pipeline runs and audit events in two tabs, each paged (10,000 rows stay smooth), filters on top, times in the profile's zone. */
export function Activity() {
  const a = useVault(useShallow((s) => ({ tab: s.activityTab, setTab: s.setActivityTab, loadRuns: s.loadRuns, loadAudit: s.loadAudit, ...selectActivityTabState(s), loadProfile: s.loadProfile, loadCredentials: s.loadCredentials })));
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  const { tab, loadRuns, loadAudit, loadProfile, loadCredentials } = a;
  useEffect(() => void Promise.all([loadProfile(), loadCredentials()]), [loadProfile, loadCredentials]);
  useEffect(() => void (tab === 'runs' ? loadRuns() : loadAudit()), [tab, loadRuns, loadAudit]);
  const onKey = (e: KeyboardEvent, i: number) => {
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    a.setTab(TABS[next]!.id);
    tabs.current[next]?.focus();
  };
  return (
    <div className="activity">
      <div role="tablist" aria-label="Activity">
        {TABS.map((t, i) => (
          <button key={t.id} type="button" role="tab" id={`tab-${t.id}`} aria-controls={`panel-${t.id}`} aria-selected={tab === t.id} tabIndex={tab === t.id ? 0 : -1} ref={(el) => void (tabs.current[i] = el)} onClick={() => a.setTab(t.id)} onKeyDown={(e) => onKey(e, i)}>{t.label}</button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {a.error && <ErrorNote error={a.error} onRetry={() => void (tab === 'runs' ? loadRuns() : loadAudit())} />}
        {a.loading && !a.loaded && <Loading what="activity" />}
        {tab === 'runs' ? <Runs /> : <Audit />}
      </div>
    </div>
  );
}
