import { shellWord } from '../core/control-chars';
import type { CliIO } from './io';

/** The top-level commands (a static test keeps this equal to the program's). */
export const COMMAND_NAMES = ['backend', 'check', 'delete', 'doctor', 'env', 'exec', 'export', 'get', 'git-credential', 'import', 'list', 'lock', 'migrate', 'passphrase', 'profile', 'runs', 'set', 'setup', 'team', 'unlock', 'verify', 'which'] as const;


/**
 * `cpw-vault <command>` as a suggestion: not inside a path or a word (`/tmp/cpw-vault set x/`, `my-cpw-vault list`),
 * and not `team add <you> ...`, which another member runs on their machine: with this user's --profile in it, pasted
 * there it acted on a profile of that path, if any, not their own.
 */
const COMMAND = new RegExp(`(?<![\\w/.~-])cpw-vault (?=(?:${COMMAND_NAMES.join('|')})\\b)(?!team add <you> )`, 'g');

/**
 * `text` with `--profile PATH` in every cpw-vault command it suggests. Found by a new-user pass: with
 * `--profile ./team.profile`, a fix line said `cpw-vault set huggingface token`, which, pasted, stored the token in
 * the default profile and left this one as it was. A profile from $CPW_PROFILE needs nothing: the shell keeps it.
 */
export function withProfileOption(text: string, profile: string | undefined): string {
  if (profile === undefined) return text;
  // A function, not a replacement string: in one, a path's own $' read as "the text after the match", and its $& as the match.
  const option = `cpw-vault --profile ${shellWord(profile)} `;
  return text.replace(COMMAND, () => option);
}

/**
 * `io` whose messages (stderr: errors, fix lines, warnings, readiness) name the profile given with --profile in the
 * commands they suggest, and whose --json documents' messages do too (`profileOption`, for printJson and the
 * error document). stdout's data (values, tables, JSON fields that are not messages) is never rewritten.
 */
export function namingProfile(io: CliIO, profile: string | undefined): CliIO {
  // A plain copy, as every IO is one (the light path spreads it again: a prototype-based view lost env and cwd there).
  return profile === undefined ? io : { ...io, err: (text: string) => io.err(withProfileOption(text, profile)), profileOption: profile };
}

/** The keys of a `--json` document whose text is a message to the user (never data): the ones that suggest commands. */
const MESSAGE_KEYS = new Set(['fix', 'message', 'command', 'steps']);

/**
 * `doc` (a `--json` document) with `--profile PATH` in every cpw-vault command its messages suggest, as on stderr
 * ({@link withProfileOption}): doctor --profile OTHER --json said `cpw-vault set huggingface token`, which, pasted,
 * stored the token in the default profile (and so did check's, and every command's error document). Only the values of `fix`, `message`, `command` and `steps` are rewritten; paths,
 * names and every other value are data and stay as they are.
 */
export function withProfileOptionIn<T>(doc: T, profile: string | undefined): T {
  if (profile === undefined) return doc;
  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return key !== undefined && MESSAGE_KEYS.has(key) ? withProfileOption(value, profile) : value;
    // The lines of a message (`steps`) are messages; an array under any other key stays data.
    if (Array.isArray(value)) return value.map((v) => walk(v, key));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return walk(doc) as T;
}
