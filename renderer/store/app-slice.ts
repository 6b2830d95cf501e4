import type { StateCreator } from 'zustand';
import type { DoctorReport } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import { describeError, LOCK_RETRY_TEXT } from '../errors';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';

export const SCREENS = ['workflows', 'credentials', 'migration', 'security', 'team', 'profile', 'activity'] as const;
/** onboarding: first run, or a plaintext file standing in for the profile; problem: a profile that exists but cannot be used safely. */
export type Screen = 'onboarding' | 'problem' | (typeof SCREENS)[number];

/** How the app started: a first run, the deprecated secrets.json, or a seed 1.0 profile holding plaintext. */
export type Start = 'first-run' | 'legacy' | 'seed' | 'broken-legacy';

export interface Toast {
  id: number;
  kind: 'success' | 'info' | 'error';
  text: string;
  /** Errors carry their fix line. */
  fix?: string;
}

// State
export interface AppState {
  screen: Screen;
  start: Start | null;
  booted: boolean;
  bootError: ApiError | null;
  doctor: DoctorReport | null;
  toasts: Toast[];
  /** The credential a "Fix" action asked the Credentials screen to open. */
  focusCredential: string | null;
  fixingProfile: boolean;
  /**
   * A screen whose form holds typing not yet saved (Credentials: a key half typed): kept mounted, hidden, while
   * another screen is shown, so going to another screen and back loses nothing (unmounted, the form and the key went).
   */
  heldScreen: Screen | null;
}

// Actions
export interface AppActions {
  go(screen: Screen, focusCredential?: string | null): void;
  /** `screen`'s form holds typing (`held`), or no longer does: see heldScreen. */
  holdScreen(screen: Screen, held: boolean): void;
  /** First load: doctor decides between onboarding, the problem screen and the workflows. */
  boot(): Promise<void>;
  refreshDoctor(): Promise<void>;
  /** "Fix it" on the problem screen: main tightens the profile's mode, then the app starts if nothing else is wrong. */
  fixProfilePermissions(): Promise<void>;
  /** Success and info toasts time out; error toasts stay until dismissed and carry the fix. */
  toast(kind: Toast['kind'], text: string, fix?: string): number;
  /** An error toast from any thrown thing, worded by renderer/errors.ts (a prefix its message already starts with is not repeated); its id. */
  toastError(err: unknown, prefix?: string): number;
  dismissToast(id: number): void;
  /** Runs a profile write, retrying while another cpw-vault holds the lock (and saying so). */
  withLockRetry<T>(write: () => Promise<T>): Promise<T>;
}

export type AppSlice = AppState & AppActions;

export const getInitialAppState = (): AppState => ({ screen: 'workflows', start: null, booted: false, bootError: null, doctor: null, toasts: [], focusCredential: null, fixingProfile: false, heldScreen: null });

/** Doctor codes that mean "no usable profile yet": the onboarding handles them (migration first when there is plaintext). */
const FIRST_RUN_CODES = new Set(['PROFILE_NOT_FOUND', 'PROFILE_READ_ONLY', 'PROFILE_PLAINTEXT']);

/** Where the app starts for a doctor report. Never a first run over an existing but damaged file. */
export function startScreen(d: DoctorReport): { screen: Screen; start: Start | null } {
  const codes = d.profile.problems.map((p) => p.code);
  // No profile, and only the plaintext fallback is broken: a new user creates the profile (the file is then not read).
  if (d.profile.legacy) return { screen: 'onboarding', start: 'broken-legacy' };
  if (codes.some((c) => !FIRST_RUN_CODES.has(c))) return { screen: 'problem', start: null };
  if (codes.includes('PROFILE_PLAINTEXT')) return { screen: 'onboarding', start: 'seed' };
  if (d.profile.kind === 'legacy') return { screen: 'onboarding', start: 'legacy' };
  if (d.profile.kind === 'none') return { screen: 'onboarding', start: 'first-run' };
  return { screen: 'workflows', start: null };
}

let toastId = 0;
// Doctor is asked again on every keychain error (several at once), after an unlock, a lock or a backend switch: the
// answer of an older ask arriving last (the keychain still locked) put the banner back, and the actions it turns off,
// over the newer one (unlocked), or the other way round. Only the newest lands; boot and the permission fix supersede.
const doctorLoads = newestLoad();
const LOCK_ATTEMPTS = 3;

export const createAppSlice: StateCreator<VaultState, [], [], AppSlice> = (set, get) => ({
  ...getInitialAppState(),
  go: (screen, focusCredential = null) => {
    // The migration's plan and ticks were reviewed against the file and the vault as they were: kept, a later visit
    // showed them (and Migrate sent the ticks) as if just reviewed. The onboarding's migration step is left with it.
    const left = get().screen;
    if (left !== screen && (left === 'migration' || left === 'onboarding')) get().resetMigration();
    set({ screen, focusCredential });
  },
  holdScreen: (screen, held) => {
    const was = get().heldScreen;
    if (held ? was !== screen : was === screen) set({ heldScreen: held ? screen : null });
  },
  boot: async () => {
    doctorLoads.start();
    try {
      const doctor = await getApi().doctor();
      set({ doctor, booted: true, bootError: null, ...startScreen(doctor) });
    } catch (err) {
      set({ booted: true, bootError: asApiError(err) });
    }
  },
  refreshDoctor: async () => {
    const newest = doctorLoads.start();
    try {
      const doctor = await getApi().doctor();
      if (newest()) set({ doctor });
    } catch (err) {
      if (newest()) get().toastError(err);
    }
  },
  fixProfilePermissions: async () => {
    set({ fixingProfile: true });
    doctorLoads.start();
    try {
      const doctor = await getApi().profileFixPermissions();
      set({ doctor, fixingProfile: false, ...(startScreen(doctor).screen !== 'problem' ? startScreen(doctor) : {}) });
    } catch (err) {
      set({ fixingProfile: false });
      get().toastError(err, 'Not fixed: ');
    }
  },
  toast: (kind, text, fix) => {
    const id = ++toastId;
    set((s) => ({ toasts: [...s.toasts, { id, kind, text, ...(fix ? { fix } : {}) }] }));
    if (kind !== 'error') setTimeout(() => get().dismissToast(id), 6000);
    return id;
  },
  toastError: (err, prefix = '') => {
    const { message, fix } = describeError(asApiError(err));
    // "Not saved: Profile not saved: ..." said it twice.
    const said = prefix.replace(/:\s*$/, '').toLowerCase();
    return get().toast('error', said && message.toLowerCase().includes(said) ? message : `${prefix}${message}`, fix);
  },
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  withLockRetry: async (write) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= LOCK_ATTEMPTS || asApiError(err).code !== 'PROFILE_LOCKED') throw err;
        get().toast('info', LOCK_RETRY_TEXT);
      }
    }
  },
});

// Selectors
/** The keychain's problem, if any (for the banner, readiness "unknown" and disabled actions). */
export const selectKeychainProblem = (s: VaultState) => (s.doctor && !s.doctor.keychain.ok ? s.doctor.keychain : null);
/** The secret store the values go to: the profile's storage.backend as doctor reads it ("file": the age vault file). */
export const selectBackend = (s: VaultState) => s.doctor?.storage ?? 'keychain';
