import { useEffect, useState, type DragEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { PlanRow } from '../../shared/core/migration-plan';
import { pathForFile } from '../api';
import { ErrorNote, Loading } from '../components/common';
import { useVault } from '../store';

const ACTION_TEXT: Record<PlanRow['action'], string> = { import: 'Import', identical: 'Already stored', conflict: 'Conflict', unknown: 'Unknown key', invalid: 'Invalid' };

/** The plan: one row per source entry, per-row overwrite for conflicts. Never a value. */
export function PlanTable({ rows, overwrite, onToggle, disabled }: { rows: PlanRow[]; overwrite: string[]; onToggle: (id: string) => void; disabled?: boolean }) {
  return (
    <table className="plan">
      <caption>Migration plan</caption>
      <thead>
        <tr><th scope="col">Source key</th><th scope="col">Credential</th><th scope="col">Action</th><th scope="col">Will write</th><th scope="col">Note</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.index} className={`action-${r.action}`}>
            <td><code>{r.sourceKey}</code></td>
            <td>{r.target ?? '—'}</td>
            <td>{ACTION_TEXT[r.action]}</td>
            <td>
              {r.action === 'conflict' && r.target ? (
                <label><input type="checkbox" checked={overwrite.includes(r.target)} onChange={() => onToggle(r.target!)} disabled={disabled} /> Overwrite</label>
              ) : r.apply ? 'Yes' : 'No'}
            </td>
            <td>{[r.reason, r.warning].filter(Boolean).join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Choose or drop a file, review the plan, migrate, then optionally remove the plaintext. */
export function Migration() {
  const m = useVault(useShallow((s) => ({
    plan: s.plan, source: s.migrationSource, overwrite: s.overwrite, includeUnknown: s.includeUnknown, loading: s.migrationLoading, migrating: s.migrating,
    result: s.migrationResult, error: s.migrationError, loadPlan: s.loadPlan, pick: s.pickMigrationFile, toggle: s.toggleOverwrite, setUnknown: s.setIncludeUnknown, apply: s.applyMigration,
  })));
  const [dragging, setDragging] = useState(false);
  const { loadPlan } = m;
  useEffect(() => void loadPlan(), [loadPlan]);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    const path = file ? pathForFile(file) : '';
    if (path) void m.loadPlan(path);
  };
  const plan = m.plan?.plan;
  return (
    <div>
      <div
        className={`dropzone ${dragging ? 'dragging' : ''}`}
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop a <code>secrets.json</code>, <code>.env</code> or old <code>user.profile</code> here, or</p>
        <button type="button" onClick={() => void m.pick()} disabled={m.migrating}>Choose a file…</button>
      </div>
      {m.error && <ErrorNote error={m.error} onRetry={() => void m.loadPlan()} />}
      {m.loading && !plan && <Loading what="the plan" />}
      {!m.loading && !m.error && !plan && <p>No plaintext secrets found (no <code>config/secrets.json</code> here). Choose a file to migrate.</p>}
      {plan && (
        <section aria-label="Plan">
          <p>Source: <code>{m.plan!.path}</code> ({plan.source.kind})</p>
          <PlanTable rows={plan.rows} overwrite={m.overwrite} onToggle={(id) => void m.toggle(id)} disabled={m.migrating} />
          {plan.counts.unknown > 0 && (
            <label className="check"><input type="checkbox" checked={m.includeUnknown} onChange={(e) => void m.setUnknown(e.target.checked)} disabled={m.migrating} /> Import unknown keys as custom credentials</label>
          )}
          {plan.duplicateKeys.length > 0 && <p className="warning">Duplicate keys in the file (the last one counts): {plan.duplicateKeys.join(', ')}</p>}
          <p>{plan.counts.apply} to write · {plan.counts.identical} already stored · {plan.counts.conflict} conflict · {plan.counts.invalid} invalid</p>
          <button type="button" className="primary" disabled={m.migrating || plan.counts.apply === 0} onClick={() => void m.apply(false)}>
            {m.migrating ? 'Migrating…' : `Migrate ${plan.counts.apply} credential(s)`}
          </button>
          {m.migrating && <progress aria-label="Migrating" />}
        </section>
      )}
      {m.result && (
        <section aria-label="Result" className={m.result.ok ? 'result ok' : 'result failed'} role="status">
          <h2>{m.result.ok ? `Migrated ${m.result.imported} credential(s)` : 'Migration failed — nothing was changed'}</h2>
          {m.result.rows.filter((r) => r.status === 'failed').map((r) => <p key={r.sourceKey} className="field-error">{r.sourceKey} → {r.target}: {r.error}</p>)}
          {m.result.backup && <p>Backup: <code>{m.result.backup}</code></p>}
          {m.result.kept && <p className="warning">{m.result.kept}</p>}
          {m.result.plaintextLeft.length > 0 && (
            <>
              <p className="warning">Plaintext is still on disk: {m.result.plaintextLeft.join(' and ')}.</p>
              <button type="button" className="danger" onClick={() => void m.apply(true)} disabled={m.migrating}>Remove the plaintext files</button>
            </>
          )}
          {m.result.removed.length > 0 && <p>Removed: {m.result.removed.join(', ')}</p>}
        </section>
      )}
    </div>
  );
}
