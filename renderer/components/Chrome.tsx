import { useVault } from '../store';
import { SCREENS, selectKeychainProblem, type Screen } from '../store/app-slice';

const TITLES: Record<Screen, string> = { onboarding: 'Welcome', workflows: 'Workflows', credentials: 'Credentials', migration: 'Migration', profile: 'Profile', activity: 'Activity' };

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
            <button type="button" aria-current={screen === s ? 'page' : undefined} onClick={() => go(s)}>{TITLES[s]}</button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Shown on every screen while the keychain is locked or unreachable: the reason and the fix. */
export function KeychainBanner() {
  const problem = useVault(selectKeychainProblem);
  const refresh = useVault((s) => s.refreshDoctor);
  if (!problem) return null;
  return (
    <section className="banner" role="alert" aria-label="Keychain problem">
      <p>
        <strong>{problem.message}</strong> <code>{problem.code}</code>
      </p>
      <p className="fix">Fix: {problem.fix}</p>
      <button type="button" onClick={() => void refresh()}>Check again</button>
    </section>
  );
}

export function Toasts() {
  const toasts = useVault((s) => s.toasts);
  const dismiss = useVault((s) => s.dismissToast);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`}>
          <span>{t.text}</span>
          <button type="button" className="ghost" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
