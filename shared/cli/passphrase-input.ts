import { existsSync } from 'node:fs';
import { VaultError } from '../core/errors';
import { iconvName, utf16Form } from '../core/utf16';
import { registerPassphrase } from '../core/redact';
import { readPrivateInputFile } from '../node/private-input-file';
import { readDescriptor } from './descriptor-input';
import { echoOffDuring } from './echo-off';
import { cancelledIfInterrupted } from './signals';
import type { CliIO } from './io';

/** Where a command may take a passphrase from besides the hidden prompt (never argv, never an env var). */
export interface PassphraseSource {
  passphraseFd?: string;
  passphraseFile?: string;
}

/** Whether the passphrase comes from `--passphrase-fd` or `--passphrase-file` (else a terminal prompt, or none). */
export function passphraseGiven(source: PassphraseSource): boolean {
  return source.passphraseFd !== undefined || source.passphraseFile !== undefined;
}

/** Longest passphrase read from a file or a descriptor. */
const MAX_PASSPHRASE_BYTES = 4096;

/** Drops one trailing line break (what `echo` and editors add), refuses empty input. */
function finish(bytes: Buffer, from: string): string {
  // Notepad's "Unicode" and PowerShell's > write UTF-16: read as UTF-8 it was "more than one line" or, with no line
  // break, another passphrase, "does not open" after the wrong passphrase's pause.
  const utf16 = utf16Form(bytes);
  if (utf16) throw new VaultError('INVALID_ARGUMENT', `${from} is UTF-16 text (a file saved as "Unicode" by Notepad, or written by PowerShell's > or Out-File), not UTF-8; nothing was used.`, `Save it as UTF-8, or convert it: iconv -f ${iconvName(utf16)} -t UTF-8 FILE > FILE.utf8 (then chmod 600 FILE.utf8).`);
  const value = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (value === '') throw new VaultError('INVALID_ARGUMENT', `${from} holds no passphrase.`, 'Put the passphrase on its first line.');
  if (/[\r\n]/.test(value)) throw new VaultError('INVALID_ARGUMENT', `${from} holds more than one line.`, 'Put only the passphrase in it, on one line.');
  remember(value);
  return value;
}

/**
 * Adds a passphrase to the redaction registry, so no message can ever quote
 * it. Only one long enough to be a passphrase at all: a refused short entry
 * ("short") must not blank that word out of the very message refusing it.
 */
function remember(value: string): void {
  registerPassphrase(value);
}

/**
 * Reads a passphrase file: see readPrivateInputFile (a link is followed, the file it leads to checked). `command`: the
 * command as typed before its options, for the descriptor route of another user's file on a read-only mount.
 */
export function readPassphraseFile(path: string, command = 'cpw-vault unlock'): string {
  if (!existsSync(path)) {
    // Not repeated: `--passphrase-file "$PASS"` is the passphrase where its file's path goes, and the message printed it
    // into the job's log (the identity file's key is caught by its shape; a passphrase has none).
    throw new VaultError('INVALID_ARGUMENT', 'There is no file at the path given to --passphrase-file (not repeated here: it may be the passphrase itself); nothing was used.', 'Give the path of a 0600 file that holds the passphrase, or the passphrase on --passphrase-fd N. A passphrase on a command line stays in your shell history and can be seen in ps.');
  }
  const bytes = readPrivateInputFile(path, { what: 'passphrase file', maxBytes: MAX_PASSPHRASE_BYTES, notRegularFix: 'Use a plain file, or --passphrase-fd for a pipe.', tooLargeFix: 'Put only the passphrase in it.', unownedFix: (shown) => `open it in the shell and give cpw-vault the descriptor instead of its path: ${command} --passphrase-fd 3 3< ${shown}` });
  return finish(bytes, `The passphrase file ${path}`);
}

/**
 * Reads a passphrase from an open file descriptor (a pipe from the caller), up to its end (see readDescriptor).
 * `command`: the command as typed before its options (`cpw-vault import vault.age`), for the fix lines: they said
 * `cpw-vault unlock ...` to every command, so pasted under import or export they started the unlock agent (or failed
 * on the keychain backend).
 */
export async function readPassphraseFd(text: string, command = 'cpw-vault unlock'): Promise<string> {
  const bytes = await readDescriptor(text, { option: '--passphrase-fd', what: 'the passphrase', command, sample: 'pass.txt', maxBytes: MAX_PASSPHRASE_BYTES, tooLargeFix: 'Send only the passphrase.', prompted: true });
  return finish(bytes, `File descriptor ${Number(text)}`);
}

