import { VaultError } from '../../core/errors';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';

export const ENV_FORMATS = ['sh', 'dotenv', 'json'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** POSIX shell single quotes: everything literal; a ' becomes '\''. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * dotenv quoting: single quotes are literal in dotenv parsers (no escapes, no
 * ${} interpolation); a value holding a single quote is double-quoted with
 * \ and " escaped, and refused if it also holds "${" (which parsers would expand).
 */
export function dotenvQuote(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (value.includes('${')) throw new VaultError('INVALID_ARGUMENT', 'A value holds both a single quote and "${", which no dotenv quoting keeps literal.', 'Use --format sh or --format json for this workflow.');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Renders env vars in a format. */
export function renderEnv(env: Record<string, string>, format: EnvFormat): string {
  const names = Object.keys(env).sort();
  if (format === 'json') return `${JSON.stringify(Object.fromEntries(names.map((n) => [n, env[n]])), null, 2)}\n`;
  return names.map((n) => (format === 'sh' ? `export ${n}=${shQuote(env[n]!)}` : `${n}=${dotenvQuote(env[n]!)}`)).join('\n') + '\n';
}

/**
 * `cpw-vault env --workflow W [--format sh|dotenv|json]`: the workflow's
 * credentials as exports, every env alias of each, quoted for the format.
 * Exit 3 when the workflow is not ready.
 */
export async function env(args: { workflow: string; format?: string }, ctx: CliContext): Promise<ExitCode> {
  const format = (ctx.globals.json ? 'json' : args.format ?? 'sh') as EnvFormat;
  if (!ENV_FORMATS.includes(format)) throw new VaultError('INVALID_ARGUMENT', 'Unknown --format.', `Use one of: ${ENV_FORMATS.join(', ')}.`);
  const vault = await ctx.reader();
  const vars = await vault.workflowEnv(args.workflow);
  ctx.io.out(renderEnv(vars, format));
  return EXIT.ok;
}
