import { useEffect, useRef, type FocusEvent } from 'react';
import { useVault } from '../store';
import { SCREENS, selectKeychainProblem, type Screen } from '../store/app-slice';

const TITLES: Record<Screen, string> = { onboarding: 'Set up cpw-vault', problem: 'Your profile needs attention', workflows: 'Workflows', credentials: 'Credentials', migration: 'Migration', security: 'Security', team: 'Team', profile: 'Profile', activity: 'Activity' };
const NAV_LABELS: Record<(typeof SCREENS)[number], string> = { workflows: 'Workflows', credentials: 'Credentials', migration: 'Migration', security: 'Security', team: 'Team', profile: 'Profile', activity: 'Activity' };

export function screenTitle(screen: Screen): string {
  return TITLES[screen];
}

/** Main navigation: one button per screen, the current one marked. */
export function Nav() {
  const screen = useVault((s) => s.screen);
  const go = useVault((s) => s.go);
  return (
    <nav aria-label="Main">
      <ul>
        {SCREENS.map((s) => (
          <li key={s}>
            <button type="button" aria-current={screen === s ? 'page' : undefined} onClick={() => go(s)}>{NAV_LABELS[s]}</button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * The screen's visible title. When the screen changes (not on the first
 * one), focus moves here, so keyboard and screen-reader users land at the
 * top of the new screen instead of on <body>.
 */
export function ScreenTitle() {
  const screen = useVault((s) => s.screen);
  const ref = useRef<HTMLHeadingElement>(null);
  const shown = useRef<Screen | null>(null);
  useEffect(() => {
    if (shown.current !== null && shown.current !== screen) ref.current?.focus();
    shown.current = screen;
  }, [screen]);
  return <h2 id="screen-title" className="screen-title" tabIndex={-1} ref={ref}>{TITLES[screen]}</h2>;
}

/** How often a locked or unreachable keychain is checked again. */
export const KEYCHAIN_RECHECK_MS = 10_000;

/**
 * Shown on every screen while the keychain is locked or unreachable: the
 * reason and the fix. Readiness shows as unknown and Reveal / Copy / Edit
 * are disabled meanwhile. (When the age-file backend lands, its locked state
 * routes to its own unlock screen from here.)
 */
export function KeychainBanner() {
  const problem = useVault(selectKeychainProblem);
  const refresh = useVault((s) => s.refreshDoctor);
  const reload = useVault((s) => s.loadWorkflows);
  const down = !!problem;
  const hadFocus = useRef(false);
  // While it is down, look again every 10 s: unlocking the keyring elsewhere clears the banner by itself.
  useEffect(() => {
    if (!down) {
      // "Check again" found it unlocked: the banner (and the button with the focus) goes; the focus goes to the screen's title.
      if (hadFocus.current && (document.activeElement === document.body || !document.activeElement)) document.getElementById('screen-title')?.focus();
      hadFocus.current = false;
      return;
    }
    const timer = setInterval(() => void refresh(), KEYCHAIN_RECHECK_MS);
    return () => clearInterval(timer);
  }, [down, refresh]);
  // A locked vault file has its own unlock screen (the banner's CLI fix would only repeat it less helpfully).
  if (!problem || problem.code === 'VAULT_LOCKED') return null;
  return (
    <section className="banner" role="alert" aria-label="Keychain problem">
      <p>
        <strong>{problem.message}</strong> <code>{problem.code}</code>
      </p>
      <p className="fix">Fix: {problem.fix}</p>
      <p className="muted">Until then, stored values cannot be read or changed, and readiness that depends on them is unknown.</p>
      <button type="button" onFocus={() => (hadFocus.current = true)} onBlur={(e) => void (e.relatedTarget && (hadFocus.current = false))} onClick={() => void Promise.all([refresh(), reload()])}>Check again</button>
    </section>
  );
}

/** Where focus goes when the toast holding it goes: the next toast's dismiss button, else the screen's title. */
function focusAfterToast(region: HTMLElement | null): void {
  const next = region?.querySelector<HTMLButtonElement>('button');
  (next ?? document.getElementById('screen-title'))?.focus();
}

/**
 * Toasts: successes time out; errors stay until dismissed and carry their
 * fix. Kept bottom-right, clear of the save bars. A toast that goes while it
 * holds the keyboard focus (dismissed, or timed out) hands the focus on
 * instead of dropping it to <body>.
 */
export function Toasts() {
  const toasts = useVault((s) => s.toasts);
  const dismiss = useVault((s) => s.dismissToast);
  const region = useRef<HTMLElement>(null);
  // The toast button that has (or last had) the focus; null once focus left it for anything that is still on the page.
  const holder = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el || el.isConnected) return;
    holder.current = null;
    if (document.activeElement === document.body || !document.activeElement) focusAfterToast(region.current);
  }, [toasts]);
  const onBlur = (e: FocusEvent<HTMLElement>) => {
    const el = e.target;
    // Tabbing or clicking away lets go; a button removed with its toast is no longer on the page a moment later.
    if (e.relatedTarget) holder.current = null;
    else setTimeout(() => void (holder.current === el && el.isConnected && (holder.current = null)), 0);
  };
  const item = (t: (typeof toasts)[number]) => (
    <div key={t.id} className={`toast ${t.kind}`}>
      <div>
        <p>{t.text}</p>
        {t.fix && <p className="fix">Fix: {t.fix}</p>}
      </div>
      <button type="button" className="ghost" aria-label={`Dismiss: ${t.text}`} onClick={() => dismiss(t.id)}>×</button>
    </div>
  );
  return (
    <section className="toasts" aria-label="Notifications" ref={region} onFocus={(e) => void (holder.current = e.target)} onBlur={onBlur}>
      <div role="status">{toasts.filter((t) => t.kind !== 'error').map(item)}</div>
      <div role="alert">{toasts.filter((t) => t.kind === 'error').map(item)}</div>
    </section>
  );
}
