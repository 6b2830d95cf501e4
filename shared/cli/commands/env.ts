import { VaultError } from '../../core/errors';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { protectSecretOutput } from '../secret-output';

export const ENV_FORMATS = ['sh', 'dotenv', 'json'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** POSIX shell single quotes: everything literal; a ' becomes '\''. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * dotenv quoting that every common reader takes back exactly and that stays
 * inert when the file is sourced (`set -a; . .env` in bash or dash):
 * single quotes, literal in sh, Node (`--env-file`, `process.loadEnvFile`)
 * and python-dotenv, except that python-dotenv unescapes `\\` and `\'` in
 * them and expands `${NAME}` even there, and a carriage return is lost
 * by Node and python-dotenv. A value holding a single quote is
 * double-quoted when nothing in it is special inside double quotes (no ", $,
 * `, \, !, line break). Anything else is refused (INVALID_ARGUMENT) naming
 * the variable, never the value: a value read back differently, or a
 * command run by `source`, is worse than no output.
 */
export function dotenvQuote(value: string, name = 'A variable'): string {
  const refuse = (why: string) =>
    new VaultError('INVALID_ARGUMENT', `${name}: its value ${why}, which no dotenv quoting keeps exact for every reader (bash, dash, python-dotenv, Node --env-file); nothing was printed.`, 'Use --format sh (for a shell) or --format json for this workflow.');
  if (value.includes('\r')) throw refuse('holds a carriage return');
  if (value.includes('${')) throw refuse('holds "${" (python-dotenv expands it even in single quotes)');
  if (!value.includes("'")) {
    if (value.includes('\\\\') || value.endsWith('\\')) throw refuse('holds a double backslash or ends with a backslash (python-dotenv unescapes them)');
    return `'${value}'`;
  }
  if (/["$`\\!\n]/.test(value)) throw refuse('holds a single quote together with ", $, `, \\, ! or a line break');
  return `"${value}"`;
}

/** Renders env vars in a format. */
export function renderEnv(env: Record<string, string>, format: EnvFormat): string {
  const names = Object.keys(env).sort();
  if (format === 'json') return `${JSON.stringify(Object.fromEntries(names.map((n) => [n, env[n]])), null, 2)}\n`;
  return names.map((n) => (format === 'sh' ? `export ${n}=${shQuote(env[n]!)}` : `${n}=${dotenvQuote(env[n]!, n)}`)).join('\n') + '\n';
}

/**
 * `cpw-vault env --workflow W [--format sh|dotenv|json]`: the workflow's
 * credentials as exports, every env alias of each, quoted for the format.
 * Exit 3 when the workflow is not ready.
 */
export async function env(args: { workflow: string; format?: string }, ctx: CliContext): Promise<ExitCode> {
  // --json is the JSON format; with another format named the caller asked for two outputs: refused, never a guess.
  if (ctx.globals.json && args.format !== undefined && args.format !== 'json') {
    throw new VaultError('INVALID_ARGUMENT', `--json and --format ${args.format} ask for two different outputs.`, `Use one: --format ${args.format}, or --json (the same as --format json).`);
  }
  const format = (ctx.globals.json ? 'json' : args.format ?? 'sh') as EnvFormat;
  // A script that asked for JSON gets its failure as one JSON document too ({"error": ...}).
  if (format === 'json') ctx.globals.json = true;
  if (!ENV_FORMATS.includes(format)) throw new VaultError('INVALID_ARGUMENT', 'Unknown --format.', `Use one of: ${ENV_FORMATS.join(', ')}.`);
  const vault = await ctx.reader();
  const vars = await vault.workflowEnv(args.workflow);
  const notice = protectSecretOutput(); // `env ... > .env.local` under umask 022: 0600 before a value is in it
  if (notice) ctx.io.err(`${notice}\n`);
  ctx.io.out(renderEnv(vars, format));
  return EXIT.ok;
}
