import { CommanderError } from 'commander';
import type { PathInputs } from '../node/profile/paths';
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

/**
 * Stamps `last_used_at` of credentials the fast `get` path read (it does not
 * load the profile writer itself). Best effort.
 */
export async function recordUse(inputs: PathInputs, ids: string[]): Promise<void> {
  const [{ ProfileStore }, { UsageTracker }] = await Promise.all([import('../node/profile/store'), import('../node/records/usage-tracker')]);
  const store = new ProfileStore(inputs);
  const tracker = new UsageTracker(() => new Date());
  await store.update((p) => {
    for (const id of ids) tracker.touch(id, p.credential_metadata);
    return tracker.apply(p);
  });
}
