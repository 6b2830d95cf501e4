/**
 * The credential catalog: every credential cpw-vault knows by name, where it
 * lives in the seed profile schema, which environment variables carry it, the
 * shape a valid value has, and where a user gets one. Pure data.
 */
import { hasControlChars } from './control-chars';
import { codePoints, hasLoneSurrogate, looksLikeKey, type CredentialId } from './credential';
import { VaultError } from './errors';
import { labelHoldsKey } from './label-keys';

/** Section of the seed profile schema a credential's slot lives in. */
export type ProfileSection = 'credentials' | 'online_services';


/** One known credential. */
export interface CatalogEntry {
  readonly id: CredentialId;
  readonly service: string;
  readonly key: string;
  readonly label: string;
  readonly section: ProfileSection;
  /** Environment variables carrying it: reads honour the first one set; `exec` sets all. */
  readonly envVars: readonly string[];
  /** Secret values live in the keychain; non-secret ones in the profile slot. */
  readonly secret: boolean;
  readonly format: { readonly pattern: RegExp; readonly hint: string };
  /** Where to get one ("get it at"). */
  readonly url?: string;
}

const HF_TOKEN = { pattern: /^hf_[A-Za-z0-9]{30,}$/, hint: '"hf_" followed by 30 or more letters and digits' };
const GOOGLE_KEY = { pattern: /^AIza[0-9A-Za-z_-]{35}$/, hint: '"AIza" followed by 35 characters' };
const HEX32 = /^[0-9a-fA-F]{32}$/;

/** Every catalog credential, in display order. */
export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'huggingface.token', service: 'huggingface', key: 'token', label: 'HuggingFace token', section: 'credentials',
    envVars: ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'], secret: true, format: HF_TOKEN,
    url: 'https://huggingface.co/settings/tokens',
  },
  {
    id: 'pyannote.token', service: 'pyannote', key: 'token', label: 'pyannote token', section: 'credentials',
    envVars: ['PYANNOTE_API_TOKEN'], secret: true, format: HF_TOKEN,
    url: 'https://huggingface.co/settings/tokens',
  },
  {
    id: 'tmdb.api_key', service: 'tmdb', key: 'api_key', label: 'TMDB API key', section: 'credentials',
    envVars: ['TMDB_API_KEY'], secret: true,
    format: {
      pattern: /^(?:[0-9a-fA-F]{32}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/,
      hint: '32 hexadecimal characters (v3 API key) or a v4 read access token (JWT, starts with "eyJ")',
    },
    url: 'https://www.themoviedb.org/settings/api',
  },
  {
    id: 'openai.api_key', service: 'openai', key: 'api_key', label: 'OpenAI API key', section: 'credentials',
    envVars: ['OPENAI_API_KEY'], secret: true,
    format: { pattern: /^sk-[A-Za-z0-9_-]{20,}$/, hint: '"sk-" followed by 20 or more characters' },
    url: 'https://platform.openai.com/api-keys',
  },
  {
    id: 'openai.organization_id', service: 'openai', key: 'organization_id', label: 'OpenAI organization ID',
    section: 'credentials', envVars: ['OPENAI_ORG_ID'], secret: false,
    format: { pattern: /^org-[A-Za-z0-9]{8,}$/, hint: '"org-" followed by 8 or more letters and digits' },
  },
  {
    id: 'anthropic.api_key', service: 'anthropic', key: 'api_key', label: 'Anthropic API key', section: 'credentials',
    envVars: ['ANTHROPIC_API_KEY'], secret: true,
    format: { pattern: /^sk-ant-[A-Za-z0-9_-]{20,}$/, hint: '"sk-ant-" followed by 20 or more characters' },
    url: 'https://console.anthropic.com/settings/keys',
  },
  {
    id: 'google.api_key', service: 'google', key: 'api_key', label: 'Google (Gemini) API key', section: 'credentials',
    envVars: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'], secret: true, format: GOOGLE_KEY,
    url: 'https://aistudio.google.com/app/apikey',
  },
  {
    id: 'youtube.api_key', service: 'youtube', key: 'api_key', label: 'YouTube Data API key', section: 'online_services',
    envVars: ['YOUTUBE_API_KEY'], secret: true, format: GOOGLE_KEY,
    url: 'https://console.cloud.google.com/apis/credentials',
  },
  {
    id: 'vimeo.access_token', service: 'vimeo', key: 'access_token', label: 'Vimeo access token',
    section: 'online_services', envVars: ['VIMEO_ACCESS_TOKEN'], secret: true,
    format: { pattern: HEX32, hint: '32 hexadecimal characters' },
    url: 'https://developer.vimeo.com/apps',
  },
];

