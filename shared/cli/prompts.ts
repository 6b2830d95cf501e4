import { VaultError } from '../core/errors';
import type { Prompts } from './io';

/** What a prompt answers when the user presses Ctrl-C or Ctrl-D: the command stops, having changed nothing. */
function cancelled(err: unknown): never {
  if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
    throw new VaultError('CANCELLED', 'cancelled: nothing changed', 'Run the command again when you are ready.', { cause: 'SIGINT' });
  }
  throw err;
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
  const context = { output: process.stderr };
  return {
    secret: (message) => password({ message, mask: false }, context).catch(cancelled),
    confirm: (message, defaultValue) => confirm({ message, default: defaultValue }, context).catch(cancelled),
    input: (message, options = {}) => input({ message, ...(options.default !== undefined ? { default: options.default } : {}), ...(options.validate ? { validate: options.validate } : {}) }, context).catch(cancelled),
    select: (message, choices, defaultValue) => select({ message, choices, ...(defaultValue !== undefined ? { default: defaultValue } : {}) }, context).catch(cancelled),
  };
}
