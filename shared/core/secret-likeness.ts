import type { CredentialId } from './credential';
import { legacyEntries } from './legacy-secrets';

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
export function holdsKeyLike(text: string): boolean {
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
export function commentedSecret(c: { name: string; value: string }): boolean {
  return maySecret(c.name, c.value);
}

export function legacyTarget(name: string): CredentialId | undefined {
  return legacyEntries({ [name]: '' })[0]?.target;
}
