/**
 * openVault's options as a script hands them over, checked before anything is opened. The library is called from
 * JavaScript with no compiler in between: `openVault({ profile: p })` (profilePath misspelt) opened the default
 * profile without a word, so a stage read, and `set` wrote, another vault than the one it named;
 * `{ keychainTimeoutMs: NaN }` (a Number() of an unset variable) made every read fail with "the keychain did not
 * answer within NaN s", the keychain blamed for a typo; `openVault(null)` was a TypeError from deep inside.
 */
import { VaultError } from '../core/errors';
import type { OpenOptions } from './open-read';

type Check = (value: unknown) => string | undefined; // what is wrong with a value, or undefined when it is fine

const PATH_MAX = 4096;

const path: Check = (v) =>
  typeof v !== 'string' || v.trim() === '' || v.includes('\0') || v.length > PATH_MAX ? `must be a path: a non-blank string (not empty, not only spaces), no NUL, at most ${PATH_MAX} characters` : undefined;
const fn: Check = (v) => (typeof v === 'function' ? undefined : 'must be a function');
const object: Check = (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'must be an object');
const count = (min: number): Check => (v) => (typeof v === 'number' && Number.isFinite(v) && v >= min ? undefined : `must be a finite number${min > 0 ? ' above 0' : ', 0 or more'}`);
const env: Check = (v) =>
  object(v) ?? (Object.values(v as object).every((x) => x === undefined || typeof x === 'string') ? undefined : 'must map names to strings, as process.env does');
const CALLERS = ['cli', 'app', 'library'];
const caller: Check = (v) => (typeof v === 'string' && CALLERS.includes(v) ? undefined : `must be one of: ${CALLERS.join(', ')}`);

/** Every option openVault reads, with its check. */
const CHECKS: Record<keyof OpenOptions, Check> = {
  profilePath: path,
  homeDir: path,
  cwd: path,
  env,
  caller,
  warn: fn,
  now: fn,
  auditMaxBytes: count(1),
  keychainTimeoutMs: count(1),
  keychainDialogs: object,
  keychainDeadlineAt: count(0),
  lockWaitMs: count(0),
  secrets: object,
  writeFile: fn,
  indexOverlay: object,
  digestFromBytes: count(0),
  askPassphrase: fn,
  history: object,
};

/** Said of a property openVault does not have: its name when a person may have typed it, never a megabyte or a control character. */
function unknown(name: string): string {
  return /^[\w$]{1,40}$/.test(name) ? `openVault has no option "${name}".` : 'openVault was given a property that is none of its options (its name is not shown).';
}

function refuse(message: string): VaultError {
  return new VaultError('INVALID_ARGUMENT', message, `Pass openVault an object of its options, e.g. openVault({ profilePath: '/path/to/user.profile', warn: (m) => log.warn(m) }), or nothing for the defaults. Its options: ${Object.keys(CHECKS).join(', ')}.`);
}

/**
 * The options, checked, in an object of their own (the caller's own properties only). Throws VaultError INVALID_ARGUMENT naming
 * the option and what it must be, never its value: no options object, an option openVault does not have, or one of
 * the wrong type (a path that is empty or only spaces, holds a NUL or is longer than any path; a time that is no finite number), or
 * one the object only inherits (read, it would let a polluted Object.prototype choose the profile; dropped, it opened
 * the default profile in place of the one a class getter or Object.create(defaults) named).
 */
export function checkOpenOptions(options: unknown): OpenOptions {
  if (options === undefined) return {};
  if (object(options) || typeof options !== 'object' || options === null) throw refuse(`openVault takes an options object; it was given ${options === null ? 'null' : Array.isArray(options) ? 'an array' : `a ${typeof options}`}.`);
  const inherited = Object.keys(CHECKS).find((name) => !Object.hasOwn(options, name) && name in options);
  if (inherited) {
    throw refuse(`openVault's option ${inherited} is inherited (a getter of its class, or its prototype's), not the options object's own, and openVault reads only its own: copy it into a plain object, e.g. { ${inherited}: options.${inherited} }.`);
  }
  const checked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    const check = Object.hasOwn(CHECKS, name) ? CHECKS[name as keyof OpenOptions] : undefined;
    if (!check) throw refuse(unknown(name));
    const wrong = value === undefined ? undefined : check(value);
    if (wrong) throw refuse(`openVault's option ${name} ${wrong}.`);
    checked[name] = value;
  }
  return checked as OpenOptions;
}
