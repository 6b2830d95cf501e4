import { CommanderError } from 'commander';
import { VaultError } from '../core/errors';
import { redact } from '../core/redact';
import { createContext } from './context';
import { EXIT, reportError } from './exit-codes';
import { processIO, type CliIO } from './io';
import { onLockWait } from '../node/profile/lock-wait-notice';
import { assertProfileNamed } from '../node/profile/paths';
import { namingProfile } from './profile-hint';
import { showingPaths } from './shown-paths';
import { buildProgram, type Invocation } from './program';
import { notUtf8Argument, notUtf8Error } from './raw-argv';

/** Terminal prompts, loaded only when a command asks. */
const terminalPrompts = () => import('./prompts').then((m) => m.inquirerPrompts());

/** True when the command line asks for JSON output (`--json`, `--format json`), whatever else is wrong with it. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

function usageError(err: CommanderError): VaultError {
  const message = redact(err.message.replace(/^error: /, '')).trim();
  return new VaultError('INVALID_ARGUMENT', message.charAt(0).toUpperCase() + message.slice(1), 'Run the command with --help for its usage.');
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit
 * code. The one place where errors become exit codes.
 */
export async function main(argv: string[], io: CliIO = processIO(terminalPrompts)): Promise<number> {
  const notUtf8 = notUtf8Argument(argv);
  if (notUtf8) return reportError(io, notUtf8Error(notUtf8), wantsJson(argv));
  let invocation: Invocation | undefined;
  const program = buildProgram(io, (inv) => (invocation = inv));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok;
      // Commander said what is wrong on stderr; a script that asked for JSON also gets one error document.
      if (wantsJson(argv)) io.out(`${JSON.stringify({ error: usageError(err).toJSON() })}\n`);
      return EXIT.usage;
    }
    // An option's own check (--workflow given twice): its error, as a JSON document too when one was asked for.
    return reportError(io, err, wantsJson(argv));
  }
  if (!invocation) {
    io.err(program.helpInformation());
    return EXIT.usage;
  }
  // Before the command reads anything (set's hidden prompt, a stdin): a profile given as nothing, or at /, is refused.
  try {
    assertProfileNamed(invocation.globals.profile, io.env, io.cwd);
  } catch (err) {
    return reportError(io, err, !!invocation.globals.json);
  }
  // Every command a message suggests names the profile given with --profile: pasted, it acts on the same one.
  io = namingProfile(showingPaths(io, invocation.globals.profile, invocation.paths), invocation.globals.profile);
  const ctx = createContext(io, invocation.globals);
  // A command that waits for another cpw-vault's lock says so after a second instead of looking hung.
  onLockWait((message) => io.err(`cpw-vault: ${message}\n`));
  try {
    return await invocation.run(ctx);
  } catch (err) {
    return reportError(io, err, !!invocation.globals.json);
  }
}
