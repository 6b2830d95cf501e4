/**
 * The one redaction helper. Every error message, log line and audit event
 * passes through here before it leaves the process or touches a file.
 *
 * Two layers: values the caller knows are secret (any shape; in any case and URL-encoded too, see MIN_FOLDED_LENGTH), and
 * the shapes of the catalog's credential formats (a key pasted into the wrong
 * field is still a key).
 */

/** Text that replaces a secret. */
export const REDACTED = '[REDACTED]';

/**
 * Shapes of well-known credential formats, redacted even when not known by value. Each with a test no text it
 * matches fails (a literal part, or its shortest length): a pattern runs only on text that may hold it, since V8
 * compiles a pattern at its first run (~0.25 ms for these seven, in every `get` that logs its read).
 */
const SECRET_SHAPES: ReadonlyArray<readonly [RegExp, (text: string) => boolean]> = [
  [/\bhf_[A-Za-z0-9]{8,}/g, (t) => t.includes('hf_')], // HuggingFace / pyannote
  [/\bsk-(?:ant-)?[A-Za-z0-9_-]{12,}/g, (t) => t.includes('sk-')], // OpenAI, Anthropic
  [/\bAIza[0-9A-Za-z_-]{20,}/g, (t) => t.includes('AIza')], // Google, YouTube
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, (t) => t.includes('eyJ')], // JWT (TMDB v4 read token)
  [/\b[0-9a-fA-F]{32}\b/g, (t) => t.length >= 32], // TMDB v3, Vimeo
  // Any case (as the pattern): an audit line's `credential_read` or a credential id of 15 characters or more compiled it.
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi, (t) => t.length >= 15 && t.toLowerCase().includes('bearer')], // "bearer", a space, 8 characters
  // An age identity (the team key, a CI deploy key) given where a path goes, `--import AGE-SECRET-KEY-1...`, came
  // back whole in "Cannot open the identity file ...". bech32 may be written in either case.
  [/\bAGE-SECRET-KEY-1[0-9A-Z]{8,}/gi, (t) => t.includes('AGE-SECRET-KEY-') || t.includes('age-secret-key-')],
];

/** Values shorter than this are not redacted by value: they would shred ordinary text. */
const MIN_KNOWN_LENGTH = 4;

/**
 * Values this long are redacted in any case: a broken or hostile provider mirror echoed a key upper-cased in its
 * answer (`HF_...` as the account name, `SK-PROJ-...` as an error code), which an exact match let through. A shorter
 * value is word-sized ("Test", "data"): its other cases are ordinary words, so only its exact form is cut.
 */
const MIN_FOLDED_LENGTH = 8;

/** `value`, and its URL-encoded form where that differs (`/`, `+`, `=` of a base64 key echoed from the query it rode in). */
function withUrlEncoded(value: string): string[] {
  try {
    const encoded = encodeURIComponent(value);
    return encoded === value ? [value] : [value, encoded];
  } catch {
    return [value]; // a lone surrogate has no URL form
  }
}

/**
 * `text` lower-cased one code unit for one, so positions stay those of `text`: a character whose lower case is longer
 * (U+0130, "İ", becomes two) is kept as it is, and a final sigma is read as any sigma (its lower case depends on what
 * follows it, which a cut changes). One "İ" anywhere used to fold the whole text in ASCII letters only.
 */
function fold(text: string): string {
  const lower = text.toLowerCase();
  const same = lower.length === text.length ? lower : Array.from(text, (c) => {
    const l = c.toLowerCase();
    return l.length === c.length ? l : c;
  }).join('');
  // The final sigma escaped: esbuild keeps a regular expression's characters as written, and one character outside
  // ASCII made V8 hold each CLI bundle's whole source as two-byte text (twice its memory at every start).
  return same.replace(/\u03C2/g, 'σ');
}

/**
 * The folded forms `value` may be echoed in: as it is, and for a value with other than ASCII letters also its lower
 * and upper case as a whole ("İ" lower-cased is "i̇", "ß" upper-cased is "SS"), each folded as the text is.
 */
function foldedForms(value: string): string[] {
  if (/^[\u0000-\u007f]*$/.test(value)) return [fold(value)];
  return [...new Set([fold(value), fold(value.toLowerCase()), fold(value.toUpperCase())])];
}

