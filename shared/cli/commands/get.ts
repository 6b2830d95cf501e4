import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { protectSecretOutput } from '../secret-output';
import { shellArgument } from '../../core/control-chars';

/**
 * `cpw-vault get <service> <key>`: prints the value and nothing else (no
 * trailing newline when piped, so `$(...)` and subprocess reads get exactly
 * the key). With --json: {service, key, value, source}. A file other users
 * can read, as stdout, is made 0600 first (secret-output.ts).
 */
export async function get(args: { service: string; key: string }, ctx: CliContext): Promise<ExitCode> {
  const vault = await ctx.reader();
  const { value, source } = await vault.getCredential(args.service, args.key);
  // The example is made only for a refusal (quoting the names runs two patterns, ~0.1 ms of every get otherwise).
  const notice = protectSecretOutput(1, () => `cpw-vault get ${shellArgument(args.service)} ${shellArgument(args.key)} > ~/token.txt`);
  if (notice) ctx.io.err(`${notice}\n`);
  if (ctx.globals.json) printJson(ctx.io, { service: args.service, key: args.key, value, source });
  else ctx.io.out(ctx.io.stdoutIsTTY ? `${value}\n` : value);
  return EXIT.ok;
}
