import { hasControlChars, withoutControlChars } from '../core/control-chars';

/** A plain text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  // A cell never carries a control character to the terminal: a run's program name, a hand-edited or planted record,
  // a hostile file's key could hold an escape sequence (a new window title, a cleared screen) or a line break.
  rows = rows.map((r) => (r.some(hasControlChars) ? r.map(withoutControlChars) : r));
  // One pass, no spread: a list of 10,000+ rows must not hit the argument limit of Math.max(...).
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** A timestamp as `YYYY-MM-DD HH:MM` (UTC), or "-" when absent. */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '-';
  // What the vault writes (toISOString) needs no Date: a list of 10,000 rows formats 20,000 of these.
  if (/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/.test(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '-' : `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}
