import { isUtf8 } from 'node:buffer';
import { PassThrough } from 'node:stream';
import { VaultError } from '../core/errors';
import { reassertEchoOff } from './echo-off';

/**
 * Most characters a hidden answer may take (a value is at most 8192 characters, a passphrase 4 KiB). readline redraws
 * the whole line at each key (each character), so a pasted megabyte took hours of CPU, and a Ctrl-C typed after it
 * waited its turn behind every key: input past this is never handed to the prompt. Counted in characters, not bytes:
 * 8,192 CJK characters (3 bytes each) or emoji (4) at the prompt were refused as "over 8208 bytes", piped they were
 * stored; the keys readline handles, and so its cost, are the same.
 */
export const MAX_SECRET_INPUT_CHARS = 8 * 1024 + 16;

/**
 * Most characters a visible answer (a name, an e-mail, a time zone, a yes/no) may take. The prompt redraws the whole
 * answer at each key: a pasted 20 KB wrote 86 MB and held the process for minutes, deaf to Ctrl-C and SIGTERM.
 */
export const MAX_VISIBLE_INPUT_CHARS = 1024;

/**
 * A UTF-8 character is at most 4 bytes: past 4 bytes a character, what came is not text (a run of continuation bytes,
 * which counted no character, each a U+FFFD key to readline) and is refused in bytes.
 */
const BYTES_PER_CHAR = 4;

/** True for a byte that starts a character in UTF-8 (not a continuation byte 10xxxxxx). */
const startsChar = (b: number) => (b & 0xc0) !== 0x80;

/** What the guard checks: hidden answers are also checked as `set` checks a piped value (UTF-8, one line, no control sequences). */
export interface GuardOptions {
  message: string;
  hidden: boolean;
}

/**
 * How long the terminal must stay quiet after a hidden answer before the prompt gives it back: a terminal (ssh, tmux,
 * a slow emulator) can deliver a multi-line paste in two reads, and the later lines were left in the input as the
 * answers to the next prompts (a secret typed into a visible one). Input in this window is refused as more lines.
 */
const PASTE_SETTLE_MS = 200;

const CTRL_C = 0x03;
const CTRL_Z = 0x1a;
const ESC = 0x1b;
const isLineBreak = (b: number) => b === 0x0d || b === 0x0a;

/**
 * Runs a prompt on the terminal through a guard that sees its bytes before
 * readline does. Past the character limit, or (hidden) at an answer that is not
 * UTF-8, holds an escape sequence or is followed by more lines (also lines
 * arriving within {@link PASTE_SETTLE_MS} after it), the prompt is aborted and
 * INVALID_ARGUMENT thrown, what was typed discarded (the rest of a paste read
 * and dropped: it must not reach the shell). Ctrl-Z stops the process with the
 * terminal given back, and after `fg` the prompt's raw mode and the echo-off
 * are put back (see {@link stopAt}). Other failures of `ask` (Ctrl-C, Ctrl-D)
 * go through as they are, and so does a Ctrl-C in the settle window.
 */
export async function guardedPrompt<T>(opts: GuardOptions, ends: AbortSignal | undefined, ask: (input: NodeJS.ReadableStream, signal: AbortSignal) => Promise<T>): Promise<T> {
  const tty = process.stdin;
  const abort = new AbortController();
  const signal = ends ? AbortSignal.any([abort.signal, ends]) : abort.signal;
  if (!tty.isTTY) return ask(tty, signal); // no terminal: nothing to paste into, no raw mode to manage
  let refusal: VaultError | undefined;
  let raw = false;
  let answered = false;
  let interrupted = false;
  // The prompt's readline turns raw mode off when it closes; it stays on until the prompt is over (the settle window
  // after a hidden answer, the drain of a refused paste): what arrives meanwhile is neither echoed nor line-buffered.
  const guard = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode: (on: boolean) => ((raw = on), on && !refusal && tty.setRawMode(true), guard),
  });
  const refuse = (err: VaultError) => {
    refusal = err;
    abort.abort();
  };
  let check = answerCheck(opts);
  const forward = (chunk: Buffer) => {
    if (refusal || interrupted) return;
    if (answered && chunk.includes(CTRL_C)) return ((interrupted = true), abort.abort());
    const problem = check(chunk);
    if (problem) return refuse(problem);
    if (answered) return; // only line breaks (the rest of the answer's own Enter): never the next prompt's
    let start = 0;
    for (let i = chunk.indexOf(CTRL_Z); i !== -1; i = chunk.indexOf(CTRL_Z, start)) {
      guard.write(chunk.subarray(start, i));
      start = i + 1;
      stopAt(tty);
    }
    guard.write(chunk.subarray(start));
  };
  const resume = () => {
    if (!raw || refusal) return;
    tty.setRawMode(false); // a stop by `kill -TSTP` left it raw: back to the settings the prompt started from first
    reassertEchoOff();
    tty.setRawMode(true);
    // A hidden answer begun before Ctrl-Z cannot be seen: it stayed in front of what was typed after `fg`, and a user
    // who typed the whole key again stored it behind the first keys. It is dropped (readline's Ctrl-E, Ctrl-U), and said.
    if (opts.hidden) {
      guard.write(Buffer.from([0x05, 0x15]));
      check = answerCheck(opts);
    }
    // The prompt redraws only at the next key: the screen otherwise shows nothing to answer.
    process.stderr.write(`\n(continued${opts.hidden ? ': what was typed before Ctrl-Z was dropped; type it again' : ''}) ${opts.message}\n`);
  };
  tty.on('data', forward);
  process.on('SIGCONT', resume);
  // The prompt's readline pauses its input when it closes (Ctrl-D, the answer): the terminal then pauses too, so the process can end.
  guard.on('pause', () => tty.pause());
  guard.on('resume', () => tty.resume());
  tty.resume();
  try {
    const answer = await ask(guard, signal);
    if (!opts.hidden) return answer;
    answered = true;
    await settle(tty, signal);
    if (refusal) throw refusal;
    // Named as @inquirer's own errors are, so the caller ends it as a Ctrl-C (or the signal) at the prompt.
    if (interrupted) throw Object.assign(new Error('Ctrl-C after the answer'), { name: 'ExitPromptError' });
    if (signal.aborted) throw Object.assign(new Error('Ended by a signal after the answer'), { name: 'AbortPromptError' });
    return answer;
  } catch (err) {
    if (!refusal) throw err;
    await drainPaste(tty);
    throw refusal;
  } finally {
    tty.off('data', forward);
    process.off('SIGCONT', resume);
    tty.setRawMode(false);
    tty.pause();
    guard.end();
  }
}

