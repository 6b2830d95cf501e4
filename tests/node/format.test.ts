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

describe('table cells never reach the terminal with a control character', () => {
  // Found by the attack pass: `runs` printed a recorded program name (a planted or hand-edited record, or a stage whose
  // name held ESC) raw: an OSC sequence retitled the window, CSI 2J cleared it; a line break split the table.
  it('escape sequences, BEL, line breaks and C1 controls become "?"; plain rows are kept as they are', () => {
    const out = table(['ID', 'PROGRAM'], [['a', 'python3 \u001b[31mRED\u001b]0;pwned\u0007 x'], ['b', 'two\nlines\tand\u009bC1'], ['c', 'plain — ünïcode']]);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f](?<!\n)/);
    expect(out.split('\n')).toEqual(['ID  PROGRAM', 'a   python3 ?[31mRED?]0;pwned? x', 'b   two?lines?and?C1', 'c   plain — ünïcode', '']);
  });
});

describe('table columns line up in a terminal whatever the script', () => {
  // Padded by UTF-16 length, the column after a CJK hint ('••••字字字字', 8 units, 12 columns) started 4 columns right of
  // the others, and after an NFD 'é' (e + U+0301, 2 units, 1 column) or a zero-width space one column left.
  it('wide characters take 2 columns, combining marks and zero-width characters none', () => {
    const rows = [['••••字字字字', 'x'], ['••••abcd', 'x'], ['••••e\u0301e\u0301', 'x'], ['a\u200bb', 'x'], ['🔑🔑', 'x'], ['ｈｉ', 'x'], ['שלום', 'x']];
    const out = table(['HINT', 'NEXT'], rows).split('\n');
    expect(out.slice(0, 8)).toEqual([
      'HINT          NEXT',
      '••••字字字字  x',
      '••••abcd      x',
      '••••e\u0301e\u0301        x',
      'a\u200bb            x',
      '🔑🔑          x',
      'ｈｉ          x',
      'שלום          x',
    ]);
  });

  // Counted by code point, 👩‍💻 (woman, ZWJ, laptop) took 4 columns, a family of four 8, a flag 4 and ❤️ (U+2764 and
  // the emoji selector) 1: the next column started up to 6 columns off. A terminal draws each as one emoji, 2 columns.
  it('an emoji sequence takes the 2 columns of the one emoji it shows: ZWJ, flags, skin tones, the emoji selector, keycaps', () => {
    const rows = [['Ada 👩‍💻', 'x'], ['Ada 12', 'x'], ['👨‍👩‍👧‍👦 home', 'x'], ['🇫🇷 Paris', 'x'], ['👍🏽 ok', 'x'], ['❤️ love', 'x'], ['1️⃣ one', 'x'], ['🏳️‍🌈 flag', 'x'], ['字e\u0301 👩‍💻', 'x']];
    const out = table(['LABEL', 'NEXT'], rows).split('\n');
    expect(out.slice(0, 10)).toEqual([
      'LABEL     NEXT',
      'Ada 👩‍💻    x',
      'Ada 12    x',
      '👨‍👩‍👧‍👦 home   x',
      '🇫🇷 Paris  x',
      '👍🏽 ok     x',
      '❤️ love   x',
      '1️⃣ one    x',
      '🏳️‍🌈 flag   x',
      '字e\u0301 👩‍💻    x',
    ]);
  });
});
