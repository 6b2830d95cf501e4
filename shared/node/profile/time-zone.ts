import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { isTimeZone, isTimeZoneShape } from '../../core/timezone';

/** The system's zone database (tzdata), where Linux and macOS keep one file per zone. */
const ZONEINFO = '/usr/share/zoneinfo';

/** Files of the zone database that are not zones a user picks. */
const NOT_ZONES = /^(posix|right)\/|^(posixrules|localtime|Factory)$/;

/**
 * True when `zone` is a time zone this system knows. A zone the system's
 * tzdata holds (a file starting with the TZif magic) answers with one small
 * read; anything else asks ICU, whose first use costs 12-18 ms of start-up
 * (which `doctor` would pay on every run for a zone that is fine).
 */
export function knownTimeZone(zone: string, zoneinfo = ZONEINFO): boolean {
  if (!isTimeZoneShape(zone)) return false;
  if (!NOT_ZONES.test(zone) && !zone.split('/').includes('..') && startsWithTzif(join(zoneinfo, zone))) return true;
  return isTimeZone(zone);
}

function startsWithTzif(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === 'TZif';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
