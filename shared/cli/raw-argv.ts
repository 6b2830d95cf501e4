import { isUtf8 } from 'node:buffer';
import { VaultError } from '../core/errors';
import { procEntries } from '../node/builtins';

/**
 * Arguments as they were typed are bytes; Node hands them over decoded as
 * UTF-8, each invalid sequence replaced by U+FFFD. So `profile set
 * name=<Latin-1 bytes>` stored "\uFFFD", and `exec -- stage <a file name in
 * Latin-1>` gave the stage another file's name. Such an argument is refused
 * instead. Only an argument that holds U+FFFD is looked at (a valid U+FFFD
 * typed in UTF-8 is kept), against the process's own command line (Linux:
 * /proc/self/cmdline, whose last entries are `argv`); where that cannot be
 * read, nothing is refused.
 */
export function notUtf8Argument(argv: readonly string[]): number {
  if (!argv.some((a) => a.includes('\uFFFD'))) return 0;
  const parts = procEntries('cmdline');
  if (parts.length < argv.length) return 0;
  const typed = parts.slice(parts.length - argv.length);
  const at = argv.findIndex((a, i) => a.includes('\uFFFD') && !isUtf8(typed[i]!));
  return at + 1;
}

/** INVALID_ARGUMENT for argument `position` (1-based, after the program name) that was not UTF-8: never its text. */
export function notUtf8Error(position: number): VaultError {
  return new VaultError(
    'INVALID_ARGUMENT',
    `Argument ${position} is not valid UTF-8 text: it would reach cpw-vault (and a stage under exec) changed, its invalid bytes replaced by U+FFFD.`,
    'Type it in UTF-8 (a terminal whose locale ends in .UTF-8). For a file name in another encoding, rename the file (convmv) or let the stage read it from a file.',
  );
}
