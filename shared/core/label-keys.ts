/**
 * Whether a credential's label holds a key: a value pasted one field too early (the app's Label sits just above the
 * value; `set --label`) would be kept in plain text in the profile and shown in every list. A label is free text, so
 * its rule is not a name's ({@link looksLikeKey}): it also names accounts, projects and regions, whose ids look random
 * (`Stripe acct_1NnQx2LkdIwHu7ix`), and it can hold characters no name holds (an AWS secret key's "/" and "+").
 */
import { looksLikeKey } from './credential';

/**
 * What a label is split into words at: anything no key is made of, so a word is a run of letters, digits and
 * "_", "-", ".", "/", "+" (a key's characters, a path's). A list of breaks missed what it did not name: a key after
 * "=", "?" or "&" (`?key=AIza...`, `OPENAI_API_KEY=sk_live_...`), in typographic quotes (“...”, «...»), after "key：",
 * a zero-width space, "@", "\\" or "—", or before "!" or "…" was one word no rule saw a key in.
 */
const LABEL_WORD_BREAK = /[^A-Za-z0-9_./+-]+/;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** A DeepL key: a UUID and ":fx" (its free plan). A UUID alone names a tenant or a subscription, and stays a label. */
const DEEPL_KEY = new RegExp(`\\b${UUID}:fx\\b`, 'i');

/**
 * A name that says key, token or secret: the word itself, after a non-letter (`DEEPL_AUTH_KEY`, `api_key`) or joined to
 * a key's usual prefix (`apiKey`, `accessToken`, `clientSecret`); not the end of another word ("Turkey", "Monkey",
 * "Hotkey: <uuid>" were refused as keys).
 */
const KEY_NAME = '(?<![a-z])(?:api|auth|access|client|private|secret|subscription|license|app)?(?:key|token|secret)';

/**
 * A UUID that is a key by what stands before it: the value of a name that says key, token or secret
 * (`DEEPL_AUTH_KEY=<uuid>`, `api_key: <uuid>`, `HEROKU_API_KEY=<uuid>`), or in a label that names DeepL, whose Pro keys
 * are bare UUIDs and which shows its users no other. Elsewhere a UUID names a tenant, a subscription or an object
 * (`Azure tenant <uuid>`, `AZURE_TENANT_ID=<uuid>`), and a DeepL Pro key pasted alone cannot be told from one: kept.
 */
const UUID_AS_KEY = new RegExp(`(?:${KEY_NAME}["']?\\s*[=:]\\s*["']?${UUID}(?![0-9a-f])|\\bdeepl\\b.*\\b${UUID}\\b)`, 'i');

/**
 * Twilio's Account SID ("AC" and 32 hex digits), an account's id as Stripe's acct_ is (its secret is the auth token,
 * 32 hex digits alone, refused as any of that shape): its letters and digits interleave as a key's, and in an API
 * path (`/Accounts/<sid>/Messages.json`) it made the path base64-like, which refused both. Read as a break, as a
 * Firebase app id is.
 */
const TWILIO_ACCOUNT_SID = /\bAC[0-9a-f]{32}\b/g;

/** A Firebase app id (`1:<project number>:web|android|ios:<hex>`), public by Firebase's word: its hex part looks random. */
const FIREBASE_APP_ID = /\b\d:\d{6,15}:(?:web|android|ios):[0-9a-f]{8,24}\b/g; // no longer: a 32-hex key after "1:1:web:" is no app id

/** A HuggingFace token, letters only as they are issued: {@link KEY_PREFIX} asks for a digit, which `hf_transfer` lacks too. */
const HF_TOKEN = /^hf_[A-Za-z0-9]{30,}$/;

/**
 * Ids their providers document as public, which name an account and so belong in a label: Stripe objects (acct_,
 * cus_, prod_, price_, sub_, evt_), OpenAI organizations, projects and users (org-, proj_, user-), Vercel teams and
 * projects (team_, prj_). The whole word is the prefix and one run of letters and digits: a Stripe client secret
 * (`pi_..._secret_...`) or a key written after one is not one, and no key's own prefix is among these.
 */
const PUBLIC_ID = /^(?:acct|cus|prod|price|sub|evt|org|proj|user|team|prj)[-_][A-Za-z0-9]{8,32}$/;

/**
 * Keys by their providers' prefixes, whatever follows as long as it has a token's length and both letters and digits:
 * OpenAI and Anthropic (sk-), Stripe (sk_/rk_ live or test), HuggingFace, Google, GitHub, Slack, AWS access key ids,
 * Groq (gsk_), Replicate (r8_), GitLab, and a JWT (eyJ, base64 of `{"`). The random-token rule of names finds most of
 * them too, but not one whose letters and digits happen not to interleave.
 */
