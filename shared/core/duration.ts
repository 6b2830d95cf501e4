import { VaultError } from './errors';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Longest time the unlock agent may keep a vault open. */
export const MAX_TTL_MS = 30 * UNIT_MS.d;

/**
 * Parses a duration such as `90s`, `30m`, `8h`, `1d` or `1h30m` into
 * milliseconds. Throws INVALID_ARGUMENT for anything else, for zero, and
 * for more than 30 days.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d{1,6})([smhd])/g)];
  const valid = parts.length > 0 && parts.map((p) => p[0]).join('') === trimmed;
  const ms = valid ? parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0) : NaN;
  if (!valid || ms <= 0 || ms > MAX_TTL_MS) {
    throw new VaultError('INVALID_ARGUMENT', 'The time to live must be a duration such as 90s, 30m, 8h or 1d (at most 30d).', 'Example: cpw-vault unlock --ttl 8h');
  }
  return ms;
}

/** A duration in words for messages: `8h`, `1h 30m`, `45s`. */
export function formatDuration(ms: number): string {
  const out: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n}${unit}`);
    rest -= n * size;
  }
  return out.length ? out.join(' ') : '0s';
}
