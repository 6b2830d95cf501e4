import type { StateCreator } from 'zustand';
import type { DoctorReport } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

export const SCREENS = ['workflows', 'credentials', 'migration', 'profile', 'activity'] as const;
export type Screen = 'onboarding' | (typeof SCREENS)[number];

export interface Toast {
  id: number;
  kind: 'success' | 'error';
  text: string;
}

// State
export interface AppState {
  screen: Screen;
  booted: boolean;
  bootError: ApiError | null;
  doctor: DoctorReport | null;
  toasts: Toast[];
  /** The credential a "Fix" action asked the Credentials screen to open. */
  focusCredential: string | null;
}

// Actions
export interface AppActions {
  go(screen: Screen, focusCredential?: string | null): void;
  /** First load: doctor decides between onboarding (no profile yet) and the workflows. */
  boot(): Promise<void>;
  refreshDoctor(): Promise<void>;
  toast(kind: Toast['kind'], text: string): void;
  dismissToast(id: number): void;
}

export type AppSlice = AppState & AppActions;

export const getInitialAppState = (): AppState => ({ screen: 'workflows', booted: false, bootError: null, doctor: null, toasts: [], focusCredential: null });

let toastId = 0;

export const createAppSlice: StateCreator<VaultState, [], [], AppSlice> = (set, get) => ({
  ...getInitialAppState(),
  go: (screen, focusCredential = null) => set({ screen, focusCredential }),
  boot: async () => {
    try {
      const doctor = await getApi().doctor();
      // Only the first run changes the screen: never undo a navigation made while booting.
      set({ doctor, booted: true, bootError: null, ...(doctor.profile.kind === 'none' ? { screen: 'onboarding' as const } : {}) });
    } catch (err) {
      set({ booted: true, bootError: asApiError(err) });
    }
  },
  refreshDoctor: async () => {
    try {
      set({ doctor: await getApi().doctor() });
    } catch (err) {
      get().toast('error', asApiError(err).message);
    }
  },
  toast: (kind, text) => {
    const id = ++toastId;
    set((s) => ({ toasts: [...s.toasts, { id, kind, text }] }));
    setTimeout(() => get().dismissToast(id), 6000);
  },
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
});

// Selectors
/** The keychain's problem, if any (for the banner). */
export const selectKeychainProblem = (s: VaultState) => (s.doctor && !s.doctor.keychain.ok ? s.doctor.keychain : null);
