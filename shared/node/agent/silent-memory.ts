import type { Stats } from 'node:fs';

/** An agent socket this process found silent: which file it was, why (an error's detail), and until when that holds. */
interface Silence {
  file: string;
  why: string;
  until: number;
}

const KEY: unique symbol = Symbol.for('cpw-vault.silent-agents');

/**
 * One memory per process, not per bundle: dist/fast.cjs, light-doctor.cjs and cli.cjs each carry a copy of this
 * module, and one that hands over to another (a locked vault on a terminal: the full CLI asks the passphrase) must
 * not wait on the same agent again. Plain data only: an error made by one bundle is not an instance of the other's
 * VaultError (the full CLI called it an internal error).
 */
const silences: Map<string, Silence> = ((globalThis as { [KEY]?: Map<string, Silence> })[KEY] ??= new Map());

/**
 * Which socket file `s` is: a new agent (an unlock since) binds a new file, even where the file system gives it
 * the inode the old one had, and that file's change time differs.
 */
export function socketFileId(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.ctimeMs}`;
}

/** Remembers, for `ms`, that the agent on socket file `file` (at `path`) did not answer (`why`). */
export function rememberSilent(path: string, file: string, why: string, ms: number): void {
  silences.set(path, { file, why, until: Date.now() + ms });
}

/**
 * Why the agent on socket file `file` (at `path`) is taken as silent: it did not answer this process less than a
 * wait ago, and asked again it would hold the caller for another wait. Undefined otherwise (after that, it is
 * asked again: it may have been resumed).
 */
export function knownSilent(path: string, file: string): string | undefined {
  const s = silences.get(path);
  if (s && s.file === file && Date.now() < s.until) return s.why;
  if (s) silences.delete(path);
  return undefined;
}
