import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { planRowNote, undoOutcome, type PlanRow } from '../../shared/core/migration-plan';
import { counted } from '../../shared/core/plural';
import { ErrorNote, Loading, SoftButton } from '../components/common';
import { useVault } from '../store';

const ACTION_TEXT: Record<PlanRow['action'], string> = { import: 'Import', identical: 'Already stored', conflict: 'Conflict', unknown: 'Unknown key', invalid: 'Invalid' };

/** The plan's reasons speak to the CLI (a command, a flag); here each step is said the app's way. */
const IN_APP: ReadonlyArray<[RegExp, string]> = [
  [/\(if it is one: cpw-vault set (\S+) (\S+) --env-var (\S+)\)/, '(if it is one, add it on the Credentials screen with "Add a custom credential": service $1, key $2, env var $3)'],
  [/\(--overwrite ID, or Overwrite in the app, replaces it\)/, '(tick Overwrite to replace it)'],
  [/ with cpw-vault set\b/, ' on the Credentials screen'],
];

/** What a row whose value is a JSON object is: a key nested deeper than the one level cpw-vault reads ({"tmdb": {"api_key": …}}). */
const NESTED_TOO_DEEP = 'nested more than one level deep: cpw-vault reads a key at the top level or one level in ({"tmdb": {"api_key": "…"}}), so its keys are not imported; move them up a level in the file, or add them on the Credentials screen';

/**
 * A row's note in the app's own words: the plan's own reason (why a ticked unknown key still stays out: a setting,
 * a refused name), except where it names a CLI flag or command, said here the app's way.
 */
function noteOf(r: PlanRow): string | undefined {
  if (r.action === 'unknown' && !r.apply && r.reason?.startsWith('not a known credential')) {
    return `not a known credential: becomes the custom credential ${r.target} (env ${r.envVar}) when "Import unknown keys" is ticked`;
  }
  if (r.action === 'invalid' && r.reason === 'an object, not text') return NESTED_TOO_DEEP;
  return r.reason && IN_APP.reduce((text, [pattern, words]) => text.replace(pattern, words), r.reason);
}

/** Rows rendered at first, and added by each "Show more": a 10,000-key file rendered whole took 18 s, the app frozen. */
export const PLAN_PAGE = 250;

/** The plan: one row per source entry, per-row overwrite for conflicts, the first {@link PLAN_PAGE} rows then more on request. Never a value. */
export function PlanTable({ rows, overwrite, onToggle, disabled }: { rows: PlanRow[]; overwrite: string[]; onToggle: (id: string) => void; disabled?: boolean }) {
  const [limit, setLimit] = useState(PLAN_PAGE);
  const shown = rows.length > limit ? rows.slice(0, limit) : rows;
  const more = Math.min(rows.length - shown.length, 4 * PLAN_PAGE);
  // The last "Show more" removes itself: the focus on it fell to <body>, so it goes to the plan it added to.
  const table = useRef<HTMLTableElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (refocus.current) table.current?.focus();
    refocus.current = false;
  }, [limit]);
  const showMore = () => {
    refocus.current = more === rows.length - shown.length;
    setLimit(limit + more);
  };
  return (
    <>
      <table className="plan" ref={table} tabIndex={-1}>
        <caption>Migration plan</caption>
        <thead>
          <tr><th scope="col">Source key</th><th scope="col">Credential</th><th scope="col">Action</th><th scope="col">Will write</th><th scope="col">Note</th></tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.index} className={`action-${r.action}`}>
              <td><code>{r.sourceKey}</code></td>
              <td>{r.target ?? '—'}</td>
              <td>{ACTION_TEXT[r.action]}</td>
              <td>
                {r.action === 'conflict' && r.target ? (
                  <label className="check"><input type="checkbox" checked={overwrite.includes(r.target)} onChange={() => onToggle(r.target!)} disabled={disabled} /> <span>Overwrite</span><span className="sr-only"> {r.target}</span></label>
                ) : r.apply ? 'Yes' : 'No'}
              </td>
              <td>{planRowNote(r, noteOf(r))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more > 0 && (
        <p>
          Rows 1 to {shown.length} of {rows.length} shown; the counts below are the whole plan&apos;s. A conflict is overwritten only once shown and ticked.{' '}
          <button type="button" onClick={showMore}>Show {more} more</button>
        </p>
      )}
    </>
  );
}

/** Takes the focus when it appears: the button that led here (Migrate, Remove) is gone by then, and focus must not fall to <body>. */
function useFocusOnAppear<T extends HTMLElement>(shown: unknown) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (shown) ref.current?.focus();
  }, [shown]);
  return ref;
}

function Result() {
  const result = useVault((s) => s.migrationResult);
  const heading = useFocusOnAppear<HTMLHeadingElement>(result);
  if (!result) return null;
  const r = result;
  return (
    <section aria-label="Result" className={r.ok ? 'result ok' : 'result failed'} role="status">
      <h3 tabIndex={-1} ref={heading}>{r.ok ? `Migrated ${counted(r.imported, 'credential')}` : `Migration failed — ${undoOutcome(r)}`}</h3>
      {r.rows.filter((x) => x.error !== undefined).map((x) => <p key={x.sourceKey} className="field-error">{x.sourceKey} → {x.target}: {x.code ? `${x.code} ` : ''}{x.error}{x.fix && <><br />Fix: {x.fix}</>}</p>)}
      {r.backup && <p>Backup: <code>{r.backup}</code>{!r.ok && ': a plaintext copy of the source that the unfinished undo left. The app\'s next start, once the keychain answers, finishes the undo and deletes it.'}</p>}
    </section>
  );
}

