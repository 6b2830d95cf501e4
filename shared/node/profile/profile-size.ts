import { VaultError } from '../../core/errors';
import { PROFILE_WRITE_LIMIT, stampOf } from './secure-fs';

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

/**
 * Throws PROFILE_TOO_LARGE, before anything is stored anywhere, when
 * `bound` more bytes (an upper bound, cheap) would take the profile at `path` past its
 * write limit and so would `exact()` (costlier: it reads the profile), the
 * real growth: a value replaced in an over-limit vault adds nothing, and a
 * vault must still rotate its keys. The entries of the index overlay beside it (`overlay`) join the profile at its
 * next full write: counted as if already there (an upper bound).
 */
export function roomFor(path: string, overlay: string, bound: number, exact?: () => number): void {
  const size = (stampOf(path)?.size ?? 0) + (stampOf(overlay)?.size ?? 0);
  if (bound <= 0 || size + bound <= PROFILE_WRITE_LIMIT) return;
  const growth = exact ? exact() : bound;
  if (growth > 0 && size + growth > PROFILE_WRITE_LIMIT) throw tooLarge(path, size + growth, size);
}
