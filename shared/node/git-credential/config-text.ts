import { closeSync, fstatSync, openSync } from 'node:fs';
import { othersFile, READ_DATA } from '../profile/file-access';
import { readAllBytes } from '../profile/secure-fs';

/** What {@link readConfigText} answers for a regular file over its size limit. */
export const TOO_LARGE = Symbol('too large');

/**
 * The text of a file git or the Hub keeps (~/.gitconfig, ~/.git-credentials, the Hub's token file), followed through
 * links as git follows them: undefined when there is none, it cannot be read or it is not a regular file;
 * {@link TOO_LARGE} over `maxBytes`. Opened without blocking and checked on the descriptor: a FIFO at ~/.gitconfig
 * (planted in a home others can write, or a mistake) held doctor for ever in its open, waiting for a writer, and a
 * link to /dev/zero was read without end; a file swapped after a look is not read past the check either. `ownOnly`:
 * another user's file (theirs, or their link to it, planted in a home others can write; a shared HF_HOME) is not read
 * either, as migrate --from refuses it: a token found there is theirs, never one to take into the user's vault.
 */
export function readConfigText(path: string, maxBytes: number, options: { ownOnly?: boolean } = {}): string | typeof TOO_LARGE | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_DATA);
  } catch {
    return undefined; // none there, a path through a file, a link loop, not ours to read
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile() || (options.ownOnly && othersFile(s))) return undefined;
    if (s.size > maxBytes) return TOO_LARGE;
    return readAllBytes(fd, s.size).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
