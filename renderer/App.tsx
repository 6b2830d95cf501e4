import { useEffect, useLayoutEffect, useRef, type ReactElement } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { onApiError, onEvent } from './api';
import { KEYCHAIN_CODES } from './errors';
import { KeychainBanner, Nav, ScreenTitle, Toasts, screenTitle } from './components/Chrome';
import { ErrorNote, Loading } from './components/common';
import { Activity } from './screens/Activity';
import { Credentials } from './screens/Credentials';
import { Migration } from './screens/Migration';
import { Onboarding } from './screens/Onboarding';
import { Profile } from './screens/Profile';
import { AgentNotAnsweringCard, Security, Unlock } from './screens/Security';
import { ProfileProblem } from './screens/ProfileProblem';
import { reloadAll } from './screens/security-busy';
import { Team } from './screens/Team';
import { Workflows } from './screens/Workflows';
import { useVault } from './store';
import type { Screen } from './store/app-slice';

const SCREENS: Record<Screen, () => ReactElement | null> = { onboarding: Onboarding, problem: ProfileProblem, workflows: Workflows, credentials: Credentials, migration: Migration, security: Security, team: Team, profile: Profile, activity: Activity };

/** Keeps the screens in step with main: the CLI editing the profile, a run starting or ending, an audit event, the vault file locked or unlocked elsewhere, the clipboard being cleared. */
function useMainEvents() {
  useEffect(() => {
    const offs = [
      onEvent('profileChanged', () => {
        const s = useVault.getState();
        void Promise.all([s.loadProfile(), s.loadCredentials(), s.loadWorkflows(), s.refreshDoctor()]);
      }),
      onEvent('runsChanged', () => {
        const s = useVault.getState();
        if (s.screen === 'activity' && s.activityTab === 'runs') void s.loadRuns();
      }),
      // Main watches the audit log itself: a CLI `get` or a pipeline stage appends there without touching the profile.
      onEvent('auditChanged', () => {
        const s = useVault.getState();
        if (s.screen === 'activity' && s.activityTab === 'audit') void s.loadAudit();
      }),
      onEvent('clipboardCleared', (p) => useVault.getState().clipboardCleared(p.cleared)),
      // The vault file locked or unlocked elsewhere (`cpw-vault lock` or `unlock` in a terminal, its time to live): main
      // watches its unlock agent. Without it the screens showed it open until an action failed, and the unlock form
      // stayed (asking for the passphrase again) after an unlock in a terminal.
      onEvent('vaultLockChanged', () => void reloadAll()),
    ];
    // A call that meets a locked keychain updates the banner, readiness and the disabled actions at once.
    // The vault file too: a call that finds it locked before main's lock watch said so brings the unlock form at once.
    onApiError((e) => void ((KEYCHAIN_CODES.has(e.code) || e.code === 'VAULT_LOCKED') && useVault.getState().refreshDoctor()));
    return () => offs.forEach((off) => off());
  }, []);
}

/**
 * The vault file opened: the unlock form (the whole screen, or its card on Security) goes, and the focus that was in
 * it with it; it goes to the screen's title, at the top of what is now shown, instead of falling to <body>.
 */
function useFocusAfterUnlock(locked: boolean) {
  const was = useRef(locked);
  useLayoutEffect(() => {
    const unlocked = was.current && !locked;
    was.current = locked;
    if (unlocked && (document.activeElement === document.body || !document.activeElement)) document.getElementById('screen-title')?.focus();
  }, [locked]);
}

/** The app: boots from `doctor`, follows main's events, shows one screen at a time under its title. */
export function App() {
  const a = useVault(useShallow((s) => ({ screen: s.screen, booted: s.booted, bootError: s.bootError, boot: s.boot })));
  const held = useVault((s) => s.heldScreen);
  const { boot } = a;
  useEffect(() => void boot(), [boot]);
  useMainEvents();
  // The vault file is locked: the unlock screen stands in for every screen but Security (which has the same form). Its
  // unlock agent there but not answering (stopped, busy, hung) is not locked: what Security says, and Lock now, instead.
  const { locked, silent } = useVault(useShallow((s) => {
    const k = s.doctor?.keychain;
    const shut = k?.ok === false && k.code === 'VAULT_LOCKED';
    return { locked: shut && !k.agentNotAnswering, silent: shut ? k.agentNotAnswering : undefined };
  }));
  useFocusAfterUnlock(locked);
  const covered = (locked || !!silent) && a.screen !== 'security' && a.screen !== 'onboarding' && a.screen !== 'problem';
  // The screen a lock came over stays, hidden, under the unlock form: a key half typed into one of its forms (the
  // Save that found the vault locked) is there again after the unlock. Unmounted, it was lost. Not at start: a screen
  // never shown is mounted only once the vault is open.
  const kept = useRef<Screen | null>(null);
  if (a.booted && !covered) kept.current = a.screen;
  const withNav = a.booted && !a.bootError && a.screen !== 'onboarding' && a.screen !== 'problem';
  // The screen shown, and one whose form holds typing (heldScreen) kept hidden beside it: each under its own key, so
  // React keeps the held one's form, and the key half typed into it, as the user goes elsewhere and back.
  const shown = [...(held && held !== a.screen && SCREENS[held] ? [held] : []), ...(!covered || kept.current === a.screen ? [a.screen] : [])];
  return (
    <>
      <header>
        <h1>cpw-vault</h1>
        {withNav && <Nav />}
      </header>
      <KeychainBanner />
      <main id="main" aria-label={screenTitle(a.screen)}>
        {a.booted && !a.bootError && <ScreenTitle />}
        {!a.booted && <Loading what="cpw-vault" />}
        {a.bootError && <ErrorNote error={a.bootError} onRetry={() => void a.boot()} />}
        {a.booted && !a.bootError && covered && (silent ? <AgentNotAnsweringCard agent={silent} /> : <Unlock />)}
        {a.booted && !a.bootError && shown.map((name) => {
          const Shown = SCREENS[name];
          return <div key={name} className="screen" hidden={covered || name !== a.screen}><Shown /></div>;
        })}
      </main>
      <Toasts />
    </>
  );
}
