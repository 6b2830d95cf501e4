// isoString writes exactly what toISOString writes, without its time-zone lookup.
import { describe, expect, it } from 'vitest';
import { isoString } from '../../shared/core/iso-time';

describe('isoString', () => {
  it('is toISOString for every kind of date: edges of years, months, days, milliseconds, and random ones', () => {
    const edges = [0, 1, -1, 999, 1000, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 0, 0, 0, 7), Date.UTC(2000, 0, 1, 9, 5, 3, 40), Date.UTC(0, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(-1, 0, 1), Date.UTC(10000, 0, 1), -62198755200000, 8.64e15, -8.64e15];
    let seed = 42;
    const random = Array.from({ length: 5000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31) * 2 * 4e11 - 4e11 + 1.7e12;
    });
    for (const ms of [...edges, ...random.map(Math.floor)]) expect(isoString(new Date(ms)), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('an invalid date throws the RangeError toISOString throws', () => {
    expect(() => isoString(new Date(NaN))).toThrow(RangeError);
  });
});
