import { cleanup, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import { setApi } from '../../renderer/api';
import { initialState, useVault } from '../../renderer/store';
import { FakeApi } from '../fakes/fake-api';

/** A fresh store and fake api for one test; returns the fake, a render bound to it, and a user who types key by key. */
export function withFakeApi(options: { fakeTimers?: boolean } = {}) {
  cleanup();
  useVault.setState(initialState());
  const api = new FakeApi();
  setApi(api);
  const user = userEvent.setup(options.fakeTimers ? { advanceTimers: (ms) => vi.advanceTimersByTime(ms) } : {});
  return { api, user, show: (ui: ReactElement) => render(ui) };
}
