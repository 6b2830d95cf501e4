import { customEnvVar, envVarProblem } from './env-var-names';
import { catalogEntry, plainSlotProblem } from './catalog';
import { credentialId, ENV_VAR_NAME, isSecretShapedName, KEY_NAME, looksLikeKey, SERVICE_NAME, type CredentialId } from './credential';
import { VaultError } from './errors';
import { shellWord, withoutControlChars } from './control-chars';
import { parseJson } from './json';
import { legacyEntries } from './legacy-secrets';
import { closingLine, disputed, dotenvLine, openQuoteOf } from './dotenv-lines';

/** Kinds of source cpw-vault can migrate from (plaintext files), or import (an encrypted `cpw-vault export`). */
export type SourceKind = 'secrets-json' | 'seed-profile' | 'dotenv' | 'hf-token-file' | 'export' | 'team-file';

/** One entry found in a source: where, which credential it maps to, and its raw value (never printed). */
export interface SourceEntry {
  sourceKey: string;
  /** The catalog credential it maps to; undefined for unknown keys. */
  target: CredentialId | undefined;
  /** For unknown keys: the custom credential it would become, if its name allows one. */
  customTarget?: { id: CredentialId; envVar: string };
  /** Its name (or a part of it) has the shape of a key: never a credential's name, and shown cut (see shownKey). */
  keyShapedName?: true;
  value: unknown;
  /** Why the value cannot be taken as written (readers of the file disagree on it, or cpw-vault cannot keep it): the row is invalid. */
  problem?: string;
}

/** A parsed source: its entries and what was odd about it (never a value). */
export interface ParsedSource {
  kind: SourceKind;
  path: string;
  entries: SourceEntry[];
  /** JSON paths of keys that appeared twice in one object (the last one wins). */
  duplicateKeys: string[];
  /**
   * .env: comments that may hold a kept-aside key, never migrated, so removing the plaintext would lose it: the
   * names of commented-out assignments of a secret (`# OPENAI_API_KEY=sk-...`), and `line N` for a comment with
   * what looks like a key in its text (`# old key: sk-...`, `HF_TOKEN=hf_... # was hf_...`).
   */
  commentedKeys?: string[];
}

/** True for an entry that is a non-secret slot's own value (an organization ID), not a secret. */
function inItsPlainSlot(entry: SourceEntry): boolean {
  return !!entry.target && typeof entry.value === 'string' && catalogEntry(entry.target)?.secret === false && !plainSlotProblem(entry.target, entry.value.trim());
}

/**
 * What a parsed source holds, as one string: two reads of a file are the same
 * content exactly when these are equal (the plan's tag, the recheck before
 * plaintext is deleted).
 */
export function sourceContent(source: ParsedSource): string {
  return JSON.stringify([source.kind, source.entries, source.commentedKeys ?? []]);
}

/** Largest source accepted. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

const SUFFIXES = ['_access_token', '_api_token', '_api_key', '_token', '_key', '_secret'];

/**
 * The custom credential an unknown key could become: `deepl_api_key` ->
 * deepl.api_key (env DEEPL_API_KEY); `{"deepl": {"api_key": ...}}` the same.
 * Undefined when the name cannot be one (e.g. "__proto__").
 */
export function customTargetFor(sourceKey: string): { id: CredentialId; envVar: string } | undefined {
  if (sourceKey.split('.').some(looksLikeKey)) return undefined; // a key where the name goes: never a credential's name
  const lower = sourceKey.toLowerCase().replace(/-/g, '_');
  let service: string | undefined;
  let key: string | undefined;
  const dot = lower.indexOf('.');
  if (dot > 0) {
    service = lower.slice(0, dot);
    key = lower.slice(dot + 1);
  } else {
    const suffix = SUFFIXES.find((s) => lower.endsWith(s) && lower.length > s.length);
    if (suffix) {
      service = lower.slice(0, -suffix.length);
      key = suffix.slice(1);
    } else {
      service = 'custom';
      key = lower;
    }
  }
  if (!service || !key || !SERVICE_NAME.test(service) || !KEY_NAME.test(key) || service.startsWith('_') || isSecretShapedName(service, key)) return undefined;
  const id = credentialId(service, key);
  if (catalogEntry(id)) return undefined;
  const envVar = sourceKey.toUpperCase().replace(/[.-]/g, '_');
  // A key named like PATH or LD_PRELOAD keeps its value, under a name no loader or shell reads.
  const usable = ENV_VAR_NAME.test(envVar) && !envVarProblem(envVar, id);
  return { id, envVar: usable ? envVar : customEnvVar(id) };
}

/**
 * A source key as shown (plan tables, --json, the app): a hostile file's key brings no escape sequence to a terminal,
 * and no screenful; a part shaped like a key (`AIzaSy...` pasted as a name) shows its first 4 characters only.
 */