const BY_ID = new Map(CATALOG.map((e) => [e.id, e]));

/** The catalog entry for `id`, or undefined for a custom credential. */
export function catalogEntry(id: CredentialId): CatalogEntry | undefined {
  return BY_ID.get(id);
}

/** Result of checking a value against its catalog format: ok, or a warning the caller must accept. */
export type FormatCheck = { ok: true } | { ok: false; warning: string };

/**
 * Checks `value` against the catalog format of `id`. Custom credentials have no
 * format and always pass. The warning never contains the value.
 */
export function checkFormat(id: CredentialId, value: string): FormatCheck {
  const entry = BY_ID.get(id);
  if (!entry) return { ok: true };
  // Another provider's key in this field was told only what this one looks like (an OpenAI key in TMDB's), or taken
  // without a word (an Anthropic key in OpenAI's, whose "sk-" it fits): the provider it looks like is said by name.
  const like = entry.secret ? lookalikes(value) : [];
  const fits = entry.format.pattern.test(value);
  if (fits && (!like.length || like.includes(entry))) return { ok: true };
  const labels = like.map((e) => e.label).join(' or ');
  const instead = `if it is one, store it as ${labels} instead.`;
  const where = like.length ? ` It has the format of ${like.map((e) => article(e.label)).join(' or ')}: ${instead}` : '';
  return {
    ok: false,
    warning: fits ? `This looks like ${article(labels)}, not ${article(entry.label)}: ${instead}` : `This does not look like ${article(entry.label)}: expected ${entry.format.hint}.${where}`,
  };
}

/**
 * The secret credentials whose format `value` fits, in catalog order, without those another one's longer prefix
 * narrows (an Anthropic key fits OpenAI's "sk-" too: it is Anthropic's). A Google key fits Gemini's and YouTube's alike.
 */
function lookalikes(value: string): CatalogEntry[] {
  const prefix = (e: CatalogEntry) => /^\^([\w-]*)/.exec(e.format.pattern.source)?.[1] ?? '';
  const fits = CATALOG.filter((e) => e.secret && e.format.pattern.test(value));
  return fits.filter((e) => !fits.some((f) => prefix(f).length > prefix(e).length && prefix(f).startsWith(prefix(e))));
}

/**
 * Why `value` may not go in the slot of `id`, a credential that is not a secret (kept in plain text in the profile,
 * shown in full by list and the app): it is outside its own format and has a secret's, the format of a secret
 * credential of the catalog or the shape of a key. The app's form for the OpenAI organization ID took an API key
 * pasted into it. Undefined when it may; the reason never contains the value.
 */
export function plainSlotProblem(id: CredentialId, value: string): { reason: string; fix: string; shape: string; like: CatalogEntry | undefined } | undefined {
  const entry = BY_ID.get(id);
  if (!entry || entry.secret || entry.format.pattern.test(value)) return undefined;
  const like = lookalikes(value)[0];
  if (!like && !looksLikeKey(value)) return undefined;
  const shape = like ? `the format of ${article(like.label)}` : 'the shape of a key';
  return {
    shape,
    like,
    reason: `the value has ${shape}, and ${entry.label} is not a secret (it is kept in plain text in the profile and shown in full)`,
    fix: `${like ? `If it is your ${like.label}, store it where secrets go: cpw-vault set ${like.service} ${like.key}. ` : ''}${entry.label}: expected ${entry.format.hint}.`,
  };
}

/** Throws INVALID_ARGUMENT (naming `id`, never the value) when `value` may not go in the plain slot of `id` ({@link plainSlotProblem}). */
export function assertPlainSlot(id: CredentialId, value: string): void {
  const plain = plainSlotProblem(id, value);
  if (plain) throw new VaultError('INVALID_ARGUMENT', `${id} was not stored: ${plain.reason}.`, plain.fix);
}

/** "an OpenAI API key", "a TMDB API key". */
function article(label: string): string {
  return `${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}`;
}

/**
 * Key names used by the seed's `config/secrets.json`, mapped to credentials.
 * Every catalog env var name maps too. Lookups are case-insensitive.
 */
const LEGACY_KEYS: Readonly<Record<string, CredentialId>> = {
  hf_token: 'huggingface.token',
  tmdb_api_key: 'tmdb.api_key',
  pyannote_token: 'pyannote.token',
  pyannote_api_token: 'pyannote.token',
  openai_api_key: 'openai.api_key',
  anthropic_api_key: 'anthropic.api_key',
  google_api_key: 'google.api_key',
};