const KEY_PREFIX = /^(?:sk-|[sr]k_(?:live|test)_|hf_|AIza|gh[opsu]_|github_pat_|xox[abeoprs]-|AKIA|ASIA|gsk_|r8_|glpat-|eyJ)(?=[\w+/=.-]*\d)(?=[\w+/=.-]*[A-Za-z])[\w+/=.-]{16,}$/;

/**
 * A run of 40 or more characters of base64's alphabet, with upper and lower case, in which
 * less than 60% of the characters sit in runs of 3 or more lower-case letters: an AWS secret access key (40 such
 * characters) or another base64 secret. Its "/" and "+" hid it from the random-token rule (which takes letters and
 * digits only) about 2 times in 3. A path or a CamelCase name of that length is made of words (60% or more in
 * lower-case runs: `projects/MyProject/secrets/DatabasePassword2024`); about 1 AWS key in 3,000 is not refused.
 */
function holdsBase64Key(word: string): boolean {
  return (word.match(/[A-Za-z0-9/+]{40,}/g) ?? []).some((run) => {
    if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) return false;
    const inWords = (run.match(/[a-z]{3,}/g) ?? []).reduce((n, w) => n + w.length, 0);
    return inWords < 0.6 * run.length;
  });
}

/**
 * 32 hex digits, a TMDB or Vimeo key's shape (an Infura project's, a Twilio auth token's), as the last part of a path:
 * where a key in an address goes (`https://api.example.com/v1/<key>`). Not inside one, where an id names what follows
 * (`accounts/<id>/workers`), nor 40 hex digits (a commit's) or 24 (an object's); alone, the word is refused anyway.
 */
const HEX_KEY = /^[0-9a-fA-F]{32}$/;

/**
 * A key as a part of a path or an address (`https://hooks.example/services/xoxb-...`), or after a "+" (a query's
 * space: `?q=x+sk_live_...`), by its provider's prefix only, or 32 hex digits ending a path ({@link HEX_KEY}): the other
 * rules stay on the whole word, since a path's parts may be ids (a commit's or an object's hex).
 */
function partHoldsKey(word: string): boolean {
  if (!/[/+]/.test(word)) return false;
  return word.split(/[/+]/).some((part) => KEY_PREFIX.test(part) || HF_TOKEN.test(part)) || HEX_KEY.test(word.split('/').filter(Boolean).at(-1) ?? '');
}

/**
 * A label as its words are read: an address's escapes of a key's own characters ("/", "+", "=") put back, so a key
 * URL-encoded whole is one word again; every other escape (`%22`, a quote) is a break, where it glued its hex to the key
 * after it ("22sk_live_...", no key's prefix). An escape encoded again (`%2522`, `%252F`: a URL in a query, as AWS's
 * console writes a parameter's name) is read as the escape it encodes: else its "%25" broke the word and left the hex
 * glued to the key as before.
 */
function unescaped(label: string): string {
  let text = label;
  // A label is at most 80 characters: a few rounds at most.
  while (/%25[0-9A-Fa-f]{2}/.test(text)) text = text.replace(/%25(?=[0-9A-Fa-f]{2})/g, '%');
  // A JSON or shell escape (`\u0022`, `\x22`: a quote in a log line or a `$'...'` word) is a break as a URL's is.
  return text.replace(/%(2[FfBb]|3[Dd])/g, (escape) => decodeURIComponent(escape)).replace(/%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}/g, ' ');
}

/** Whether one word of a label is a key: not a public id, and a key by its prefix, a name's rule or base64's shape. */
function wordIsKey(pasted: string): boolean {
  const word = pasted.replace(/\.+$/, ''); // a sentence's end: "the key is hf_...." (the name rule's hf_ form ends there)
  if (PUBLIC_ID.test(word)) return false;
  return KEY_PREFIX.test(word) || looksLikeKey(word) || holdsBase64Key(word) || partHoldsKey(word);
}

/** Whether a label holds a word with a key's shape: a value pasted where the label goes (see the file's comment). */
export function labelHoldsKey(label: string): boolean {
  return DEEPL_KEY.test(label) || UUID_AS_KEY.test(label) || unescaped(label).replace(FIREBASE_APP_ID, ' ').replace(TWILIO_ACCOUNT_SID, ' ').split(LABEL_WORD_BREAK).some(wordIsKey);
}
