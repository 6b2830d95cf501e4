import { VaultError } from '../../core/errors';
import type { ProfileView } from '../../core/views';
import type { ProfileStore } from './store';

/** The profile as it is now, validated; a missing profile reads as a fresh template (kind "none"). */
export function profileView(store: ProfileStore): ProfileView {
  try {
    const loaded = store.read();
    return { path: loaded.path, kind: loaded.kind, profile: loaded.profile };
  } catch (err) {
    if (!(err instanceof VaultError && err.code === 'PROFILE_NOT_FOUND')) throw err;
    return { path: store.paths.profile, kind: 'none', profile: store.readOrTemplate().profile };
  }
}
