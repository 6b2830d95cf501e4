import { VaultError } from '../core/errors';
import { utf16Form } from '../core/utf16';
import { fstatSync, writeSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { workingDir } from '../node/profile/paths';
import { descriptorFlags, descriptorTarget } from './descriptors';
import { processEnv } from './process-env';
import { interruptible } from './signals';
import { untilAborted } from '../node/until-aborted';

/**
 * Everything a CLI command touches outside itself, so commands are plain
 * functions tests can call: stdout for data, stderr for talk, stdin, the
 * environment, prompts (loaded only when a command asks).
 */
export interface CliIO {
  /** Data only (values, tables, JSON): text, or bytes already UTF-8 (list's kept table, never decoded to be encoded again). */
  out(text: string | Uint8Array): void;
  /** Messages, warnings, progress. */
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Undefined when the working directory was removed under the process (a job folder a cleanup step deleted): see fromWorkingDir. */
  cwd: string | undefined;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  /** stderr is a terminal: a person may be watching (keychain dialogs wait longer for them). */
  stderrIsTTY?: boolean;
  /** Colour on stderr/stdout is allowed (a TTY and no NO_COLOR). */
  color: boolean;
  /** All of stdin as UTF-8 text, up to `use.maxBytes`; what stops it is refused in the words of `use` (see StdinUse). */
  readStdin(use: StdinUse): Promise<string>;
  /**
   * stdin as bytes (a protocol whose fields need not be UTF-8: git's credential requests); past `keep` bytes, read and
   * dropped. Until the chunk `endsAt` says ends the message (git's blank line); past `use.maxBytes` read without it,
   * refused in the words of `use`.
   */
  readStdinBytes?(keep: number, endsAt: (chunk: Uint8Array) => boolean, use: StdinUse): Promise<Buffer>;
  prompts(): Promise<Prompts>;
  /** The --profile given, named in the cpw-vault commands a --json document (stdout) suggests (see namingProfile). */
  profileOption?: string;
  /**
   * `text` with the paths this run names, and those it `found` (a backup the audit log named), shown as stderr shows
   * them (see showingPaths): for a path found on the way, and for a writer that indents a text's line breaks before
   * it reaches `err` (then a path's own line break would be indented, and no longer found).
   */
  showingPaths?: (text: string, found?: readonly string[]) => string;
}

/** Why stdin was not read: the fact, which the command reading it puts in its own words (see StdinUse). */
export type StdinRefusal =
  | { kind: 'closed' } // `<&-`, or a caller that gave none
  | { kind: 'folder' } // `< DIR`
  | { kind: 'too-large'; maxBytes: number } // more than maxBytes: reading stopped there
  | { kind: 'utf16' } // Notepad's "Unicode", PowerShell's >: a byte-order mark, or ASCII with a NUL in every other byte (see utf16Form)
  | { kind: 'not-utf8' };

/**
 * What a command reads stdin for. The reader reports the fact; the command says what it means and what it left
 * unchanged: "nothing was stored" of a value, never of an identity file being imported.
 */
export interface StdinUse {
  /**
   * The most bytes read: past it reading stops and the rest is refused, so an endless stdin (`< /dev/zero`, `yes |`)
   * is refused at once, never read until memory runs out. Required: no command reads stdin without a bound.
   */
  maxBytes: number;
  /** The command's error for each refusal. */
  refuse(why: StdinRefusal): VaultError;
}

/** Interactive prompts (on the TTY; never used when stdin is piped). */
export interface Prompts {
  /** Hidden input: nothing is echoed. */
  secret(message: string): Promise<string>;
  confirm(message: string, defaultValue: boolean): Promise<boolean>;
  input(message: string, options?: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
  select<T extends string>(message: string, choices: { value: T; name: string }[], defaultValue?: T): Promise<T>;
}

/**
 * The real process: stdout, stderr, stdin, env. Prompts come from `prompts`
 * (the full CLI passes the terminal prompts; the fast `get` path has none).
 */
export function processIO(prompts: () => Promise<Prompts> = noPrompts): CliIO {
  // Each variable taken once, when first read (see process-env.ts).
  const env = processEnv();
  return {
    out: writeStdout,
    err: (text) => void process.stderr.write(text),
    env,
    cwd: workingDir(),
    // Not process.stdin.isTTY: touching process.stdin/stdout builds streams (and loads the
    // net and tty modules, milliseconds of start-up) that `get` never needs.
    stdinIsTTY: isTerminal(0),
    stdoutIsTTY: isTerminal(1),
    stderrIsTTY: isTerminal(2),
    color: colorEnabled(isTerminal(2), env),
    readStdin: stdinText,
    readStdinBytes: stdinBytes,
    prompts,
  };
}

/**
 * `path` (a file argument) made absolute. A relative one needs the working directory: when that was removed,
 * a clear INVALID_ARGUMENT naming what was given (`what`: "--to", "the team file"), never an internal error.
 */
export function fromWorkingDir(io: Pick<CliIO, 'cwd'>, path: string, what: string): string {
  if (isAbsolute(path)) return resolve(path);
  if (io.cwd === undefined) throw new VaultError('INVALID_ARGUMENT', `${what} ${path} is a relative path, and the working directory it is relative to no longer exists.`, 'Give it as an absolute path, or run from a folder that exists.');
  return resolve(io.cwd, path);
}

/**
 * stdin to its end or to the chunk `endsAt` says ends the message (git's requests: readStdinBytes); bytes past `keep`
 * are read and dropped (a writer is never cut off, and memory stays bounded). Past `use.maxBytes` read without that
 * end, refused: `cat /dev/zero |` has none, and was read for ever.
 */
async function stdinBytes(keep: number, endsAt: (chunk: Uint8Array) => boolean, use: StdinUse): Promise<Buffer> {
  if (stdinIsFolder()) throw use.refuse({ kind: 'folder' });
  const chunks: Buffer[] = [];
  let kept = 0;
  let read = 0;
  // Stopped at a message's end, stdin is left open: on a terminal, a prompt may read it next (the vault file's passphrase).
  await cancellable(async () => {
    for await (const chunk of process.stdin.iterator({ destroyOnReturn: false })) {
      read += (chunk as Buffer).length;
      if (kept < keep) {
        chunks.push(chunk as Buffer);
        kept += (chunk as Buffer).length;
      }
      if (endsAt(chunk as Buffer)) break; // the rest is not this message's: left unread
      if (read > use.maxBytes) throw use.refuse({ kind: 'too-large', maxBytes: use.maxBytes });
    }
  });
  return Buffer.concat(chunks);
}

/**
 * `read` (of process.stdin), ended CANCELLED by Ctrl-C, SIGTERM or any signal that interrupts a change ("cancelled:
 * nothing changed", 130/143): a stdin whose writer never writes nor closes (`set ... < <(sleep 1000)`, a pipe a script
 * left open) held the read, and the signal's default action ended `set`, `team identity --import -` and git-credential
 * with no word, unlike every other command. stdin is paused, never destroyed (see readDescriptor: descriptor 0 stays as
 * it was); the read left waiting ends with the process.
 */
function cancellable<T>(read: () => Promise<T>): Promise<T> {
  return interruptible((signal) => {
    const pause = () => void process.stdin.pause();
    signal.addEventListener('abort', pause, { once: true });
    return untilAborted(read(), signal).finally(() => signal.removeEventListener('abort', pause));
  });
}

/**
 * All of stdin as text, for a command that reads it whole (see StdinUse): past `use.maxBytes` it stops reading and
 * refuses, since reading to the end of `< /dev/zero` or `yes |` would never end. Invalid UTF-8 is refused, never
 * turned into U+FFFD: a value stored that way would not be the bytes given, and `get` would print something else.
 */
async function stdinText(use: StdinUse): Promise<string> {
  if (stdinClosed()) throw use.refuse({ kind: 'closed' });
  if (stdinIsFolder()) throw use.refuse({ kind: 'folder' });
  const chunks: Buffer[] = [];
  let size = 0;
  await cancellable(async () => {
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > use.maxBytes) throw use.refuse({ kind: 'too-large', maxBytes: use.maxBytes });
      chunks.push(chunk as Buffer);
    }
  });
  const bytes = Buffer.concat(chunks);
  // Before decoding: UTF-16 with a mark was "not valid UTF-8" (the fix offered, a Latin-1 conversion, made it worse), and
  // without one its NULs decode as UTF-8, to be refused later as "a control character".
  if (utf16Form(bytes)) throw use.refuse({ kind: 'utf16' });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw use.refuse({ kind: 'not-utf8' });
  }
}

