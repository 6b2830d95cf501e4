import { useId, useState, type ReactNode } from 'react';
import type { ApiError } from '../api';

/** A labelled input row with an optional hint and an inline error, wired for screen readers. */
export function Field(props: { label: string; hint?: string | undefined; error?: string | undefined; children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: !!props.error })}
      {props.hint && <p id={hintId} className="hint">{props.hint}</p>}
      {props.error && <p id={errorId} className="field-error" role="alert">{props.error}</p>}
    </div>
  );
}

/** A hidden input with a show/hide toggle. Its value lives in the caller's state only. */
export function SecretInput(props: { id: string; value: string; onChange: (v: string) => void; describedBy?: string | undefined; invalid?: boolean; required?: boolean; autoFocus?: boolean }) {
  const [shown, setShown] = useState(false);
  return (
    <div className="secret-input">
      <input
        id={props.id}
        type={shown ? 'text' : 'password'}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete="off"
        spellCheck={false}
        aria-describedby={props.describedBy}
        aria-invalid={props.invalid || undefined}
        required={props.required}
        autoFocus={props.autoFocus}
      />
      <button type="button" className="ghost" aria-pressed={shown} aria-controls={props.id} onClick={() => setShown(!shown)}>
        {shown ? 'Hide' : 'Show'}
      </button>
    </div>
  );
}

/** An error from main: what happened and the fix, with an optional retry. */
export function ErrorNote({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  return (
    <div className="error-note" role="alert">
      <p>
        <strong>{error.message}</strong> <code>{error.code}</code>
      </p>
      {error.fix && <p className="fix">Fix: {error.fix}</p>}
      {onRetry && <button type="button" onClick={onRetry}>Try again</button>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p role="status" className="loading">Loading {what}…</p>;
}

/** `YYYY-MM-DD HH:MM` in the user's zone, or a dash. */
export function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span aria-label="never">—</span>;
  const d = new Date(iso);
  return <time dateTime={iso}>{Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</time>;
}
