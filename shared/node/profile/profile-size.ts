import { VaultError } from '../../core/errors';
import { PROFILE_WRITE_LIMIT } from './secure-fs';

/** What a write that adds nothing may still add past the limit: defaults and stamps of a hand-made profile. */
export const SETTLE_BYTES = 64 * 1024;

/** PROFILE_TOO_LARGE for a write that would take `path` to `size` bytes (`before`: its size now, when already over). */
export function tooLarge(path: string, size: number, before?: number): VaultError {
  // In bytes: near the limit, MiB to one decimal reads "16.0 MiB, over the 16 MiB limit".
  const now = before !== undefined && before > PROFILE_WRITE_LIMIT ? `is already ${before} bytes and would grow to ${size}` : `would grow to ${size} bytes`;
  return new VaultError(
    'PROFILE_TOO_LARGE',
    `${path} ${now}, over its ${PROFILE_WRITE_LIMIT}-byte (${PROFILE_WRITE_LIMIT / 2 ** 20} MiB) limit; nothing was stored.`,
    'Delete credentials you no longer use (cpw-vault list, then cpw-vault delete), or keep them in a second profile (--profile PATH).',
  );
}