/**
 * Ctrl-Z at a prompt, done here rather than by readline: readline stopped the
 * process, and on SIGCONT paused its input (left to the program to resume) and
 * set raw mode from the terminal as the shell had left it (`icanon echo`), so
 * after `fg` a Ctrl-D closed the prompt without ending it, the process hung, and
 * a secret then typed under "input hidden" was echoed. The terminal goes back
 * to the settings the prompt started from, then the process stops.
 */
function stopAt(tty: NodeJS.ReadStream): void {
  tty.setRawMode(false);
  process.kill(process.pid, 'SIGTSTP');
}

/** The check of each chunk for a prompt: the character limit, and for a hidden answer the checks a piped value gets. */
function answerCheck(opts: GuardOptions): (chunk: Buffer) => VaultError | undefined {
  const limit = opts.hidden ? MAX_SECRET_INPUT_CHARS : MAX_VISIBLE_INPUT_CHARS;
  const shorter = opts.hidden ? 'Type or paste only the passphrase or value (a file: --passphrase-file PATH, or a value on stdin).' : 'Type a shorter answer.';
  const typed: Buffer[] = [];
  let bytes = 0;
  let chars = 0;
  let entered = false;
  return (chunk) => {
    bytes += chunk.length;
    for (const b of chunk) if (startsChar(b)) chars++;
    if (chars > limit) return refusal(`The answer is over ${limit} characters; nothing was kept.`, shorter);
    if (bytes > limit * BYTES_PER_CHAR) return refusal(`The answer is over ${limit * BYTES_PER_CHAR} bytes; nothing was kept.`, shorter);
    if (!opts.hidden) return undefined;
    if (entered) return chunk.some((b) => !isLineBreak(b)) ? moreLines() : undefined;
    const end = chunk.findIndex(isLineBreak);
    typed.push(end === -1 ? chunk : chunk.subarray(0, end));
    if (end === -1) return undefined;
    entered = true;
    const answer = Buffer.concat(typed);
    if (!isUtf8(answer)) return refusal('The answer is not valid UTF-8; nothing was kept.', 'Type or paste it as UTF-8 text (check the terminal\'s character set), or pipe it converted: iconv -f LATIN1 -t UTF-8');
    if (answer.includes(ESC)) return refusal('The answer held an escape sequence (an arrow key, or terminal codes in the pasted text); nothing was kept.', 'Type or paste only the passphrase or value itself.');
    return chunk.subarray(end).some((b) => !isLineBreak(b)) ? moreLines() : undefined;
  };
}

const refusal = (message: string, fix: string) => new VaultError('INVALID_ARGUMENT', message, fix);
const moreLines = () => refusal('The pasted answer held more than one line; nothing was kept.', 'Paste only the passphrase or value, on one line (a value from a file: cpw-vault set SERVICE KEY < FILE).');

/**
 * Waits after a hidden answer until the terminal has been quiet for
 * {@link PASTE_SETTLE_MS}, then one more turn of the event loop (its poll reads
 * the bytes that had arrived by then), or until `signal` aborts (the guard saw
 * more input, or the command's interrupt).
 */
async function settle(tty: NodeJS.ReadStream, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  tty.resume(); // the prompt's readline paused it when it closed
  await new Promise<void>((resolve) => {
    const done = () => (clearTimeout(quiet), signal.removeEventListener('abort', done), resolve());
    const quiet = setTimeout(() => setImmediate(done), PASTE_SETTLE_MS);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Reads and drops what is still arriving of a refused paste (until the terminal is quiet for 300 ms), so the shell never gets it as commands. */
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