export function shownKey(key: string): string {
  const safe = withoutControlChars(key)
    .split('.')
    .map((part) => (looksLikeKey(part) ? `${part.slice(0, 4)}…(${KEY_SHAPED_NAME})` : part))
    .join('.');
  return safe.length > 80 ? `${safe.slice(0, 79)}…` : safe;
}

/** What a key-shaped part of a source key shows in its place (the plan says why it is not imported). */
const KEY_SHAPED_NAME = 'a name shaped like a key, hidden';

/** `entry` with its custom target (an unknown key's name, made from the key as it is) and its key as shown. */
function withCustom(entry: SourceEntry): SourceEntry {
  const shown = shownKey(entry.sourceKey);
  const custom = entry.target ? undefined : customTargetFor(entry.sourceKey);
  const keyShaped = entry.sourceKey.split('.').some(looksLikeKey);
  return { ...entry, sourceKey: shown, ...(custom ? { customTarget: custom } : {}), ...(keyShaped ? { keyShapedName: true as const } : {}) };
}

function tooLarge(path: string, size: number): VaultError {
  return new VaultError('INVALID_ARGUMENT', `${path} is ${size} bytes; migration sources are at most ${MAX_SOURCE_BYTES} bytes.`, 'Check that this is the right file.');
}

/**
 * Parses a JSON source: a flat secrets.json, its nested form, or a seed 1.0
 * profile with plaintext slots. Errors carry line and column, never the text.
 */
export function parseJsonSource(path: string, text: string): ParsedSource {
  if (text.length > MAX_SOURCE_BYTES) throw tooLarge(path, text.length);
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw new VaultError('INVALID_ARGUMENT', `${path} is not valid JSON: ${parsed.reason} at line ${parsed.line}, column ${parsed.column}.`, `Fix the JSON at line ${parsed.line}, column ${parsed.column}; nothing was changed.`);
  }
  const doc = parsed.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new VaultError('INVALID_ARGUMENT', `${path} must hold a JSON object at the top level.`, 'A secrets file looks like {"hf_token": "..."}; nothing was changed.');
  }
  const record = doc as Record<string, unknown>;
  const isSeedProfile = typeof record['version'] === 'string' && record['credentials'] !== null && typeof record['credentials'] === 'object';
  if (isSeedProfile) {
    const entries: SourceEntry[] = [];
    for (const section of ['credentials', 'online_services']) {
      const services = record[section];
      if (services === null || typeof services !== 'object' || Array.isArray(services)) continue;
      for (const entry of legacyEntries(services as Record<string, unknown>)) {
        // Seed slots that are empty or flags (youtube.enabled) are not secrets to migrate.
        if (typeof entry.value === 'boolean' || entry.value === '' || entry.value === null) continue;
        entries.push(withCustom(entry));
      }
    }
    // A profile with no plaintext (cpw-vault's own, current one) is not a source: "all 0 entries are in the vault"
    // would make it a file safe to delete. Nor is one whose only values sit where they belong (an organization ID in
    // its non-secret slot): it was planned at every run, backed up, and reported as "plaintext still on disk".
    if (!entries.some((e) => !inItsPlainSlot(e))) throw new VaultError('INVALID_ARGUMENT', `${path} is a cpw-vault profile with no plaintext secret in it: there is nothing to migrate, and nothing was changed.`, 'Point --from at a secrets.json, .env or token file.');
    return { kind: 'seed-profile', path, entries, duplicateKeys: parsed.duplicateKeys.map(shownKey) };
  }
  return { kind: 'secrets-json', path, entries: legacyEntries(record).map(withCustom), duplicateKeys: parsed.duplicateKeys.map(shownKey) };
}

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
  if (text.length > MAX_SOURCE_BYTES) throw tooLarge(path, text.length);
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

/** A name that says it holds a secret (`DB_PASSWORD`, `STRIPE_SECRET`, `X_AUTH`, `SENTRY_DSN`, `SLACK_WEBHOOK`). */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|PWD|AUTH|CRED|PRIVATE|SESSION|COOKIE|SIGNATURE|SALT|DSN|WEBHOOK/i;

/** Names that say "secret" whatever the value looks like (`ADMIN_PIN=1234`, `MYSQL_ROOT_PW=hunter2`, `SLACK_HOOK_URL`). */
const STRONG_SECRET_NAME = /PASSWORD|PASSWD|PASSPHRASE|SECRET|MNEMONIC|WEBHOOK|DSN|(^|_)(PW|PWD|PASS|PIN|SEED|HOOK|HOOK_URL|CREDENTIALS?|TOKEN|KEY|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|SIGNING_KEY)$/i;

/** Names of settings about a secret, not the secret (`PASSWORD_MIN_LENGTH`, `TOKEN_EXPIRY_SECONDS`, `SIGNING_KEY_ID`, `COMMIT_SHA`). */
const SETTING_NAME = /(^|_)(LENGTH|MIN|MAX|TTL|SECONDS|MINUTES|HOURS|DAYS|ROUNDS|ENABLED|DISABLED|COUNT|SIZE|ID|PATH|DIR|FILE|MODE|EXPIRY|TIMEOUT|VERSION|LIMIT|PORT|HOST|DOMAIN|REGION|SHA|COMMIT|REVISION|UUID|HASH|CHECKSUM|LEVEL|NAME)$/i;

