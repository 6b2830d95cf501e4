/** True when `zone` has the shape of an IANA zone name ("Europe/Paris", "UTC", "Etc/GMT+5"). Costs nothing. */
export function isTimeZoneShape(zone: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone);
}

/**
 * True when `zone` is an IANA time zone the runtime knows (e.g. "Europe/Paris",
 * "UTC"). The first call costs ~18 ms (ICU loads its zone data), so it runs
 * when a user sets a zone; a profile read checks only the shape.
 */
export function isTimeZone(zone: string): boolean {
  if (!isTimeZoneShape(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * `zone` spelled as the runtime names it when only its case differs
 * ("europe/paris": "Europe/Paris", "utc": "UTC"); any other zone as given
 * (an alias is not renamed).
 */
export function canonicalTimeZone(zone: string): string {
  if (!isTimeZoneShape(zone)) return zone;
  try {
    const named = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    return named.toLowerCase() === zone.toLowerCase() ? named : zone;
  } catch {
    return zone;
  }
}

/** Every zone the runtime lists, for pickers (UTC first). */
export function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}