/** A hidden prompt; Ctrl-C (or a closed terminal) becomes CANCELLED (exit 130, "nothing changed"). */
export async function promptSecret(io: CliIO, message: string): Promise<string> {
  // Ctrl-C / Ctrl-D at the prompt already comes back as CANCELLED (shared/cli/prompts.ts).
  for (let attempt = 1; ; attempt++) {
    const value = await (await io.prompts()).secret(message);
    // Enter alone is asked again: it was checked as a passphrase (scrypt, ~2 s) and answered "wrong passphrase".
    if (value === '' && attempt < MAX_ROUNDS) {
      io.err('Nothing was typed. Type the passphrase (Ctrl-C to cancel).\n');
      continue;
    }
    if (value === '') throw new VaultError('INVALID_ARGUMENT', `No passphrase was typed, ${MAX_ROUNDS} times.`, 'Run the command again and type the passphrase.');
    remember(value);
    return value;
  }
}

/**
 * The hidden prompt, then `openWith` the answer (scrypt: the main thread is
 * held ~2 s). A Ctrl-C, SIGTERM or SIGHUP during the opening is acted on once
 * it ends, as one at the prompt is: CANCELLED (exit 130), where `get` died by
 * the signal without a word. A command that handles the signals itself (set's
 * rollback) still gets them.
 */
export function promptAndOpen<T>(io: CliIO, message: string, openWith: (passphrase: string) => Promise<T>): Promise<T> {
  // Echo stays off while the answer is checked: what is typed meanwhile is not shown (see echo-off.ts).
  return echoOffDuring(async () => {
    const passphrase = await promptSecret(io, message);
    return cancelledIfInterrupted(() => openWith(passphrase));
  });
}

/**
 * The passphrase for a command: from `--passphrase-fd`, `--passphrase-file`,
 * or a hidden prompt on the terminal (asked twice with `confirm`, for a new
 * passphrase). Without a terminal and without either option: INVALID_ARGUMENT
 * (exit 2) naming both options.
 */
export async function readPassphrase(source: PassphraseSource, io: CliIO, prompt: PassphrasePrompt): Promise<string> {
  if (source.passphraseFd !== undefined && source.passphraseFile !== undefined) {
    throw new VaultError('INVALID_ARGUMENT', 'Give --passphrase-fd or --passphrase-file, not both.', 'Keep one of them.');
  }
  if (passphraseGiven(source)) {
    const value = source.passphraseFd !== undefined ? await readPassphraseFd(source.passphraseFd, prompt.command) : readPassphraseFile(source.passphraseFile!, prompt.command);
    prompt.validate?.(value);
    return value;
  }
  if (!io.stdinIsTTY) {
    throw new VaultError('INVALID_ARGUMENT', 'There is no terminal to ask the passphrase on.', 'Give it with --passphrase-file PATH (a 0600 file) or --passphrase-fd N (never on the command line).');
  }
  return askNewOrCurrent(io, prompt);
}

/** What to ask on the terminal. */
export interface PassphrasePrompt {
  message: string;
  /** A new passphrase: asked twice. */
  confirm?: boolean;
  /** The command as typed before its options (`cpw-vault export --to FILE`), for the fix lines of --passphrase-fd. */
  command?: string;
  /** Throws a VaultError for an unacceptable passphrase; on the terminal its message is shown and the question asked again. */
  validate?: (value: string) => void;
}

/** Rounds of the new-passphrase dialogue before it gives up. */
const MAX_ROUNDS = 5;

/**
 * The hidden-prompt dialogue: a refused or mismatched entry is asked again, {@link MAX_ROUNDS} rounds at most. The
 * terminal's echo stays off from the first question to the last answer (see echo-off.ts).
 */
export function askNewOrCurrent(io: CliIO, prompt: PassphrasePrompt): Promise<string> {
  return echoOffDuring(() => dialogue(io, prompt));
}

async function dialogue(io: CliIO, prompt: PassphrasePrompt): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const first = await promptSecret(io, `${prompt.message} (input hidden):`);
    let problem: string | undefined;
    try {
      prompt.validate?.(first);
    } catch (err) {
      if (!(err instanceof VaultError) || attempt === MAX_ROUNDS) throw err;
      problem = err.message;
    }
    if (!problem && !prompt.confirm) return first;
    if (!problem) {
      const again = await promptSecret(io, 'Type it again to confirm (input hidden):');
      if (again === first) return first;
      if (attempt === MAX_ROUNDS) throw new VaultError('INVALID_ARGUMENT', `The two entries did not match, ${MAX_ROUNDS} times.`, 'Run the command again.');
      problem = 'The two entries did not match.';
    }
    io.err(`${problem} Please try again.\n`);
  }
}