/** "Remove the plaintext files": main lists the files and asks in its own dialog; nothing is deleted unless every entry is in the vault. */
function Removal() {
  const m = useVault(useShallow((s) => ({ plan: s.plan, result: s.migrationResult, removal: s.removal, removed: s.removed, removing: s.removing, remove: s.removePlaintext, migrating: s.migrating })));
  const allIn = m.plan && m.plan.plan.counts.apply === 0;
  const removed = useFocusOnAppear<HTMLParagraphElement>(m.removed.length);
  const note = m.removed.length > 0 && <p role="status" tabIndex={-1} ref={removed}>Removed: {m.removed.join(', ')}</p>;
  if (!allIn && !m.result?.plaintextLeft.length) return note || null;
  const left = m.removal?.left ?? m.result?.plaintextLeft ?? [];
  return (
    <>
      {note}
      <section aria-label="Plaintext left on disk" className="removal">
        <p className="warning">Plaintext is still on disk{left.length ? `: ${left.join(' and ')}` : ''}. Once every entry is in the vault you can remove it; cpw-vault asks you to confirm the exact files first.</p>
        {m.removal?.kept && <div className="warning" role="alert"><p>{m.removal.kept}</p>{m.removal.fix && <p className="fix">Fix: {m.removal.fix}</p>}</div>}
        {m.removal?.cancelled && <p role="status">Nothing was removed.</p>}
        <SoftButton type="button" className="danger" onClick={() => void m.remove()} off={m.removing || m.migrating}>{m.removing ? 'Waiting for your answer…' : 'Remove the plaintext files…'}</SoftButton>
      </section>
    </>
  );
}

function Sources() {
  const m = useVault(useShallow((s) => ({ sources: s.sources, source: s.source, use: s.useSource, pick: s.pickMigrationFile, drop: s.dropMigrationFile, migrating: s.migrating })));
  const [dragging, setDragging] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void m.drop(file);
  };
  return (
    <>
      {m.sources.length > 1 && (
        <fieldset>
          <legend>Plaintext files cpw-vault found</legend>
          {m.sources.map((src) => (
            <label key={src.handle} className="check"><input type="radio" name="source" checked={m.source?.handle === src.handle} onChange={() => void m.use(src)} /> <code>{src.path}</code></label>
          ))}
        </fieldset>
      )}
      <div className={`dropzone ${dragging ? 'dragging' : ''}`} onDragOver={(e) => (e.preventDefault(), setDragging(true))} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
        <p>Drop a <code>secrets.json</code>, <code>.env</code> or old <code>user.profile</code> here (cpw-vault asks you to confirm it), or</p>
        <button type="button" onClick={() => void m.pick()} disabled={m.migrating}>Choose a file…</button>
      </div>
    </>
  );
}

/** Choose, find or drop a file, review the plan, migrate (the plan then refreshes), then remove the plaintext after a confirmation. */
export function Migration() {
  const m = useVault(useShallow((s) => ({
    plan: s.plan, loaded: s.sourcesLoaded, overwrite: s.overwrite, includeUnknown: s.includeUnknown, loading: s.migrationLoading, sourcesLoading: s.sourcesLoading, migrating: s.migrating,
    error: s.migrationError, sources: s.sources, source: s.source, loadSources: s.loadSources, retry: s.retryMigration, loadPlan: s.loadPlan, toggle: s.toggleOverwrite, setUnknown: s.setIncludeUnknown, apply: s.applyMigration,
  })));
  const { loadSources } = m;
  useEffect(() => void loadSources(), [loadSources]);
  const plan = m.plan?.plan;
  return (
    <div className="migration">
      <Sources />
      {m.error && <ErrorNote error={m.error} onRetry={() => void (m.plan ? m.loadPlan() : m.retry())} />}
      {(m.loading || m.sourcesLoading) && !plan && <Loading what="the plan" />}
      {m.loaded && !m.loading && !m.sourcesLoading && !m.error && !plan && !m.source && m.sources.length === 0 && <p>No plaintext secrets found (no <code>config/secrets.json</code> here, no HuggingFace token file). Choose a file to migrate.</p>}
      <Result />
      <Removal />
      {plan && (
        <section aria-label="Plan">
          <p>Source: <code>{m.plan!.source.path}</code> ({plan.source.kind})</p>
          <PlanTable rows={plan.rows} overwrite={m.overwrite} onToggle={(id) => void m.toggle(id)} disabled={m.migrating} />
          {plan.counts.unknown > 0 && (
            <label className="check"><input type="checkbox" checked={m.includeUnknown} onChange={(e) => void m.setUnknown(e.target.checked)} disabled={m.migrating} /> Import unknown keys as custom credentials</label>
          )}
          {plan.duplicateKeys.length > 0 && <p className="warning">Duplicate keys in the file (the last one counts): {plan.duplicateKeys.join(', ')}</p>}
          <p>{plan.counts.apply} to write · {plan.counts.identical} already stored · {counted(plan.counts.conflict, 'conflict')} · {plan.counts.invalid} invalid</p>
          {plan.counts.apply > 0 ? (
            <SoftButton type="button" className="primary" off={m.migrating || m.loading} onClick={() => void m.apply()}>{m.migrating ? 'Migrating…' : `Migrate ${counted(plan.counts.apply, 'credential')}`}</SoftButton>
          ) : (
            <p>{plan.counts.conflict > 0 ? 'Nothing to write yet: tick Overwrite on a conflict to replace the stored value.' : 'Nothing to write: every usable entry is already in the vault.'}</p>
          )}
          {m.migrating && <progress aria-label="Migrating" />}
        </section>
      )}
    </div>
  );
}
