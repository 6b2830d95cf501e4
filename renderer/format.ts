/** Dates for people, in the profile's time zone. */
import { isTimeZone } from '../shared/core/timezone';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "21 Nov 2026, 14:05" (or "14:05:09" with `seconds`) in `timeZone` (the profile's; the system's when unset or unknown), or "—". */
export function formatWhen(iso: string | null | undefined, timeZone?: string, seconds = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : '';
  const key = `${zone}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short', ...(zone ? { timeZone: zone } : {}) });
    formatters.set(key, f);
  }
  return f.format(d);
}

/** Initials for an avatar that did not load: "Grace Hopper" -> "GH"; "?" without a name. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return parts.length ? parts.slice(0, 2).map((p) => [...p][0]!.toUpperCase()).join('') : '?';
}
