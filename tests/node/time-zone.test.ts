import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
