import { isVaultError } from '../core/errors';
import { openReader } from '../node/open-read';
import { NeedsFullVault } from '../node/vault/reader';
import { ENV_FORMATS } from './commands/env';
import type { CliContext, GlobalOptions } from './context';
import { commandKeychainDeadline, keychainDialogsFor } from './deadline';
import { defused, reportError } from './exit-codes';
import { assertNamedProfileExists } from './missing-profile';
import { processIO, type CliIO } from './io';
import { namingProfile } from './profile-hint';
import { showingPaths } from './shown-paths';
import { notUtf8Argument } from './raw-argv';

/**
 * The light path for the read commands, bundled alone as dist/fast.cjs:
 * `get`, `env`, `list`, `which`, `check`, `exec` and a plain `doctor` run the same command functions as
 * the full CLI, but over the read side of the vault only (no argument
 * parser, no schema library, no prompts, no writer), because pipelines call
 * them in loops. Anything unusual — another option, a profile that needs the
 * full parser or a repair (a crashed writer's journal, an index that lost a
 * keychain value), a missing credential — is handed to the full CLI
 * (dist/cli.cjs), which gives the same answer.
 */

/** The full CLI bundle, beside this one in dist/ (never bundled into it). */
function fullCli(): typeof import('./bin') {
  // A runtime require of the sibling bundle (marked external in scripts/build-cli.mjs), not an import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./cli.cjs') as typeof import('./bin');
}

/** The positional counts a command accepts and the options it takes (`value`: takes an argument). */
export interface CommandSpec {
  positional: number[];
  options: Record<string, 'flag' | 'value'>;
}

/** The commands this path serves. */
const COMMANDS: Record<string, CommandSpec> = {
  get: { positional: [2], options: { '--json': 'flag' } },
  env: { positional: [0], options: { '--json': 'flag', '--workflow': 'value', '--format': 'value' } },
  list: { positional: [0], options: { '--json': 'flag' } },
  which: { positional: [0, 2], options: { '--json': 'flag', '--all': 'flag' } },
  check: { positional: [0, 1], options: { '--json': 'flag' } },
  exec: { positional: [0], options: { '--workflow': 'value', '--no-history': 'flag', '--inherit-secrets': 'flag', '--mask': 'flag', '--no-mask': 'flag' } },
};

/**
 * A command served by a light bundle of its own (built on this one), so
 * what it needs never weighs on `get`: its spec and how it runs over the
 * read side.
 */
export interface LightExtension {
  spec: CommandSpec;
  run(args: LightArgs, ctx: CliContext, parts: ReturnType<typeof openReader>): Promise<number>;
}

export interface LightArgs {
  command: string;
  positional: string[];
  /** exec: the command after `--`. */
  rest: string[];
  options: Record<string, string | true>;
  globals: GlobalOptions;
}

/** Parses the plain forms of the read commands; anything else (help, unknown or repeated options) is for the full CLI. */
export function parseLight(argv: string[], commands: Record<string, CommandSpec> = COMMANDS): LightArgs | undefined {
  const args = [...argv];
  const globals: GlobalOptions = {};
  if (args[0] === '--profile' && args[1] !== undefined) {
    globals.profile = args[1];
    args.splice(0, 2);
  }
  const [command, ...all] = args;
  const spec = command && Object.hasOwn(commands, command) ? commands[command] : undefined;
  // A profile given as nothing (`--profile ''`): the full CLI refuses it (assertProfileNamed), naming --profile.
  if (!command || !spec || globals.profile?.trim() === '') return undefined;
  // exec runs what follows `--`; only that form is served here.
  const dashes = command === 'exec' ? all.indexOf('--') : -1;
  if (command === 'exec' && (dashes < 0 || dashes === all.length - 1)) return undefined;
  const rest = dashes < 0 ? all : all.slice(0, dashes);
  const out: LightArgs = { command, positional: [], rest: dashes < 0 ? [] : all.slice(dashes + 1), options: {}, globals };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--profile' && rest[i + 1] !== undefined && globals.profile === undefined && rest[i + 1]!.trim() !== '') globals.profile = rest[++i];
    else if (spec.options[a] === 'flag' && !(a in out.options)) out.options[a] = true;
    else if (spec.options[a] === 'value' && rest[i + 1] !== undefined && !(a in out.options) && !rest[i + 1]!.startsWith('-')) out.options[a] = rest[++i]!;
    else if (a.startsWith('-')) return undefined;
    else out.positional.push(a);
  }
  if (!spec.positional.includes(out.positional.length)) return undefined;
  if (command === 'env' && (!out.options['--workflow'] || (out.options['--format'] && !(ENV_FORMATS as readonly string[]).includes(out.options['--format'] as string)))) return undefined;
  if (command === 'which' && (out.positional.length === 0) === !out.options['--all']) return undefined;
  if (command === 'exec' && (!out.options['--workflow'] || (out.options['--mask'] && out.options['--no-mask']))) return undefined;
  globals.json = out.options['--json'] === true;
  return out;
}

