import { describe, expect, it } from 'vitest';
import { shortDate, table } from '../../shared/cli/format';

describe('list formatting at scale', () => {
  it('shortDate: the vault\'s own timestamps without a Date, anything else through one, nonsense as "-"', () => {
    for (const ms of [0, 1_700_000_000_000, Date.parse('2026-12-31T23:59:59.999Z')]) {
      const iso = new Date(ms).toISOString();
      expect(shortDate(iso)).toBe(`${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`);
    }
    expect(shortDate('2026-01-02T03:04:05+02:00')).toBe('2026-01-02 01:04Z');
    expect(shortDate('2026-13-45T99:99:99Z')).toBe('-');
    expect(shortDate('yesterday')).toBe('-');
    expect(shortDate(null)).toBe('-');
  });

  it('table: 200,000 rows (over the argument limit of Math.max(...rows)) are padded to the widest cell', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`svc${i}`, 'api_key']);
    const out = table(['SERVICE', 'KEY'], rows).split('\n');
    expect(out[0]).toBe('SERVICE    KEY');
    expect(out[200_000]).toBe('svc199999  api_key');
  });
});
