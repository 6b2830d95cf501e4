/**
 * The credential record: how a credential is named, what a storable value
 * is, and the masked hint that may be shown and stored in its place. Pure:
 * every part of cpw-vault that builds or splits an id, checks a value or
 * shows a hint calls this file, so the rules exist once.
 */
import { VaultError } from './errors';
import { CONTROL_CHARS, hasControlChars, withoutControlChars } from './control-chars';

/** A credential's identifier, `<service>.<key>`, e.g. `huggingface.token`. */
export type CredentialId = string;

/** Allowed shapes of a (custom) credential's service, key and env var names. */
export const SERVICE_NAME = /^[a-z][a-z0-9_-]{0,39}$/;
export const KEY_NAME = /^[a-z][a-z0-9_]{0,39}$/;
export const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

/**
 * Longest secret value accepted, in characters as a person counts them (code points: an emoji is one, though
 * JavaScript's length counts two). Keychain items are small; anything longer is a paste accident.
 */
export const MAX_SECRET_LENGTH = 8192;

/** `<service>.<key>` for a service and key (no check: see {@link checkedCredentialId}). */
export function credentialId(service: string, key: string): CredentialId {
  return `${service}.${key}`;
}

/** The service and key of `<service>.<key>` (the service never holds a dot; the key may not either). */
export function splitCredentialId(id: CredentialId): { service: string; key: string } {
  const dot = id.indexOf('.');
  return { service: id.slice(0, dot), key: id.slice(dot + 1) };
}

/** True when `id` is a well-formed `<service>.<key>`. */
export function isCredentialId(id: unknown): id is CredentialId {
  if (typeof id !== 'string') return false;
  const { service, key } = splitCredentialId(id);
  return id.includes('.') && SERVICE_NAME.test(service) && KEY_NAME.test(key);
}

/**
 * The secret shapes a name's characters can hold (lower case, digits, "_",
 * "-"): 32 or more hex digits (a TMDB v3 or Vimeo key), and hf_ or sk-/sk_
 * followed by a token's length. Other shapes need upper case, which no name
 * has; and hf_readonly or `bearer authorization` stay names.
 */
const SECRET_SHAPED_NAME = /^(?:[0-9a-f]{32,}|hf_[a-z0-9]{30,}|sk[-_][a-z0-9_-]{20,})$/;

/** Keys in the formats their providers give: Google (AIza), GitHub, Slack, GitLab, AWS access key ids, HuggingFace. */
const KEY_FORMAT = /^(?:AIza[\w-]{30,}|gh[opsu]_[A-Za-z0-9]{30,}|github_pat_\w{22,}|xox[abprs]-\d+-[\w-]{8,}|glpat-[\w-]{20,}|AKIA[A-Z0-9]{16,}|hf_[A-Za-z0-9]{30,})$/;

/** The length of the shortest name {@link looksLikeKey} takes for a key. */
export const SHORTEST_KEY = 15;

/** How often the characters of `part` change between digit and letter: a random token's letters and digits interleave. */
function digitRuns(part: string): number {
  let changes = 0;
  for (let i = 1; i < part.length; i++) if (/\d/.test(part[i]!) !== /\d/.test(part[i - 1]!)) changes++;
  return changes;
}

/**
 * Whether a name (any case, as typed or as found in a file) is a key: a secret shape above, a provider's key format,
 * or a part (split at ".", "_", "-") of 16 or more letters and digits that interleave at least twice each way, a random
 * token. Names with a version or a year in them stay names: `CUSTOM_SERVICE_1999_API_KEY`, `WHISPERLARGEV3MODEL_PATH`,
 * `openaiApiKey2024`, `hf_token_readonly_team_2024`, `azureopenaigpt4o`.
 */
export function looksLikeKey(name: string): boolean {
  // Nothing above fits fewer characters (xoxb-1-abcdefgh is the shortest): a name this short is a name, without
  // compiling the patterns (~0.2 ms of every `get`).
  if (name.length < SHORTEST_KEY) return false;
  return SECRET_SHAPED_NAME.test(name) || KEY_FORMAT.test(name) || name.split(/[._-]+/).some((p) => p.length >= 16 && /^[A-Za-z0-9]+$/.test(p) && digitRuns(p) >= 4);
}

/** True when the service or the key of a name is a secret value typed where the name goes. */
export function isSecretShapedName(service: string, key: string): boolean {
  return looksLikeKey(service) || looksLikeKey(key);
}

/**
 * `<service>.<key>` after checking both names: INVALID_ARGUMENT otherwise,
 * never echoing them. A name with a secret's shape
 * ({@link isSecretShapedName}) is a value typed where the name goes
 * (`cpw-vault set tmdb <the key>`): refused, unless `allowSecretShape` (the
 * way out for a credential an older version stored under such a name).
 */
export function checkedCredentialId(service: unknown, key: unknown, options: { allowSecretShape?: boolean } = {}): CredentialId {
  const named = typeof service === 'string' && typeof key === 'string';
  // Before the lower-case rule: a key pasted where the name goes (`set google AIzaSy...`) was told to use lower case.
  if (named && !options.allowSecretShape && isSecretShapedName(service, key)) {
    throw new VaultError(
      'INVALID_ARGUMENT',
      'That credential name has the shape of a secret value (an API key or token), so it is refused and not shown: a value never goes in a name.',
      'Name the credential (e.g. cpw-vault set tmdb api_key) and give the value at its hidden prompt, on stdin, or in the app\'s value field. If you typed it in a shell, remove it from the shell history.',
    );
  }
  if (!named || !SERVICE_NAME.test(service) || !KEY_NAME.test(key)) {
    throw new VaultError('INVALID_ARGUMENT', 'A credential is named <service> <key> in lower case, e.g. huggingface token.', 'Use lower-case letters, digits, "_" or "-" (service) and "_" (key), at most 40 characters each.');
  }
  return credentialId(service, key);
}

