import { PassThrough } from 'node:stream';
import { cancelledError, VaultError } from '../core/errors';
import type { Prompts } from './io';
import { interruptible, runningInterrupt } from './signals';

/**
 * Most bytes a hidden answer may take (a value is at most 8192 characters, a
 * passphrase 4 KiB). readline redraws the whole line at each key, so a
 * pasted megabyte took hours of CPU, and a Ctrl-C typed after it waited its
 * turn behind every byte: input past this is never handed to the prompt.
 */
export const MAX_SECRET_INPUT_BYTES = 8 * 1024 + 16;

/** What a prompt answers when the user presses Ctrl-C or Ctrl-D (or a signal ends the command): it stops, having changed nothing. */
function cancelled(err: unknown): never {
  if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
    const interrupt = runningInterrupt();
    throw cancelledError(interrupt?.aborted ? interrupt.reason : 'SIGINT');
  }
  throw err;
}

/**
 * Runs a question so that SIGTERM or SIGHUP ends it as Ctrl-C does: the
 * terminal given back (raw mode off, echo on), CANCELLED with that signal.
 * Outside a change ({@link interruptible}: set's, delete's and setup's
 * questions) the signal killed the process mid-question and left the shell
 * with echo off.
 */
function interrupting<T>(ask: () => Promise<T>): Promise<T> {
  return runningInterrupt() ? ask() : interruptible(ask);
}

/** The prompt context: stderr, and the running command's interrupt (SIGTERM, SIGHUP, Ctrl-C outside raw mode) ends the question. */
function promptContext(): { output: NodeJS.WritableStream; signal?: AbortSignal } {
  const interrupt = runningInterrupt();
  return { output: process.stderr, ...(interrupt ? { signal: interrupt } : {}) };
}

/**
 * Prompts on the real terminal through the four @inquirer prompt packages
 * (loaded on first use: `get` never pays for them; not @inquirer/prompts,
 * whose editor prompt drags 500 KB of character-set tables into the bundle).
 * Prompts talk on stderr so stdout stays data; Ctrl-C or Ctrl-D at any of
 * them is CANCELLED (exit 130), never an internal error.
 */
export async function inquirerPrompts(): Promise<Prompts> {
  const [{ default: password }, { default: confirm }, { default: input }, { default: select }] = await Promise.all([
    import('@inquirer/password'),
    import('@inquirer/confirm'),
    import('@inquirer/input'),
    import('@inquirer/select'),
  ]);
  return {
    secret: (message) => interrupting(() => cappedSecret(message, (input, signal) => password({ message, mask: false }, { output: process.stderr, input, signal }))),
    confirm: (message, defaultValue) => interrupting(() => afterStops(process.stdin, message, () => confirm({ message, default: defaultValue }, promptContext())).catch(cancelled)),
    input: (message, options = {}) => interrupting(() => afterStops(process.stdin, message, () => input({ message, ...(options.default !== undefined ? { default: options.default } : {}), ...(options.validate ? { validate: options.validate } : {}) }, promptContext())).catch(cancelled)),
    select: (message, choices, defaultValue) => interrupting(() => afterStops(process.stdin, message, () => select({ message, choices, ...(defaultValue !== undefined ? { default: defaultValue } : {}) }, promptContext())).catch(cancelled)),
  };
}

/**
 * Runs a prompt that survives Ctrl-Z and `fg`. On Ctrl-Z, readline stops the process; on SIGCONT it pauses its input
 * and leaves resuming it to the program. Nothing did, so the event loop emptied, the prompt ended as force-closed
 * ("cancelled"), and what the user then typed (a key, at a hidden prompt) went to the shell as a command line, into
 * its history. The input is resumed here, and the prompt goes on where it was.
 */
async function afterStops<T>(input: { resume(): unknown }, message: string, run: () => Promise<T>): Promise<T> {
  // After readline's own SIGCONT work (raw mode back on: a hidden answer stays hidden), the question again: the
  // prompt redraws only at the next key, and the screen otherwise shows nothing to answer.
  const resume = () =>
    setImmediate(() => {
      input.resume();
      process.stderr.write(`\n(continued) ${message}\n`);
    });
  process.on('SIGCONT', resume);
  try {
    return await run();
  } finally {
    process.off('SIGCONT', resume);
  }
}

/**
 * Runs a hidden prompt on the terminal through a guard: the terminal's bytes
 * reach the prompt only up to {@link MAX_SECRET_INPUT_BYTES}; past that the
 * prompt is aborted and the answer refused (INVALID_ARGUMENT), whatever was
 * typed discarded. Ctrl-C / Ctrl-D stay CANCELLED.
 */
async function cappedSecret(message: string, ask: (input: NodeJS.ReadableStream, signal: AbortSignal) => Promise<string>): Promise<string> {
  const tty = process.stdin;
  const abort = new AbortController();
  const interrupt = runningInterrupt();
  const ends = interrupt ? AbortSignal.any([abort.signal, interrupt]) : abort.signal;
  if (!tty.isTTY) return ask(tty, ends).catch(cancelled); // no terminal: nothing to paste into, no raw mode to manage
  // The prompt's readline turns raw mode off when it closes; after an overflow it stays on until the paste is drained (no echo).
  const guard = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => (abort.signal.aborted || tty.setRawMode(on), guard) });
  let total = 0;
  const forward = (chunk: Buffer) => {
    if (abort.signal.aborted) return;
    total += chunk.length;
    if (total > MAX_SECRET_INPUT_BYTES) abort.abort();
    else guard.write(chunk);
  };
  tty.on('data', forward);
  // The prompt's readline pauses its input when it closes (Ctrl-D, the answer): the terminal then pauses too, so the process can end.
  guard.on('pause', () => tty.pause());
  guard.on('resume', () => tty.resume());
  tty.resume();
  try {
    return await afterStops(guard, message, () => ask(guard, ends));
  } catch (err) {
    if (abort.signal.aborted) {
      await drainPaste(tty);
      throw new VaultError('INVALID_ARGUMENT', `The answer is over ${MAX_SECRET_INPUT_BYTES} bytes; nothing was kept.`, 'Type or paste only the passphrase or value (a file: --passphrase-file PATH, or a value on stdin).');
    }
    return cancelled(err);
  } finally {
    tty.off('data', forward);
    tty.setRawMode(false);
    tty.pause();
    guard.end();
  }
}

/** Reads and drops what is still arriving of an oversized paste (until the terminal is quiet for 300 ms), so the shell never gets it as commands. */
async function drainPaste(tty: NodeJS.ReadStream): Promise<void> {
  await new Promise<void>((resolve) => {
    tty.resume();
    const done = () => (tty.off('data', drop), resolve());
    let quiet = setTimeout(done, 300);
    const drop = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, 300);
    };
    tty.on('data', drop);
  });
}
