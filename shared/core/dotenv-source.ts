import { VaultError } from './errors';
import { shellWord } from './control-chars';
import { closingLine, disputed, dotenvLine, openQuoteOf } from './dotenv-lines';
import { MAX_SOURCE_BYTES, shownKey, sourceTooLarge, withCustom, type ParsedSource, type SourceEntry } from './migration-sources';
import { commentedSecret, holdsKeyLike, legacyTarget } from './secret-likeness';

/**
 * Parses a .env file: comments, blank lines, `export ` prefixes, quoted and
 * unquoted values, inline comments. A value is taken only as python-dotenv
 * and Node's --env-file both read it (and, with `shell`, as a shell sourcing
 * the file would: a `.envrc`); otherwise its row is invalid, with the reason
 * (dotenv-lines.ts), and the file keeps it. A quoted value on several lines
 * (a PEM key) is one such row, its lines no rows of their own. A line that is
 * not `NAME=value` is reported as invalid. A name given twice: the last one
 * counts (as when the file is sourced), listed in `duplicateKeys`. A file with
 * old Mac line endings (CR only) is refused whole (see refuseLoneCr). Linear in
 * the input (no backtracking regex; each line read once, a failed search for
 * a closing quote at most once per kind), so a dropped file never freezes
 * the app.
 */
export function parseDotenv(path: string, text: string, options: { shell?: boolean } = {}): ParsedSource {
  if (text.length > MAX_SOURCE_BYTES) throw sourceTooLarge(path, text.length);
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  refuseLoneCr(path, source);
  const entries: SourceEntry[] = [];
  const byName = new Map<string, number>();
  // Sets beside the lists: 80,000 names given twice took 14 s of includes() (quadratic).
  const duplicateKeys: string[] = [];
  const duplicated = new Set<string>();
  const commentedKeys: string[] = [];
  const kept = new Set<string>();
  const keptAside = (name: string) => {
    if (kept.has(name)) return;
    kept.add(name);
    commentedKeys.push(name);
  };
  const lines = source.split('\n');
  // The last line a failed search for a closing quote reached (the end): no later line can hold one either.
  const unclosed = { "'": -1, '"': -1 };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!; // CRLF: every reader drops that CR
    const line = raw.trim();
    if (line.startsWith('#')) {
      const text = line.replace(/^#+/, '').trim();
      const commented = dotenvLine(text);
      if (commented?.value && commentedSecret(commented)) keptAside(shownKey(commented.name));
      else if (holdsKeyLike(text)) keptAside(`line ${i + 1}`);
      continue;
    }
    if (!line) continue;
    const parsed = dotenvLine(raw);
    // A quote not closed on its line: python-dotenv and Node read on to the closing one (a PEM key on several
    // lines). Those lines are this value's, not rows of their own; cpw-vault keeps values on one line.
    const open = parsed ? parsed.open : openQuoteOf(line);
    const close = open && unclosed[open] < 0 ? closingLine(lines, i + 1, open) : -1;
    if (open && close < 0) unclosed[open] = lines.length;
    const first = i;
    if (close >= 0) i = close;
    if (!parsed) {
      // A name cpw-vault does not take (1KEY) still opens a value the readers read on: its lines are no rows.
      entries.push({ sourceKey: `line ${first + 1}`, target: undefined, value: undefined });
      continue;
    }
    if (open) parsed.problem = close < 0 ? `no closing ${open} (python-dotenv refuses the line)` : `a value on ${close - first + 1} lines (lines ${first + 1}-${close + 1}); cpw-vault keeps values on one line`;
    if (parsed.blank) parsed.problem ??= `a tab (or another blank that is not a space) outside quotes on line ${first + 1}, which python-dotenv drops and Node's --env-file keeps in the name or value; use spaces there`;
    parsed.problem ??= disputed(parsed, !!options.shell);
    if (parsed.comment && holdsKeyLike(parsed.comment)) keptAside(`line ${i + 1}`);
    const entry = withCustom({ sourceKey: parsed.name, target: legacyTarget(parsed.name), value: parsed.value, ...(parsed.problem ? { problem: parsed.problem } : {}) });
    const earlier = byName.get(parsed.name);
    if (earlier === undefined) {
      byName.set(parsed.name, entries.length);
      entries.push(entry);
    } else {
      const shown = shownKey(parsed.name);
      if (!duplicated.has(shown)) {
        duplicated.add(shown);
        duplicateKeys.push(shown);
      }
      entries[earlier] = entry; // the last one counts, in the place the name first appeared
    }
  }
  return { kind: 'dotenv', path, entries, duplicateKeys, ...(commentedKeys.length ? { commentedKeys } : {}) };
}

/**
 * Refuses a .env with a CR that ends no CRLF (old Mac line endings): python-dotenv starts a new line at it, Node's
 * --env-file drops it and reads on, so `A=1<CR>B=2` is two keys to one and one value ("1B=2") to the other. Read as one
 * line here, the second key hid inside the first one's value. Line numbers count LFs, as an editor on Linux does.
 */
function refuseLoneCr(path: string, text: string): void {
  const at = text.search(/\r(?!\n)/);
  if (at < 0) return;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  const file = shellWord(path);
  throw new VaultError(
    'INVALID_ARGUMENT',
    `${path} has old Mac line endings (a CR without LF, first on line ${line}): python-dotenv starts a new line at each such CR and Node's --env-file does not, so they read different keys from it. Nothing was changed.`,
    `Convert its line endings to LF in place, then migrate again: dos2unix -c mac ${file} (or, with GNU sed, which keeps the file's mode: sed -i 's/\\r/\\n/g' ${file}).`,
  );
}
