/**
 * `date.toISOString()`, the same text, without the time-zone lookup V8 makes
 * the first time a process turns a Date into a string: ICU reads
 * /etc/localtime and builds the host's zone (~1.4 ms), though an ISO string
 * in UTC needs none of it. Every read command stamps something (a use, an
 * audit line, a run), so each paid it. Years outside 0-9999 and invalid
 * dates go to toISOString itself (its extended years, its RangeError).
 */
export function isoString(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return date.toISOString();
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  const ms = date.getUTCMilliseconds();
  return `${String(year).padStart(4, '0')}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms}Z`;
}

/** The current time as {@link isoString} writes it. */
export function isoNow(): string {
  return isoString(new Date());
}
