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

/** Every zone the runtime lists, for pickers (UTC first). */
export function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}
