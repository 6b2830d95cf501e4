import { useEffect, useRef, useState, type FormEvent } from 'react';
import { asApiError, type ApiError } from '../api';
import { useVault } from '../store';

/**
 * One action at a time in a form: busy while it runs, and its error (cleared when the next one starts).
 * An error that comes back after the user left the screen becomes an error toast: the form that would show it is gone.
 */
export function useBusy() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const toastError = useVault((s) => s.toastError);
  const shown = useRef(true);
  useEffect(() => {
    shown.current = true;
    return () => void (shown.current = false);
  }, []);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      if (shown.current) setError(asApiError(err));
      else toastError(err, 'Security: ');
    } finally {
      setBusy(false);
    }
  };
  /** A form's submit handler running `fn`. */
  const onSubmit = (fn: () => Promise<void>) => (e: FormEvent) => {
    e.preventDefault();
    if (!busy) void run(fn);
  };
  return { busy, error, run, onSubmit };
}

/** After the vault opened or closed: every screen reads again. */
export async function reloadAll(): Promise<void> {
  const s = useVault.getState();
  await Promise.all([s.refreshDoctor(), s.loadCredentials(), s.loadWorkflows()]);
}