/** `out` with each copy of `needle` in `hay` (out folded, see fold) replaced by {@link REDACTED}, or undefined if none. */
function cutFolded(out: string, hay: string, needle: string): string | undefined {
  let at = hay.indexOf(needle);
  if (at < 0) return undefined;
  let cut = '';
  let from = 0;
  for (; at >= 0; at = hay.indexOf(needle, from)) {
    cut += out.slice(from, at) + REDACTED;
    from = at + needle.length;
  }
  return cut + out.slice(from);
}

/** One value to cut: as it is (a short one), or in the folded forms it may be echoed in (see MIN_FOLDED_LENGTH). */
type Needle = { exact: string } | { folded: string[] };

/**
 * The needles of `values` and their URL-encoded forms, longest first, so a value that contains another is removed
 * whole. Made once per set of registered values (see knownNeedles): with 10,000 registered, making them at every call
 * (each folded, encoded and sorted) cost a short message's redaction ~0.6 ms more.
 */
function needlesOf(values: readonly string[]): Needle[] {
  const all = values.flatMap(withUrlEncoded).sort((a, b) => b.length - a.length);
  return all.map((v) => (v.length < MIN_FOLDED_LENGTH ? { exact: v } : { folded: foldedForms(v) }));
}

/**
 * `text` with every copy of each needle replaced by {@link REDACTED}: in any case from {@link MIN_FOLDED_LENGTH}
 * characters, else as it is. No pattern (see SECRET_SHAPES); the text is folded once, and again only after a cut (a
 * vault moving 1,000 values registers them all).
 */
function cutValues(text: string, needles: readonly Needle[]): string {
  let out = text;
  let hay: string | undefined; // out folded, each position that of out
  for (const needle of needles) {
    if ('exact' in needle) {
      if (out.includes(needle.exact)) [out, hay] = [out.split(needle.exact).join(REDACTED), undefined];
      continue;
    }
    for (const form of needle.folded) {
      hay ??= fold(out);
      const cut = cutFolded(out, hay, form);
      if (cut !== undefined) [out, hay] = [cut, undefined];
    }
  }
  return out;
}

const known = new Set<string>();
/** {@link needlesOf} the registered values, until one more is registered or they are cleared. */
let knownNeedles: Needle[] | undefined;

/**
 * Registers a value as secret for the rest of this process, so later calls to
 * {@link redact} remove it even where the caller did not pass it explicitly.
 * The vault registers every value it reads or writes.
 */
export function registerSecret(value: string): void {
  if (value.length < MIN_KNOWN_LENGTH || known.has(value)) return;
  known.add(value);
  knownNeedles = undefined;
}

/**
 * Registers a passphrase: only one long enough to be a passphrase at all (the minimum of a new one).
 * A refused short entry ("short") must not blank that word out of the very message refusing it, nor out of
 * every message after.
 */
export function registerPassphrase(value: string): void {
  if ([...value].length >= MIN_PASSPHRASE_LENGTH) registerSecret(value);
}

/** The fewest characters a new passphrase (vault file, export, team backup) may have. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  known.clear();
  knownNeedles = undefined;
}

/**
 * Returns `text` with every known secret and every credential-shaped token replaced by
 * {@link REDACTED}. `extra` adds values to remove for this call only.
 */
export function redact(text: string, extra: readonly string[] = []): string {
  const given = extra.filter((v) => v.length >= MIN_KNOWN_LENGTH);
  let out = cutValues(text, given.length ? needlesOf([...given, ...known]) : (knownNeedles ??= needlesOf([...known])));
  for (const [shape, may] of SECRET_SHAPES) {
    if (may(out)) out = out.replace(shape, (_m, prefix: unknown) => (typeof prefix === 'string' ? prefix + REDACTED : REDACTED));
  }
  return out;
}

/**
 * A program name as exec's messages and the run history show it: an env assignment typed where the program goes
 * (`exec --workflow W HF_TOKEN=hf_... ./stage`, as a shell takes it) keeps its name, never its value, whatever the
 * value's shape (a custom key, a new one being tried); then {@link redact}. Exec applies it before taking the base name
 * (a `/` in the value would leave its tail), the history's reader to runs recorded before exec did.
 */
export function redactProgram(program: string): string {
  return redact(program.replace(/^([A-Za-z_][A-Za-z0-9_]*=).+$/s, `$1${REDACTED}`));
}

/**
 * Deep-copies a JSON-like value with every string passed through {@link redact}.
 * Use it on anything structured that is about to be logged or serialised.
 */
export function redactDeep<T>(value: T, extra: readonly string[] = []): T {
  if (typeof value === 'string') return redact(value, extra) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, extra)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, extra);
    return out as T;
  }
  return value;
}
