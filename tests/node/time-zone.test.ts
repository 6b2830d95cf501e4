import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, isTimeZone } from '../../shared/core/timezone';
import { knownTimeZone } from '../../shared/node/profile/time-zone';

describe('knownTimeZone (doctor)', () => {
  it('knows the zones of the system and of ICU, and nothing else', () => {
    for (const zone of ['Europe/Paris', 'UTC', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) expect(knownTimeZone(zone), zone).toBe(true);
    for (const zone of ['Mars/Olympus', '', 'Europe/../../etc/passwd', 'posixrules', 'right/UTC', 'Europe/Paris\n', 'x'.repeat(65)]) expect(knownTimeZone(zone), zone).toBe(false);
  });

  it('answers from the zone database when it holds the zone (TZif files only), else asks ICU', () => {
    const db = mkdtempSync(join(tmpdir(), 'zoneinfo-'));
    mkdirSync(join(db, 'Test'));
    writeFileSync(join(db, 'Test', 'Zone'), 'TZif2\0\0\0');
    writeFileSync(join(db, 'Test', 'Table'), 'not a zone file');
    // ICU has never heard of Test/Zone: only the database can say yes.
    expect(knownTimeZone('Test/Zone', db)).toBe(true);
    expect(knownTimeZone('Test/Table', db)).toBe(false);
    // An empty database: ICU still knows the real zones.
    expect(knownTimeZone('Europe/Paris', join(db, 'missing'))).toBe(true);
  });
});

/** Every zone name of a tzdata tree (its TZif files, less posix/, right/ and the non-zones). */
function tzdataNames(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const name = prefix + e.name;
    if (/^(posix|right)$|^(posixrules|localtime|Factory)$|\./.test(name)) return [];
    if (e.isDirectory()) return tzdataNames(join(dir, e.name), `${name}/`);
    return readFileSync(join(dir, e.name)).subarray(0, 4).toString('latin1') === 'TZif' ? [name] : [];
  });
}

describe('canonicalTimeZone against the system tzdata', () => {
  it.skipIf(!existsSync('/usr/share/zoneinfo'))('spells every zone and alias of tzdata ICU knows, typed in lower or upper case (a new alias: add it to ALIASES)', () => {
    const names = tzdataNames('/usr/share/zoneinfo').filter(isTimeZone);
    expect(names.length).toBeGreaterThan(400);
    const unspelled = names.filter((name) => canonicalTimeZone(name.toLowerCase()) !== name || canonicalTimeZone(name.toUpperCase()) !== name);
    expect(unspelled).toEqual([]);
  });
});
