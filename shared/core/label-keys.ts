/**
 * Whether a credential's label holds a key: a value pasted one field too early (the app's Label sits just above the
 * value; `set --label`) would be kept in plain text in the profile and shown in every list. A label is free text, so
 * its rule is not a name's ({@link looksLikeKey}): it also names accounts, projects and regions, whose ids look random
 * (`Stripe acct_1NnQx2LkdIwHu7ix`).
 */
import { looksLikeKey } from './credential';

/** What a label is split into words at: spaces, quotes, brackets, and ":" (ARNs, `uuid:fx`, `1:123:web:abc`). */
const LABEL_WORD_BREAK = /[\s"'`,;:()<>[\]{}|]+/;

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

/** Whether one word of a label is a key: not a public id, and a key by its prefix or a name's rule. */
function wordIsKey(word: string): boolean {
  if (PUBLIC_ID.test(word)) return false;
  return KEY_PREFIX.test(word) || looksLikeKey(word);
}

/** Whether a label holds a word with a key's shape: a value pasted where the label goes (see the file's comment). */
export function labelHoldsKey(label: string): boolean {
  return label.split(LABEL_WORD_BREAK).some(wordIsKey);
}