/** A folder as stdin (`set tmdb api_key < ~/keys`) reads as nothing: said as what it is, not as an empty value. */
function stdinIsFolder(): boolean {
  try {
    return fstatSync(0).isDirectory();
  } catch {
    return false; // no stdin at all: reading it says so
  }
}

/**
 * A closed stdin (`set tmdb api_key <&-`, a caller that gave none) is said as such, not as an empty value: Node puts
 * /dev/null opened read-write in place of a closed fd 0 (a `< /dev/null` is read-only: an empty stdin, left to the
 * command). Only where stdin is read whole: git's protocol (readStdinBytes) keeps answering an empty request with nothing.
 */
function stdinClosed(): boolean {
  return descriptorTarget(0) === '/dev/null' && ((descriptorFlags(0) ?? 0) & 3) === 2;
}

/** Minimal ANSI styling that honours NO_COLOR (through `io.color`). */
export function paint(io: CliIO) {
  const wrap = (code: number) => (text: string) => (io.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2), bold: wrap(1) };
}

/** Linux's major number of the memory devices (/dev/null, /dev/zero, /dev/full, /dev/urandom): never a terminal. */
const MEMORY_DEVICES = 1;

/**
 * True when `fd` is a terminal. Pipes and files (what pipelines use) are
 * ruled out by one fstat, and so is /dev/null (`get ... >/dev/null`, a stage's
 * closed stdin) on Linux; only other character devices ask the tty module,
 * whose load cost a `get` ~0.5 ms.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || (process.platform === 'linux' && ((st.rdev >> 8) & 0xfff) === MEMORY_DEVICES)) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}

/** Set once stdout's reader has gone away (`| head`): what follows has nobody to read it. */
let stdoutGone = false;
const readerGone = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/** Blocks this thread for `ms` (nothing else runs meanwhile, as in a blocking write). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes to stdout synchronously without building process.stdout (see
 * isTerminal), all of it before returning. stdout may be non-blocking: with
 * `2>&1 |` it shares its file description with stderr, which Node's stderr
 * stream makes non-blocking. A full pipe then takes part of a write (the
 * rest of a 390 KB plan was dropped at 64 KiB, exit 0) or none (EAGAIN):
 * the rest is written as its reader makes room, as a blocking write would.
 * A reader that went away (`cpw-vault runs | head -1`) only ends the output:
 * the command finishes with its own exit code, never an internal error.
 */
function writeStdout(text: string | Uint8Array): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let done = 0; done < bytes.length && !stdoutGone; ) {
    try {
      done += writeSync(1, bytes, done);
    } catch (err) {
      if (readerGone(err)) stdoutGone = true;
      else if ((err as NodeJS.ErrnoException).code === 'EAGAIN') pause(2);
      else throw outputError(err);
    }
  }
}

/** A write to stdout that failed (a full disk, an I/O error): said as such, never as a bug. */
function outputError(err: unknown): VaultError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'write error';
  return new VaultError('IO_ERROR', `The output could not be written (${code}): it is incomplete.`, code === 'ENOSPC' ? 'Free space on the disk the output goes to, or send it elsewhere.' : 'Send the output somewhere it can be written.', { cause: err });
}

/** Colour only on a terminal, never with NO_COLOR set (any value, https://no-color.org) or TERM=dumb. */
export function colorEnabled(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb';
}

async function noPrompts(): Promise<Prompts> {
  throw new Error('this command does not prompt');
}