/** Runs one read command on the light path. */
async function run(args: LightArgs, ctx: CliContext): Promise<number> {
  const o = args.options;
  const [a, b] = args.positional;
  switch (args.command) {
    case 'get':
      return (await import('./commands/get')).get({ service: a!, key: b! }, ctx);
    case 'env':
      return (await import('./commands/env')).env({ workflow: o['--workflow'] as string, ...(o['--format'] ? { format: o['--format'] as string } : {}) }, ctx);
    case 'list':
      return (await import('./commands/list')).list({}, ctx);
    case 'which':
      return (await import('./commands/which')).which({ ...(a ? { service: a } : {}), ...(b ? { key: b } : {}), ...(o['--all'] ? { all: true } : {}) }, ctx);
    case 'exec':
      return (await import('./commands/exec')).exec({
        workflow: o['--workflow'] as string,
        command: args.rest,
        history: !o['--no-history'],
        ...(o['--inherit-secrets'] ? { inheritSecrets: true } : {}),
        ...(o['--mask'] ? { mask: true } : o['--no-mask'] ? { mask: false } : {}),
      }, ctx);
    default:
      return (await import('./commands/check')).check({ workflow: a }, ctx);
  }
}

/** Runs a read command; falls back to the full CLI for everything the light path does not handle. */
export function main(argv: string[], given?: CliIO): Promise<number> {
  return lightMain(argv, given);
}

/** {@link main}, with the commands of a light bundle built on this one. */
export async function lightMain(argv: string[], given?: CliIO, extensions: Record<string, LightExtension> = {}): Promise<number> {
  // The full CLI builds its own IO when none is given: the real one, with terminal prompts (this bundle has none).
  let handedOver = false;
  const handOver = () => ((handedOver = true), fullCli().main(argv, given));
  const extension = (command: string) => (Object.hasOwn(extensions, command) ? extensions[command] : undefined);
  const args = parseLight(argv, { ...COMMANDS, ...Object.fromEntries(Object.entries(extensions).map(([name, e]) => [name, e.spec])) });
  if (!args || notUtf8Argument(argv)) return handOver(); // the full CLI says which argument
  const io = namingProfile(showingPaths(given ?? processIO(), args.globals.profile), args.globals.profile);
  let warn = (m: string) => io.err(`warning: ${defused(m)}\n`);
  let parts: ReturnType<typeof openReader>;
  try {
    parts = openReader({ profilePath: args.globals.profile, env: io.env, cwd: io.cwd, caller: 'cli', warn: (m) => warn(m), keychainTimeoutMs: commandKeychainDeadline(), ...keychainDialogsFor(io) });
  } catch {
    // A profile path it cannot resolve (relative, with the working directory removed): the full CLI says so.
    return handOver();
  }
  const { reader, history } = parts;
  let repairCheck: Promise<boolean> | undefined;
  const checkRepair = () => (repairCheck ??= reader.needsRepair().catch((err) => err instanceof NeedsFullVault)); // other failures: the reads report them
  const needsFullVault = async () => !!repairCheck && (await repairCheck);
  const ctx: CliContext = {
    io,
    globals: args.globals,
    reader: async () => {
      assertNamedProfileExists(args.globals.profile, io);
      // Reads that go by the index need it whole: a repair is the full vault's job. `get` reads by id and needs no
      // index. `env` prints only its workflow's credentials, each read from the store: an index that lost another
      // value changes nothing it prints, so it asks only when the workflow is not ready (below). The others ask
      // alongside their reads (one round trip fewer), and the answer is in before their held output leaves, or
      // (exec, whose masking needs every stored secret indexed) before its stage starts.
      if (args.command !== 'get' && args.command !== 'env') checkRepair();
      return reader;
    },
    readsSettled: async () => {
      if (await needsFullVault()) throw new NeedsFullVault();
    },
    vault: () => Promise.reject(new NeedsFullVault()),
    doctorSubject: () => Promise.reject(new NeedsFullVault()),
    runs: history,
    muteWarning: (prefix) => parts.profile.mute(prefix),
  };
  // Output is held back until the command is done, so a hand-over to the full CLI never prints anything twice
  // (not for exec: its stage talks to the terminal while it runs, and it hands over only before the stage starts).
  const held: Array<['out', string | Uint8Array] | ['err', string]> = [];
  // Taken out before it is written: a write that fails (a full disk) is reported once, never written again.
  const flush = () => held.splice(0).forEach((h) => (h[0] === 'out' ? io.out(h[1]) : io.err(h[1])));
  const lightIO: CliIO = args.command === 'exec' ? io : { ...io, out: (text) => void held.push(['out', text]), err: (text) => void held.push(['err', text]) };
  warn = (m) => lightIO.err(`warning: ${defused(m)}\n`);
  try {
    const own = extension(args.command);
    const code = own ? await own.run(args, { ...ctx, io: lightIO }, parts) : await run(args, { ...ctx, io: lightIO });
    if (await needsFullVault()) return handOver();
    flush();
    return code;
  } catch (err) {
    if (err instanceof NeedsFullVault) return handOver();
    // env: a workflow not ready (or a value missing) may be an index that lost it: the full vault repairs, then answers.
    if (args.command === 'env' && isVaultError(err) && /^(WORKFLOW_NOT_READY|CREDENTIAL_MISSING)$/.test(err.code)) checkRepair();
    if (await needsFullVault()) return handOver();
    // A locked vault file on a terminal: the full CLI, with its terminal prompts, asks the passphrase.
    if (io.stdinIsTTY && isVaultError(err, 'VAULT_LOCKED')) return handOver();
    flush();
    return reportError(io, err, !!args.globals.json);
  } finally {
    // Closed for the full CLI, which opens its own. Otherwise the launcher ends the process once this returns, and
    // the connection (unref-ed while idle) goes with it: destroying its socket made Node build process.stderr (net's
    // _destroy compares every socket it closes with it), for a pipe ~0.5 ms of a `get` whose stderr is a log.
    if (handedOver) reader.close();
  }
}
