import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type ButtonHTMLAttributes, type ClipboardEvent, type MouseEvent, type ReactNode, type Ref } from 'react';
import type { ApiError } from '../api';
import { describeError } from '../errors';
import { formatWhen } from '../format';
import { useVault } from '../store';

/** A labelled input row with an optional hint and an inline error, wired for screen readers. */
export function Field(props: { label: string; hint?: ReactNode; error?: string | undefined; children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: !!props.error })}
      {props.hint && <p id={hintId} className="hint">{props.hint}</p>}
      {props.error && <p id={errorId} className="field-error">{props.error}</p>}
    </div>
  );
}

/** What a refused paste says: the browser would have joined the lines with a space, changing the value unseen. */
export const MULTILINE_PASTE_TEXT = 'Not pasted: the copied text has more than one line, and a key or passphrase is one line (pasted here, its line breaks would silently become spaces).';
export const MULTILINE_PASTE_FIX = 'Copy only the key itself, on one line, and paste again.';

/**
 * A hidden input with a show/hide toggle. Its value lives in the caller's state only.
 * A paste of several lines is refused and said: an <input> turns a line break into a
 * space, so "key\nmore" would be saved as "key more" without a word (a trailing line
 * break, as a terminal copies, is fine: values are trimmed).
 */
export function SecretInput(props: { id: string; value: string; onChange: (v: string) => void; describedBy?: string | undefined; invalid?: boolean; required?: boolean; autoFocus?: boolean }) {
  const [shown, setShown] = useState(false);
  const [refused, setRefused] = useState(false);
  const refusedId = `${props.id}-paste`;
  // Uncontrolled, its value set as the element's property only: React writes a controlled input's value into its
  // `value` attribute too, so the secret being typed sat in the page's HTML (outerHTML, a DOM snapshot, devtools).
  const input = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (input.current && input.current.value !== props.value) input.current.value = props.value;
  }, [props.value]);
  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const several = /[\r\n]/.test(e.clipboardData.getData('text/plain').trim());
    if (several) e.preventDefault();
    setRefused(several);
  };
  return (
    <>
      <div className="secret-input">
        <input
          id={props.id}
          ref={input}
          type={shown ? 'text' : 'password'}
          onChange={(e) => (setRefused(false), props.onChange(e.target.value))}
          onPaste={onPaste}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={[props.describedBy, refused ? refusedId : undefined].filter(Boolean).join(' ') || undefined}
          aria-invalid={props.invalid || refused || undefined}
          required={props.required}
          autoFocus={props.autoFocus}
        />
        <button type="button" className="ghost" aria-pressed={shown} aria-controls={props.id} onClick={() => setShown(!shown)}>
          {shown ? 'Hide' : 'Show'}
        </button>
      </div>
      {refused && <p id={refusedId} role="alert" className="field-error">{MULTILINE_PASTE_TEXT} {MULTILINE_PASTE_FIX}</p>}
    </>
  );
}

/** An error from main: what happened and the fix, with an optional retry; `id` for the button it is about (aria-describedby). */
export function ErrorNote({ error, onRetry, id }: { error: ApiError; onRetry?: () => void; id?: string }) {
  const { message, fix } = describeError(error);
  return (
    <div className="error-note" role="alert" id={id}>
      <p>
        <strong>{message}</strong> <code>{error.code}</code>
      </p>
      {error.fields.length > 0 && (
        <ul>{error.fields.map((f) => <li key={f.path}><code>{f.path}</code>: {f.message}</li>)}</ul>
      )}
      {fix && <p className="fix">Fix: {fix}</p>}
      {onRetry && <button type="button" onClick={onRetry}>Try again</button>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p role="status" className="loading">Loading {what}…</p>;
}

/** A date in the profile's time zone ("never" when there is none); `seconds` for logs, where events come close together. */
export function When({ iso, seconds = false }: { iso: string | null | undefined; seconds?: boolean }) {
  const zone = useVault((s) => s.profile?.profile.user.timezone);
  if (!iso) return <span>never</span>;
  return <time dateTime={iso}>{formatWhen(iso, zone, seconds)}</time>;
}

/** Whole seconds left until `until` (epoch ms), ticking once a second; 0 when past. */
export function useSecondsLeft(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

/**
 * A button that turns off without dropping the keyboard focus: `off` sets
 * aria-disabled and ignores presses (a `disabled` button that has the focus
 * sends it to <body>, so a keyboard user pressing Save, Remove or Finish
 * would land nowhere).
 */
export function SoftButton({ off, onClick, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { off: boolean; ref?: Ref<HTMLButtonElement> }) {
  const press = (e: MouseEvent<HTMLButtonElement>) => {
    if (off) e.preventDefault();
    else onClick?.(e);
  };
  return <button {...rest} aria-disabled={off || undefined} onClick={press} />;
}

/**
 * A ref for a bar stuck to the window's bottom (the profile's save bar): while it is on the page, the toasts sit
 * above it, through --toasts-above. An error toast stays until dismissed, and on a narrow window it lay over the
 * bar's buttons: "Correct the fields named above and save again" covered Save profile itself.
 */
export function useToastsAbove(): (bar: HTMLElement | null) => (() => void) | undefined {
  return useCallback((bar: HTMLElement | null) => {
    // jsdom (the renderer's unit tests) has no ResizeObserver; there the toasts keep their place.
    if (!bar || typeof ResizeObserver === 'undefined') return undefined;
    const root = document.documentElement.style;
    // The bar's height changes as its buttons wrap on a narrow window, so it is measured, not assumed.
    const observer = new ResizeObserver(() => root.setProperty('--toasts-above', `${bar.offsetHeight}px`));
    observer.observe(bar);
    return () => {
      observer.disconnect();
      root.removeProperty('--toasts-above');
    };
  }, []);
}
