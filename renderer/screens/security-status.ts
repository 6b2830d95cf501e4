import { useCallback, useEffect, useState } from 'react';
import type { SecurityStatus } from '../../shared/core/ipc-contract';
import { oneRunAndOneNext } from '../../shared/core/one-run-and-one-next';
import { asApiError, getApi, onEvent, type ApiError } from '../api';
import { useVault } from '../store';
import { newestLoad } from '../store/newest-load';

/** setTimeout's longest delay (about 24.8 days): a longer one fires at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Read again this long after "unlocked until": the agent refuses from that instant on; the margin is for rounding. */
const PAST_EXPIRY_MS = 1_000;

/** `read` each time the window is looked at again: it regains the focus, or becomes visible (restored, switched to). */
function useOnLookedAt(read: () => void) {
  useEffect(() => {
    // Not in the capture phase: a field taking the focus (its focus event does not bubble) is no look again.
    const onFocus = () => read();
    const onVisible = () => void (document.visibilityState === 'visible' && read());
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisible);
    // A backend switch, or any profile change, made by the CLI; the vault file locked or unlocked elsewhere.
    const offs = [onEvent('profileChanged', read), onEvent('vaultLockChanged', read)];
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisible);
      offs.forEach((off) => off());
    };
  }, [read]);
}

/** `read` once the "unlocked until" instant has passed: one timer to it, no polling. */
function useOnExpiry(status: SecurityStatus | null, read: () => void) {
  const until = status?.unlockedUntil;
  useEffect(() => {
    const left = until ? Date.parse(until) - Date.now() : NaN;
    if (!(left > 0)) return; // none, or passed already (this status was read after it): nothing to wait for
    const timer = setTimeout(read, Math.min(left + PAST_EXPIRY_MS, MAX_DELAY_MS));
    return () => clearTimeout(timer);
    // On each status read (a new object), not only a new instant: a timer cut at MAX_DELAY_MS is set again.
  }, [status, until, read]);
}

/**
 * The Security screen's status, true when the user looks: read when the screen opens, after its own actions, and
 * again when the window regains the focus or becomes visible, when the profile changes, when main sees the vault file
 * locked or unlocked elsewhere and when "unlocked until" has passed. It was read only on opening and after the screen's own actions: left open, it said "unlocked until ..." (and
 * kept a "Lock failed" alert) after `cpw-vault lock` in a terminal, the unlock agent's time to live, or a backend switch
 * by the CLI. Reads run one at a time (oneRunAndOneNext: those asked meanwhile share one run after it) and the status
 * shown stays until an answer replaces it (no "Loading" flicker, forms and what is typed in them kept). A read's answer
 * lands only if no action answered after the read started (`setStatus` supersedes it): a Lock now's "locked" was
 * otherwise overwritten by the "unlocked until" of a read that had started before it and arrived after.
 */
export function useSecurityStatus() {
  const [status, setShown] = useState<SecurityStatus | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [{ loads, read }] = useState(() => {
    const loads = newestLoad();
    const read = oneRunAndOneNext(async () => {
      const newest = loads.start();
      try {
        const s = await getApi().securityStatus();
        if (!newest()) return;
        setShown(s);
        setError(null);
      } catch (err) {
        if (newest()) setError(asApiError(err));
      }
    });
    return { loads, read };
  });
  const load = useCallback(() => void read(), [read]);
  /** An action's answer (unlock, lock, switch, passphrase change): newer than any read still on its way. */
  const setStatus = useCallback((s: SecurityStatus) => {
    loads.start();
    setShown(s);
    setError(null);
  }, [loads]);
  useEffect(load, [load]);
  useOnLookedAt(load);
  useOnExpiry(status, load);
  useDoctorInStep(status);
  return { status, setStatus, error, load };
}

/**
 * A status that finds the vault file locked (or open) while doctor, read earlier, says otherwise: doctor is read again,
 * so the other screens (their unlock form) agree with this one when the user goes to them.
 */
function useDoctorInStep(status: SecurityStatus | null) {
  const statusLocked = status ? !status.ok && status.code === 'VAULT_LOCKED' : null;
  const doctorLocked = useVault((s) => (s.doctor ? !s.doctor.keychain.ok && s.doctor.keychain.code === 'VAULT_LOCKED' : null));
  useEffect(() => {
    if (statusLocked !== null && doctorLocked !== null && statusLocked !== doctorLocked) void useVault.getState().refreshDoctor();
  }, [statusLocked, doctorLocked]);
}
