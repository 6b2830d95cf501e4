import { VaultError } from '../../shared/core/errors';

/** The VaultError `fn` throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): VaultError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VaultError) return err;
    throw err;
  }
  throw new Error('expected a VaultError');
}

/** The VaultError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejected(promise: Promise<unknown>): Promise<VaultError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof VaultError) return err;
    throw err;
  }
  throw new Error('expected a VaultError');
}
