import { useId, useRef, useState, type ReactNode } from 'react';
import { asApiError, getApi, type ApiError } from '../api';
import { describeError } from '../errors';
import { SoftButton } from './common';

/**
 * A link-styled button that asks main to open `url` in the system browser. When that is refused or fails, it says so
 * under the button with the address in full, to copy into a browser by hand: the failure was dropped without a word
 * before, and the button seemed to do nothing. Pressed again, it tries again.
 * One request at a time: a double press (or Enter held down, which repeats the click) opened two browser tabs.
 * The "↗" after `children` is drawn, not read: a screen reader said "north east arrow" in every link's name.
 */
export function ExternalLink({ url, children }: { url: string; children: ReactNode }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  // A ref as well as the state: two presses in one tick both see the render before either set `busy`.
  const opening = useRef(false);
  const errorId = useId();
  const open = () => {
    if (opening.current) return;
    opening.current = true;
    setBusy(true);
    setError(null);
    getApi()
      .openExternal(url)
      .catch((err: unknown) => setError(asApiError(err)))
      .finally(() => {
        opening.current = false;
        setBusy(false);
      });
  };
  return (
    <>
      <SoftButton type="button" className="link" off={busy} onClick={open} aria-describedby={error ? errorId : undefined}>{children} <span aria-hidden="true">↗</span></SoftButton>
      {error && <p id={errorId} className="field-error" role="alert">Could not open the browser: {describeError(error).message} The address is <code>{url}</code>: copy it into a browser.</p>}
    </>
  );
}