/** Which part of the value rule a value breaks. */
export type ValueProblem = { rule: 'not-text' | 'empty' | 'too-long' | 'control' | 'broken'; text: string };

/**
 * Why a value cannot be stored, or undefined when it can: the one value
 * rule, applied to the trimmed value (text, not empty, at most
 * {@link MAX_SECRET_LENGTH} characters, no line break or control character,
 * no half of a UTF-16 surrogate pair: a store keeps UTF-8, which cannot hold
 * one, so it would come back as U+FFFD and fail the read-back).
 * The text names the rule and never quotes the value.
 */
export function valueProblem(value: unknown): ValueProblem | undefined {
  if (typeof value !== 'string') {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value;
    return { rule: 'not-text', text: value === undefined ? 'not a NAME=value line' : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}, not text` };
  }
  const v = value.trim();
  if (v === '') return { rule: 'empty', text: 'empty' };
  // In code points: 8,192 emoji were "16384 characters, over the 8192 limit" (UTF-16 units), and refused.
  if (v.length > MAX_SECRET_LENGTH) {
    const characters = codePoints(v);
    if (characters > MAX_SECRET_LENGTH) return { rule: 'too-long', text: `${characters} characters, over the ${MAX_SECRET_LENGTH} limit` };
  }
  // C1 controls and text-direction marks too (CONTROL_CHARS): no key holds one, and `get` and `env` print a value as it
  // is: U+009B starts an escape sequence on a terminal as ESC [ does, and a value pasted with --force, or read from a
  // teammate's team file or an export, ran it there.
  if (hasControlChars(v)) return { rule: 'control', text: controlText(v) };
  if (hasLoneSurrogate(v)) return { rule: 'broken', text: 'contains a broken character (half of an emoji or other UTF-16 pair)' };
  return undefined;
}

/**
 * Which control character `v` holds first, and where: "contains a line break, a control character or a text-direction
 * mark" left the user to search a file for an invisible one of three kinds. Its code point names no part of the key.
 */
function controlText(v: string): string {
  const at = v.search(CONTROL_CHARS);
  const code = v.codePointAt(at)!;
  const kind = /[\n\r\u0085\u2028\u2029]/.test(v[at]!) ? 'a line break' : /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(v[at]!) ? 'a text-direction mark' : 'a control character';
  return `contains ${kind} (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at character ${codePoints(v.slice(0, at)) + 1}`;
}

const VALUE_FIX: Record<ValueProblem['rule'], string> = {
  'not-text': 'Paste the key as text.',
  empty: 'Paste the key.',
  'too-long': 'Check that you pasted only the key.',
  control: 'Paste the key on one line.',
  broken: 'Copy the key again from its provider\'s page and paste it.',
};

/** The trimmed value, or CREDENTIAL_INVALID saying which rule it breaks (never the value). */
export function checkedValue(id: CredentialId, value: unknown): string {
  const problem = valueProblem(value);
  if (!problem) return (value as string).trim();
  const what = problem.rule === 'not-text' ? 'must be text' : problem.rule === 'control' || problem.rule === 'broken' ? problem.text : `is ${problem.text}`;
  // The empty value's way out names the credential (it said "cpw-vault delete." with nothing to delete).
  const fix = problem.rule === 'empty' ? `Paste the key; to remove ${id}: cpw-vault delete ${id.replace('.', ' ')}` : VALUE_FIX[problem.rule];
  throw new VaultError('CREDENTIAL_INVALID', `The value for ${id} ${what}.`, fix);
}

/**
 * A masked hint safe to store and show: the last 4 characters of values of 16
 * or more, nothing of shorter ones (where 4 characters would be too much of the
 * secret), both counted in characters: the last 4 UTF-16 units cut an emoji in
 * half ("••••\ude00bcd" in the profile, "••••�bcd" in list). A C1 control or
 * text-direction override among them (a value may hold one) is "?": the hint
 * is printed as it is, by list --json's consumers too.
 */
export function maskedHint(value: string): string {
  if (value.length < 16 || codePoints(value) < 16) return '••••';
  // The last 8 units hold the last 4 characters whole (each is at most 2), without spreading the whole value.
  return `••••${withoutControlChars([...value.slice(-8)].slice(-4).join(''))}`;
}

/**
 * The hint of a value that is not a secret (kept in the profile as it is): its first 16 characters whole. The first
 * 16 UTF-16 units cut an emoji in half: "org-abcdefghijk🔑xyz" (stored with --force) was shown as "org-abcdefghijk�".
 */
export function plainHint(value: string): string {
  // The first 32 units hold the first 16 characters whole (each is at most 2), without spreading the whole value.
  return [...value.slice(0, 32)].slice(0, 16).join('');
}

/**
 * How many characters (code points) `text` has, as `[...text].length` counts them (half of a pair is one), without
 * building that array: a value a page sends main may be tens of megabytes.
 */
export function codePoints(text: string): number {
  let pairs = 0;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const h = text.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) pairs++;
    }
  }
  return text.length - pairs;
}

/** True when `text` holds half of a UTF-16 surrogate pair (no character at all: UTF-8 cannot hold it). */
export function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
