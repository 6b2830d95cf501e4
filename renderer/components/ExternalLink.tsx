import { useId, useState, type ReactNode } from 'react';
import { asApiError, getApi, type ApiError } from '../api';
import { describeError } from '../errors';

/**
 * A link-styled button that asks main to open `url` in the system browser. When that is refused or fails, it says so
 * under the button with the address in full, to copy into a browser by hand: the failure was dropped without a word
 * before, and the button seemed to do nothing. Pressed again, it tries again.
 */
export function ExternalLink({ url, children }: { url: string; children: ReactNode }) {
  const [error, setError] = useState<ApiError | null>(null);
  const errorId = useId();
  const open = () => {
    setError(null);
    getApi().openExternal(url).catch((err: unknown) => setError(asApiError(err)));
  };
  return (
    <>
      <button type="button" className="link" onClick={open} aria-describedby={error ? errorId : undefined}>{children}</button>
      {error && <p id={errorId} className="field-error" role="alert">Could not open the browser: {describeError(error).message} The address is <code>{url}</code>: copy it into a browser.</p>}
    </>
  );
}
