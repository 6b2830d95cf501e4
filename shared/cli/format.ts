import { hasControlChars, withoutControlChars } from '../core/control-chars';
import { displayWidth, padToWidth } from './text-width';

/** A plain text table: columns padded to their widest cell, in terminal columns (a CJK character takes 2, a combining mark none). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h) => h.length);
  // A cell never carries a control character to the terminal: a run's program name, a hand-edited or planted record,
  // a hostile file's key could hold an escape sequence (a new window title, a cleared screen) or a line break.
  // One test per row (its cells joined by a space, which is none), and one pass, no spread: a list of 10,000+ rows
  // must not hit the argument limit of Math.max(...), and its temporaries cost more than the rows (list at scale).
  const shown = rows.map((r) => {
    const cells = hasControlChars(r.join(' ')) ? r.map(withoutControlChars) : r;
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, displayWidth(cells[i] ?? ''));
    return cells;
  });
  const line = (cells: string[]) => {
    let text = '';
    for (let i = 0; i < cells.length - 1; i++) text += `${padToWidth(cells[i]!, widths[i]!)}  `;
    return `${text}${cells[cells.length - 1] ?? ''}`.trimEnd();
  };
  let out = `${line(header)}\n`;
  for (const cells of shown) out += `${line(cells)}\n`;
  return out;
}

/** A timestamp as `YYYY-MM-DD HH:MM` (UTC), or "-" when absent. */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '-';
  // What the vault writes (toISOString) needs no Date: a list of 10,000 rows formats 20,000 of these.
  if (/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/.test(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '-' : `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}
