import { cleanup, render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { setApi } from '../../renderer/api';
import { initialState, useVault } from '../../renderer/store';
import { FakeApi } from '../fakes/fake-api';

/** A fresh store and fake api for one test; returns the fake and a render bound to it. */
export function withFakeApi(): { api: FakeApi; show: (ui: ReactElement) => ReturnType<typeof render> } {
  cleanup();
  useVault.setState(initialState());
  const api = new FakeApi();
  setApi(api);
  return { api, show: (ui) => render(ui) };
}