const LEGACY_MAP = new Map<string, CredentialId>([
  ...Object.entries(LEGACY_KEYS),
  ...CATALOG.flatMap((e) => e.envVars.map((v): [string, CredentialId] => [v.toLowerCase(), e.id])),
]);

/** The credential a legacy secrets.json key (or an env var name) stands for, case-insensitive. */
export function legacyKeyToCredential(name: string): CredentialId | undefined {
  return LEGACY_MAP.get(name.toLowerCase());
}

/** Characters that show as nothing: zero-width ones, word joiners, Hangul fillers, a BOM (a label of them reads blank). */
const INVISIBLE = /[\u00ad\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\u3164\uffa0\ufeff]/g;

/** A label as it reads: invisible characters dropped, any run of spaces (no-break ones too) one space, lower case. */
function asRead(label: string): string {
  return label.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The longest label, in characters (code points: an emoji is one, though JavaScript counts two). */
export const LABEL_MAX = 80;

/**
 * Whether `label` is at most {@link LABEL_MAX} characters (counted only when its UTF-16 length could be over). A
 * character is at most two UTF-16 units, so one past twice that is over uncounted: a page's 32 MB label held main.
 */
export function labelFits(label: string): boolean {
  return label.length <= LABEL_MAX || (label.length <= 2 * LABEL_MAX && codePoints(label) <= LABEL_MAX);
}

/** How many characters a label that does not fit has, for the message: counted up to 10,000 UTF-16 units (a hostile export's 60 MB label is "over 5,000", not spread into characters). */
export function labelLength(label: string): string {
  return label.length <= 10_000 ? String(codePoints(label)) : 'over 5,000';
}

/**
 * Why `label` cannot name credential `id` in `list` and the app, or
 * undefined: text of 1-80 characters on one line without control characters
 * (printed as it is, an escape sequence would drive the terminal) or half of
 * a UTF-16 pair, not one
 * that reads blank (spaces, zero-width characters: a row with no name), and
 * not one that reads as a catalog credential's label on another credential
 * (two rows "HuggingFace token", one of them not the token stages get).
 */
export function labelProblem(id: CredentialId, label: unknown): { message: string; fix: string } | undefined {
  if (typeof label !== 'string') return { message: `The label must be text of at most ${LABEL_MAX} characters.`, fix: 'Shorten the label.' };
  if (!labelFits(label)) return { message: `The label must be at most ${LABEL_MAX} characters: this one has ${labelLength(label)}.`, fix: 'Shorten the label.' };
  if (hasControlChars(label)) {
    return { message: 'The label must be one line without control characters (line breaks, tabs, escape sequences, text-direction overrides).', fix: 'Type the label again without them.' };
  }
  // Half of a UTF-16 pair (a page can send one over IPC; no keyboard types it) is no character: the user fields refused
  // it, while a label stored it, to be shown as U+FFFD by the app and `list` and written as U+FFFD by any UTF-8 output.
  if (hasLoneSurrogate(label)) return { message: 'The label holds a broken character (half of an emoji or other UTF-16 pair).', fix: 'Type the label again.' };
  const read = asRead(label);
  if (read === '') return { message: 'The label is blank: the credential would show as an empty row.', fix: 'Type a label, or leave it out to show the credential by its name.' };
  // A key pasted one field too early (the form's Label sits just before its value) would be stored in plaintext in the
  // profile and shown in every list, as a key typed where a name goes is not (checkedCredentialId): refused, never echoed.
  if (labelHoldsKey(label)) {
    return { message: 'The label has the shape of a secret value (an API key or token), so it is refused and not shown: a value never goes in a label.', fix: 'Type a label that names the credential (e.g. "DeepL (work)"), and give the value in its own hidden field or prompt. If you typed it in a shell, remove it from the shell history.' };
  }
  const taken = CATALOG.find((e) => e.id !== id && e.label.toLowerCase() === read);
  if (taken) return { message: `"${taken.label}" is the label of ${taken.id}: two rows would read the same.`, fix: `Choose a label of its own (e.g. "${taken.label} (2)").` };
  return undefined;
}

/** Throws INVALID_ARGUMENT with {@link labelProblem}'s words. */
export function assertLabel(id: CredentialId, label: unknown): void {
  const problem = labelProblem(id, label);
  if (problem) throw new VaultError('INVALID_ARGUMENT', problem.message, problem.fix);
}
