import type { Prompts } from './io';

/** Prompts on the real terminal, through @inquirer/prompts (loaded on first use: `get` never pays for it). */
export async function inquirerPrompts(): Promise<Prompts> {
  const { password, confirm, input, select } = await import('@inquirer/prompts');
  // Prompts talk on stderr so stdout stays data.
  const context = { output: process.stderr };
  return {
    secret: (message) => password({ message, mask: false }, context),
    confirm: (message, defaultValue) => confirm({ message, default: defaultValue }, context),
    input: (message, options = {}) => input({ message, ...(options.default !== undefined ? { default: options.default } : {}), ...(options.validate ? { validate: options.validate } : {}) }, context),
    select: (message, choices, defaultValue) => select({ message, choices, ...(defaultValue !== undefined ? { default: defaultValue } : {}) }, context),
  };
}
