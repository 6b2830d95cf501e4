import { useEffect, type ReactElement } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { onProfileChanged } from './api';
import { KeychainBanner, Nav, Toasts, screenTitle } from './components/Chrome';
import { ErrorNote, Loading } from './components/common';
import { Activity } from './screens/Activity';
import { Credentials } from './screens/Credentials';
import { Migration } from './screens/Migration';
import { Onboarding } from './screens/Onboarding';
import { Profile } from './screens/Profile';
import { Workflows } from './screens/Workflows';
import { useVault } from './store';
import type { Screen } from './store/app-slice';

const SCREENS: Record<Screen, () => ReactElement> = { onboarding: Onboarding, workflows: Workflows, credentials: Credentials, migration: Migration, profile: Profile, activity: Activity };

/** The app: boots from `doctor`, reloads when the CLI edits the profile, shows one screen at a time. */
export function App() {
  const a = useVault(useShallow((s) => ({ screen: s.screen, booted: s.booted, bootError: s.bootError, boot: s.boot })));
  const { boot } = a;
  useEffect(() => void boot(), [boot]);
  useEffect(
    () =>
      onProfileChanged(() => {
        const s = useVault.getState();
        void Promise.all([s.loadProfile(), s.loadCredentials(), s.loadWorkflows(), s.refreshDoctor()]);
      }),
    [],
  );
  const Current = SCREENS[a.screen];
  return (
    <>
      <header>
        <h1>cpw-vault</h1>
        {a.booted && a.screen !== 'onboarding' && <Nav />}
      </header>
      <KeychainBanner />
      <main id="main" aria-label={screenTitle(a.screen)}>
        {!a.booted && <Loading what="cpw-vault" />}
        {a.bootError && <ErrorNote error={a.bootError} onRetry={() => void a.boot()} />}
        {a.booted && !a.bootError && <Current />}
      </main>
      <Toasts />
    </>
  );
}
