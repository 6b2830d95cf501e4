import { dirname, isAbsolute, resolve } from 'node:path';
import { hasControlChars, withoutControlChars } from '../core/control-chars';
import { defused } from './exit-codes';
import type { CliIO } from './io';

/**
 * The folders the environment gives, under which lie files messages name: HOME (~/.git-credentials), git's config
 * folder, the Hub's token file and its folder (doctor's plaintext findings), the unlock agent's folders.
 */
const PATH_VARIABLES = ['HOME', 'XDG_CONFIG_HOME', 'HF_HOME', 'HF_TOKEN_PATH', 'XDG_RUNTIME_DIR', 'TMPDIR'] as const;

/**
 * A path as given (an argument, or a variable of the environment), when relative (messages may name it so: 'x?y/none.env
 * does not exist'), unless a control character starts or ends it: `--from $'\n'` (or TMPDIR=$'\n') made every line
 * break on stderr a '?', and `a<LF>` would join any line ending in 'a'.
 */
function asGiven(path: string | undefined): string | undefined {
  if (!path || isAbsolute(path)) return path;
  return hasControlChars(path.charAt(0)) || hasControlChars(path.charAt(path.length - 1)) ? undefined : path;
}

/**
 * The paths this run's messages name that hold a control character, longest first: the profile (from --profile or
 * CPW_PROFILE), the paths the command's arguments give (migrate --from, import's file, a team --file: see
 * Invocation.paths), each as given, resolved and its folder, then the working directory and the folders the
 * environment gives (PATH_VARIABLES).
 */
function pathsWithControlChars(io: Pick<CliIO, 'env' | 'cwd'>, profile: string | undefined, given: readonly string[]): string[] {
  const full = (path: string) => (isAbsolute(path) ? path : io.cwd === undefined ? undefined : resolve(io.cwd, path));
  const named = [profile ?? io.env['CPW_PROFILE'], ...given].flatMap((path) => {
    const at = path ? full(path) : undefined;
    return [asGiven(path), at, at === undefined ? undefined : dirname(at)];
  });
  const paths = [...named, io.cwd, ...PATH_VARIABLES.map((name) => asGiven(io.env[name]))];
  return [...new Set(paths.filter((p): p is string => !!p && hasControlChars(p)))].sort((a, b) => b.length - a.length);
}

/** Each path as it is, and as an error or a warning has it already (defused: its escape sequences as '?', its line breaks kept), with how it shows. */
function formsOf(paths: readonly string[]): Array<readonly [string, string]> {
  return paths.flatMap((path) => [path, defused(path)].map((form) => [form, withoutControlChars(path)] as const));
}

/**
 * `io` whose stderr shows those paths with '?' for each control character, line breaks included: a folder named with
 * a line break split doctor's lines, errors and warnings (which keep their own line breaks), and one holding an escape
 * sequence ran it in the terminal. Fix lines quote a path with shellWord already. stdout (data, --json) is left as it is.
 * Its `showingPaths` does the same to a text, and to the paths a run found (`found`: a backup the audit log named).
 */
export function showingPaths(io: CliIO, profile: string | undefined, given: readonly string[] = []): CliIO {
  // Looked at on the first message only: a get that says nothing runs no control-character pattern (hot-paths test).
  let forms: Array<readonly [string, string]> | undefined;
  const shown = (text: string, found: readonly string[] = []) => {
    forms ??= formsOf(pathsWithControlChars(io, profile, given));
    const more = found.filter(hasControlChars);
    // A function, not a replacement string: a path's own '$&' or "$'" put the raw path (or what follows it) back.
    return [...(more.length ? formsOf(more) : []), ...forms].reduce((out, [form, clean]) => out.replaceAll(form, () => clean), text);
  };
  return { ...io, err: (text: string) => io.err(shown(text)), showingPaths: shown };
}