/** A value that is plainly a setting: a boolean, a number or duration, a plain URL, a path, a short lower-case word or host name. */
function settingValue(value: string): boolean {
  return (
    /^(true|false|yes|no|on|off|enabled|disabled|none|null)$/i.test(value) ||
    /^-?\d+(\.\d+)?(ms|s|m|h|d|kb|mb|gb|%)?$/i.test(value) ||
    (/^[a-z][\w+.-]*:\/\/[^\s@?#]+$/i.test(value) && !URL_CREDENTIALS.test(value)) ||
    /^(~|\.{1,2})?\/[^\s]*$/.test(value) ||
    /^[a-z0-9][a-z0-9._-]{0,39}$/.test(value)
  );
}

/** A URL that carries a credential: a user (and password) before the host, or one in its query (`?password=`, `&token=`). */
const URL_CREDENTIALS = /^[a-z][\w+.-]*:\/\/[^\s@]+@|[?&;](password|passwd|pwd|pass|token|secret|key|api_key|apikey|sig|signature|auth)=/i;

/** Text that looks made to be hard to guess: 8+ characters without spaces, of three kinds among lower, upper, digits and symbols. */
function randomLooking(value: string): boolean {
  if (value.length < 8 || /\s/.test(value)) return false;
  return [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length >= 3;
}

/**
 * A token that looks like a key in free text: 20 or more characters of a
 * token's alphabet, letters and digits both (`sk-proj-...`, `hf_...`, 32 hex
 * digits, a JWT). A commit hash or a UUID counts too: keeping a file is the
 * safe side. Words, dates, paths and URLs (split at ":", their rest starts
 * with "/") do not.
 */
const KEY_LIKE = /^(?=.*[A-Za-z])(?=.*\d)[\w+=.~-][\w+/=.~-]{19,}$/;

/** Whether free text (a comment) holds a key-like token. */
function holdsKeyLike(text: string): boolean {
  return text.split(/[\s"'`,;:()<>[\]{}|#=]+/).some((t) => KEY_LIKE.test(t));
}

/**
 * Whether an assignment may hold a secret, in this order: a known credential's name; not when the name is a setting
 * about a secret and the value plainly one (`PASSWORD_MIN_LENGTH=8`, `SIGNING_KEY_ID=2`, `COMMIT_SHA=<hex>`); a name
 * that says secret whatever the value (`ADMIN_PIN=1234`, `MYSQL_ROOT_PW`, `SLACK_HOOK_URL`); a value that is a key, a
 * URL with a credential, a PEM block or a mnemonic; not a value that is plainly a setting (`MAX_TOKENS=4096`,
 * `AUTH_ENABLED=true`, `NEXTAUTH_URL=http://localhost:3000`, a path); else a name with a hint of one, or a value that
 * looks made to be hard to guess or is long and opaque. A commented-out non-secret is no kept-aside key, and an
 * unknown one is a setting that `migrate --include-unknown` leaves where it is (`exec` would take it from every stage
 * and mask it in their output).
 */
export function maySecret(name: string, value: string): boolean {
  const v = value.trim();
  if (legacyTarget(name) !== undefined) return true;
  // A setting about a secret (PASSWORD_MIN_LENGTH=8, SIGNING_KEY_ID=2, COMMIT_SHA=<hex>): its value says so.
  if (SETTING_NAME.test(name) && (settingValue(v) || /^[0-9a-f-]{7,64}$/i.test(v))) return false;
  if (STRONG_SECRET_NAME.test(name)) return true;
  if (holdsKeyLike(v) || URL_CREDENTIALS.test(v) || v.startsWith('-----BEGIN') || /^([a-z]+ ){11,}[a-z]+$/.test(v)) return true; // a key, a URL with a credential, a PEM block, a mnemonic
  if (settingValue(v)) return false; // MAX_TOKENS=4096, AUTH_ENABLED=true, NEXTAUTH_URL=http://localhost:3000
  return SECRET_NAME.test(name) || randomLooking(v) || (v.length >= 16 && !/\s/.test(v));
}

/** Whether a commented-out assignment may be a kept-aside secret (`# PORT=3000`, `# DEBUG=true` are not). */
function commentedSecret(c: { name: string; value: string }): boolean {
  return maySecret(c.name, c.value);
}

function legacyTarget(name: string): CredentialId | undefined {
  return legacyEntries({ [name]: '' })[0]?.target;
}

/** Parses the HuggingFace token file (`~/.cache/huggingface/token`): one token. */
export function parseHfTokenFile(path: string, text: string): ParsedSource {
  if (text.length > MAX_SOURCE_BYTES) throw tooLarge(path, text.length);
  return { kind: 'hf-token-file', path, entries: [{ sourceKey: 'token', target: 'huggingface.token', value: text.trim() }], duplicateKeys: [] };
}
