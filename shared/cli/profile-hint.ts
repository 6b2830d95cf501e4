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
  return profile === undefined ? text : text.replace(COMMAND, `cpw-vault --profile ${shellWord(profile)} `);
}

/**
 * `io` whose messages (stderr: errors, fix lines, warnings, readiness) name the profile given with --profile in the
 * commands they suggest. stdout is data (values, JSON) and is never rewritten.
 */
export function namingProfile(io: CliIO, profile: string | undefined): CliIO {
  // A plain copy, as every IO is one (the light path spreads it again: a prototype-based view lost env and cwd there).
  return profile === undefined ? io : { ...io, err: (text: string) => io.err(withProfileOption(text, profile)) };
}
