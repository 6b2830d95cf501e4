import { cancelledError } from '../core/errors';
import type { Prompts } from './io';
import { guardedPrompt } from './prompt-guard';
import { interruptible, runningInterrupt } from './signals';

export { MAX_SECRET_INPUT_CHARS } from './prompt-guard';

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

/**
 * Runs one prompt on the terminal through {@link guardedPrompt} (character limit, Ctrl-Z and `fg`, a hidden answer checked
 * as a piped value is), on stderr, ended by the running command's interrupt (SIGTERM, SIGHUP, Ctrl-C outside raw mode).
 */
function guarded<T>(message: string, hidden: boolean, ask: (context: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal: AbortSignal }) => Promise<T>): Promise<T> {
  return interrupting(() => guardedPrompt({ message, hidden }, runningInterrupt(), (input, signal) => ask({ input, output: process.stderr, signal })).catch(cancelled));
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
    secret: (message) => guarded(message, true, (context) => password({ message, mask: false }, context)),
    confirm: (message, defaultValue) => guarded(message, false, (context) => confirm({ message, default: defaultValue }, context)),
    input: (message, options = {}) => guarded(message, false, (context) => input({ message, ...(options.default !== undefined ? { default: options.default } : {}), ...(options.validate ? { validate: options.validate } : {}) }, context)),
    select: (message, choices, defaultValue) => guarded(message, false, (context) => select({ message, choices, ...(defaultValue !== undefined ? { default: defaultValue } : {}) }, context)),
  };
}
