import { CommanderError } from 'commander';
import { createContext } from './context';
import { EXIT, reportError } from './exit-codes';
import { processIO, type CliIO } from './io';
import { buildProgram, type Invocation } from './program';

/** Terminal prompts, loaded only when a command asks. */
const terminalPrompts = () => import('./prompts').then((m) => m.inquirerPrompts());

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit
 * code. The one place where errors become exit codes.
 */
export async function main(argv: string[], io: CliIO = processIO(terminalPrompts)): Promise<number> {
  let invocation: Invocation | undefined;
  const program = buildProgram(io, (inv) => (invocation = inv));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportError(io, err, false);
  }
  if (!invocation) {
    io.err(program.helpInformation());
    return EXIT.usage;
  }
  const ctx = createContext(io, invocation.globals);
  try {
    return await invocation.run(ctx);
  } catch (err) {
    return reportError(io, err, !!invocation.globals.json);
  }
}
