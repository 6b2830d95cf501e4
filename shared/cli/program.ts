import { Command, Option } from 'commander';
import { VaultError } from '../core/errors';
import { redact } from '../core/redact';
import { RUN_STATUSES } from '../core/records';
import { WORKFLOW_NAMES } from '../core/workflows';
import type { CliContext, GlobalOptions } from './context';
import type { CliIO } from './io';
import { addTeamCommands, withTeamIdentity, type TeamIdentityOptions } from './team-program';
import { version } from '../../package.json';

/** A parsed command line: which command function to run, with which arguments. */
export interface Invocation {
  run: (ctx: CliContext) => Promise<number>;
  globals: GlobalOptions;
  /** The paths the command's own options and arguments give (`--from <path>`, `import <file>`): messages name them. */
  paths: string[];
}

/** An example, or one with a note for the line under it: as `   # note` after it, an interactive zsh passed the note's words on. */
export type Example = string | readonly [command: string, note: string];
const examples = (lines: Example[]) => `\nExamples:\n${lines.map((l) => (typeof l === 'string' ? `  $ ${l}` : `  $ ${l[0]}\n    (${l[1]})`)).join('\n')}\n`;

/**
 * `--workflow` given once: commander keeps the last of a repeated option, so `exec --workflow subtitle --workflow
 * summarize` ran with summarize's keys alone, where its user expected both. Refused (INVALID_ARGUMENT, exit 2),
 * with this command's way on as the fix. A VaultError, not commander's InvalidArgumentError, which would call the
 * second name an invalid argument ("argument 'summarize' is invalid") though it is a workflow.
 */
const workflowOnce = (fix: string) => (value: string, previous: string | undefined): string => {
  if (previous !== undefined) throw new VaultError('INVALID_ARGUMENT', `--workflow is given twice (${previous}, then ${value}): one workflow per command.`, fix);
  return value;
};

/**
 * An option that means something only beside another: given alone it was ignored (`exec --timeout 5 -- job` set no
 * limit on the stage; `get --identity-file F` without --team read nothing from F). Refused (INVALID_ARGUMENT, exit 2,
 * nothing done), naming the option it needs.
 */
const onlyWith = (given: unknown, option: string, needed: unknown, neededOption: string): void => {
  if (given !== undefined && !needed) throw new VaultError('INVALID_ARGUMENT', `${option} works only with ${neededOption}: given without it, it would be ignored.`, `Add ${neededOption}, or leave ${option} out.`);
};

/** The team identity options given (see withTeamIdentity), as a team command's arguments; refused without --team. */
const teamIdentityOf = ({ team, identityFile, identityFd }: TeamIdentityOptions): { identityFile?: string; identityFd?: string } => {
  for (const [given, option] of [[identityFile, '--identity-file'], [identityFd, '--identity-fd']] as const) onlyWith(given, option, team, '--team');
  return { ...(identityFile !== undefined ? { identityFile } : {}), ...(identityFd !== undefined ? { identityFd } : {}) };
};

const PATH_VALUE = /<(?:path|file|dir)>/;

/**
 * The values of `cmd`'s options and arguments that name a file or folder (`<path>`, `<file>`, `<dir>`): a folder
 * unpacked from an archive may hold a line break or an escape sequence, and stderr shows them as it shows the profile's
 * (showingPaths). One rule for every command, so a new path option is covered as it is declared.
 */
function pathsOf(cmd: Command): string[] {
  const options = cmd.options.filter((o) => PATH_VALUE.test(o.flags)).map((o) => cmd.getOptionValue(o.attributeName()) as unknown);
  const args = cmd.registeredArguments.flatMap((a, i) => (PATH_VALUE.test(`<${a.name()}>`) ? [cmd.processedArgs[i] as unknown] : []));
  return [...options, ...args].flat().filter((v): v is string => typeof v === 'string');
}

/** Every long option some cpw-vault command takes: set names one given to it (any other dash word may be a value). */
const longOptions = (cmd: Command): string[] => [...cmd.options.flatMap((o) => (o.long ? [o.long] : [])), ...cmd.commands.flatMap(longOptions)];

/**
 * Builds the commander program. Actions only record the invocation; bin.ts
 * runs it, so commands stay plain functions and errors map to exit codes in
 * one place. Commands are imported when chosen: `get` loads only `get`.
 */
export function buildProgram(io: CliIO, onInvoke: (inv: Invocation) => void): Command {
  const program = new Command('cpw-vault')
    .description('Credentials for CP-WhisperX pipelines, kept in the OS keychain.')
    .option('--profile <path>', 'profile file (default: $CPW_PROFILE, then ~/.cp-whisperx/user.profile)')
    .version(`cpw-vault ${version}`, '-V, --version', 'print the version').exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(redact(s)) })
    .showHelpAfterError('(run with --help for usage)')
    // Options are the command's where they stand: what follows exec's stage command is the stage's (below).
    .enablePositionalOptions()
    .addHelpText('after', examples(['cpw-vault setup', 'cpw-vault set huggingface token', 'cpw-vault check subtitle', 'cpw-vault exec --workflow subtitle -- python3 02_tmdb_enrichment.py']));

  const sub = (name: string, description: string, json = true) => {
    const cmd = program.command(name).description(description).option('--profile <path>', 'profile file');
    if (json) cmd.option('--json', 'print one JSON document on stdout');
    return cmd;
  };
  const invoke = (cmd: Command, run: (ctx: CliContext) => Promise<number>) => onInvoke({ run, globals: cmd.optsWithGlobals() as GlobalOptions, paths: pathsOf(cmd) });

  withTeamIdentity(sub('get', 'print a credential value (and nothing else) on stdout')
    .argument('<service>').argument('<key>')
    .option('--team <file>', 'when neither env nor your vault has it, read it from this team file (cpw-team.age)'))
    .addHelpText('after', examples(['cpw-vault get huggingface token', 'HF_TOKEN=$(cpw-vault get huggingface token)', 'cpw-vault get tmdb api_key --json', 'cpw-vault get tmdb api_key --team cpw-team.age']))
    .action((service: string, key: string, o: TeamIdentityOptions, cmd: Command) => {
      const identity = teamIdentityOf(o);
      invoke(cmd, async (ctx) => (o.team ? (await import('./commands/team-read')).teamGet({ service, key, file: o.team, ...identity }, ctx) : (await import('./commands/get')).get({ service, key }, ctx)));
    });

  sub('set', 'store a credential, read from stdin or a hidden prompt (never from argv)', false)
    .argument('<service>').argument('<key>').argument('[refused...]')
    .allowUnknownOption()
    .option('--force', 'store even if the value does not match the expected format').option('--label <text>', 'a label shown in lists')
    .option('--env-var <NAME>', 'custom credentials: the env var that carries it')
    .addHelpText('after', examples([['cpw-vault set huggingface token', 'hidden prompt'], 'printf %s "$KEY" | cpw-vault set tmdb api_key', 'cpw-vault set deepl api_key --env-var DEEPL_API_KEY < key.txt']))
    .action((service: string, key: string, refused: string[], o: { force?: boolean; label?: string; envVar?: string }, cmd: Command) =>
      invoke(cmd, async (ctx) => {
        const m = await import('./commands/set');
        if (refused.length) throw m.argvValueRefused(refused, longOptions(program));
        return m.set({ service, key, ...o }, ctx);
      }));

  sub('delete', 'delete a credential (asks first on a terminal)', false)
    .argument('<service>').argument('<key>').option('-y, --yes', 'do not ask')
    .addHelpText('after', examples(['cpw-vault delete tmdb api_key', 'cpw-vault delete tmdb api_key --yes']))
    .action((service: string, key: string, o: { yes?: boolean }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/delete')).del({ service, key, ...o }, ctx)));

  sub('list', 'list credentials: source, masked hint, dates (never values)')
    .addHelpText('after', examples(['cpw-vault list', 'cpw-vault list --json']))
    .action((_o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/list')).list({}, ctx)));

  withTeamIdentity(sub('which', 'show where a value comes from (env var or keychain)')
    .argument('[service]').argument('[key]').option('--all', 'every credential').option('--team <file>', 'also say what this team file gives'))
    .addHelpText('after', examples(['cpw-vault which huggingface token', 'cpw-vault which --all', 'cpw-vault which --all --team cpw-team.age']))
    .action((service: string | undefined, key: string | undefined, o: TeamIdentityOptions & { all?: boolean }, cmd: Command) => {
      const identity = teamIdentityOf(o);
      invoke(cmd, async (ctx) => {
        const named = { ...(service ? { service } : {}), ...(key ? { key } : {}), ...(o.all ? { all: true } : {}) };
        if (o.team) return (await import('./commands/team-read')).teamWhich({ ...named, file: o.team, ...identity }, ctx);
        return (await import('./commands/which')).which(named, ctx);
      });
    });

  sub('check', 'is a workflow ready? exit 0 when ready, 3 when not')
    .argument('[workflow]', `${WORKFLOW_NAMES.join(' | ')} (default: your default workflow)`)
    .option('--verify', 'also ask each provider whether the keys work (exit 3 rejected, 5 unreachable)')
    .option('--timeout <seconds>', 'with --verify: deadline of each provider call (default 10)')
    .addHelpText('after', examples(['cpw-vault check subtitle', 'cpw-vault check summarize --json', 'cpw-vault check diarize --verify']))
    .action((workflow: string | undefined, o: { verify?: boolean; timeout?: string }, cmd: Command) => {
      onlyWith(o.timeout, '--timeout', o.verify, '--verify');
      invoke(cmd, async (ctx) => (o.verify ? (await import('./commands/check-verify')).checkVerify({ workflow, ...o }, ctx) : (await import('./commands/check')).check({ workflow }, ctx)));
    });

  sub('verify', 'ask each provider whether a key works (one cheap read-only call); exit 0 valid, 3 rejected, 5 unreachable')
    .argument('[service]').argument('[key]')
    .option('--workflow <name>', `the keys a workflow uses (${WORKFLOW_NAMES.join(' | ')}); diarize also checks the gated pyannote models`, workflowOnce('Verify one workflow at a time, or all of them with --all.'))
    .option('--all', 'every credential that has a value')
    .option('--timeout <seconds>', 'deadline of each provider call (default 10)')
    .addHelpText('after', examples(['cpw-vault verify huggingface token', 'cpw-vault verify --workflow diarize', 'cpw-vault verify --all --json', 'CPW_VAULT_ENDPOINT_HUGGINGFACE=https://hf-mirror.example cpw-vault verify huggingface token']))
    .action((service: string | undefined, key: string | undefined, o: { workflow?: string; all?: boolean; timeout?: string }, cmd: Command) =>
      invoke(cmd, async (ctx) => (await import('./commands/verify')).verify({ ...(service !== undefined ? { service } : {}), ...(key !== undefined ? { key } : {}), ...o }, ctx)));

  sub('env', "print a workflow's credentials as environment exports")
    .requiredOption('--workflow <name>', WORKFLOW_NAMES.join(' | '), workflowOnce('Run env once per workflow.'))
    .addOption(new Option('--format <format>', 'output format (default: sh)').choices(['sh', 'dotenv', 'json']))
    .addHelpText('after', examples(['cpw-vault env --workflow subtitle', 'exports=$(cpw-vault env --workflow subtitle) && eval "$exports"', '(umask 077; cpw-vault env --workflow transcribe --format dotenv > .env.local)']))
    .action((o: { workflow: string; format: string }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/env')).env(o, ctx)));

  // --mask and --no-mask set one value (the last one given wins): both given, which the user meant is unknown.
  const masks = new Set<string>();
  withTeamIdentity(sub('exec', "run a command with a workflow's credentials (and no others) in its environment", false)
    .requiredOption('--workflow <name>', WORKFLOW_NAMES.join(' | '), workflowOnce('For more credentials, add them with --with SERVICE.KEY (repeatable).'))
    .option('--no-history', 'do not record this run')
    .option('--inherit-secrets', "keep other credentials' env vars inherited from this shell (removed by default)")
    .option('--with <id>', 'also give the stage this credential under its env var (repeatable; custom ones: --with deepl.api_key)', (v: string, all: string[] = []) => [...all, v])
    .option('--mask', "mask stored values in the child's output even on a terminal (the child then writes to a pipe)")
    .option('--no-mask', "never mask the child's output (default: masked when it goes to a file or pipe)")
    .option('--verify', 'ask the providers first; refuse to start when a key is rejected (3) or cannot be checked (5)')
    .option('--timeout <seconds>', 'with --verify: deadline of each provider call (default 10)')
    .option('--team <file>', "the team file's values for what neither env nor your vault has (precedence: env, your vault, team)"))
    .argument('<command...>', 'the command (after --, or after its first word: what follows is all the stage\'s)')
    // `exec --workflow W echo x --no-history` gave the stage `x` and took --no-history as exec's (no run recorded);
    // `sh -c '...'` was refused as an unknown option -c. What follows the command's first word is the stage's, as for
    // `env`, `sudo` or `time`.
    .passThroughOptions()
    .on('option:mask', () => masks.add('--mask'))
    .on('option:no-mask', () => masks.add('--no-mask'))
    .addHelpText('after', examples(['cpw-vault exec --workflow subtitle -- python3 02_tmdb_enrichment.py --job j1', 'cpw-vault exec --workflow diarize --verify -- python3 05_pyannote_vad.py > vad.log', 'cpw-vault exec --workflow transcribe --mask -- python3 06_whisperx_asr.py', 'cpw-vault exec --workflow diarize --no-history -- ./05_pyannote_vad.sh']))
    .action((command: string[], o: { workflow: string; history: boolean; inheritSecrets?: boolean; mask?: boolean; verify?: boolean; timeout?: string; team?: string; identityFile?: string; identityFd?: string; with?: string[] }, cmd: Command) => {
      if (masks.size > 1) throw new VaultError('INVALID_ARGUMENT', '--mask and --no-mask are both given: they say opposite things.', 'Give one of them (or neither: masked when the output goes to a file or pipe).');
      onlyWith(o.timeout, '--timeout', o.verify, '--verify');
      teamIdentityOf(o);
      invoke(cmd, async (ctx) => {
        const stage = await import('./commands/exec');
        stage.assertCommand(command); // before --team reads or --verify asks the providers (readiness included) anything
        if (o.team) return (await import('./commands/team-read')).teamExec({ command, ...o, file: o.team }, ctx);
        if (o.verify) await (await import('./commands/exec-verify')).verifyFirst(await ctx.vault(), o, ctx, (ids) => stage.recordVerifyRefusal({ command, ...o }, ctx, ids));
        return stage.exec({ command, ...o }, ctx);
      });
    });

  sub('git-credential', "git's credential helper for https://huggingface.co (the HF token from the vault; writes nothing)", false)
    .argument('<operation>', 'get | store | erase (called by git), or: config (prints the git config commands that install it)')
    .addHelpText('after', examples(['cpw-vault git-credential config', ['eval "$(cpw-vault git-credential config)"', 'installs it: resets the helpers git runs for huggingface.co, then adds this one'], "printf 'protocol=https\\nhost=huggingface.co\\n\\n' | git credential fill"]))
    .action((operation: string, _o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/git-credential')).gitCredential({ operation }, ctx)));

  const runs = sub('runs', 'recorded exec runs: list, show, delete, stats')
    .option('--status <status>', RUN_STATUSES.join(' | '))
    .option('--workflow <name>', 'only this workflow', workflowOnce('Leave it out to list every run.'))
    .addHelpText('after', examples(['cpw-vault runs --status failed', 'cpw-vault runs show 3f2a9c', 'cpw-vault runs stats --json']))
    .action((o: { status?: string; workflow?: string }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/runs')).runsList(o, ctx)));
  // `runs --workflow W stats` counted every workflow's runs, `runs --status failed delete ID` deleted whatever ID named:
  // the list's filters, given before a subcommand, were ignored. Refused (exit 2, nothing done).
  const listOnly = (sub: string) => {
    const given = ['status', 'workflow'].find((k) => runs.opts()[k] !== undefined);
    if (given) throw new VaultError('INVALID_ARGUMENT', `--${given} filters the run list (cpw-vault runs); runs ${sub} takes no --${given}: given, it would be ignored.`, `Leave --${given} out, or list with: cpw-vault runs --${given} ...`);
  };
  runs.command('show').argument('<id>').option('--json').option('--profile <path>').description('one run')
    .addHelpText('after', examples(['cpw-vault runs show 3f2a9c', 'cpw-vault runs show 3f2a9c --json']))
    .action((id: string, _o, cmd: Command) => (listOnly('show'), invoke(cmd, async (ctx) => (await import('./commands/runs')).runsShow({ id }, ctx))));
  runs.command('delete').argument('<id>').option('--profile <path>').description('delete one run')
    .addHelpText('after', examples(['cpw-vault runs delete 3f2a9c']))
    .action((id: string, _o, cmd: Command) => (listOnly('delete'), invoke(cmd, async (ctx) => (await import('./commands/runs')).runsDelete({ id }, ctx))));
  runs.command('stats').option('--json').option('--profile <path>').description('counts by status and workflow, success rate')
    .addHelpText('after', examples(['cpw-vault runs stats', 'cpw-vault runs stats --json']))
    .action((_o, cmd: Command) => (listOnly('stats'), invoke(cmd, async (ctx) => (await import('./commands/runs')).runsStats({}, ctx))));

  const profile = program.command('profile').description('show or edit your profile')
    .addHelpText('after', examples(['cpw-vault profile show', 'cpw-vault profile set name="Ada Lovelace" email=ada@example.com', 'cpw-vault profile prefs set ai_provider=anthropic']));
  profile.command('show').option('--json').option('--profile <path>').description('user details and preferences')
    .addHelpText('after', examples(['cpw-vault profile show', 'cpw-vault profile show --json']))
    .action((_o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/profile')).profileShow({}, ctx)));
  profile.command('set').argument('<field=value...>').option('--json').option('--profile <path>').description('name, email, timezone, avatar_url, job_title')
    .addHelpText('after', examples(['cpw-vault profile set name="Ada Lovelace" email=ada@example.com timezone=Europe/London']))
    .action((pairs: string[], _o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/profile')).profileSet({ pairs }, ctx)));
  profile.command('prefs').description('preferences')
    .addHelpText('after', examples(['cpw-vault profile prefs set default_source_language=de enable_cost_tracking=true']))
    .command('set').argument('<key=value...>').option('--json').option('--profile <path>')
    .addHelpText('after', examples(['cpw-vault profile prefs set ai_provider=anthropic default_workflow=subtitle', 'cpw-vault profile prefs set notifications.run_failed=false']))
    .action((pairs: string[], _o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/profile')).prefsSet({ pairs }, ctx)));

  sub('migrate', 'move plaintext secrets (secrets.json, .env, seed profile, HF token file) into the keychain or the vault file')
    .option('--from <path>', 'the file to migrate (default: config/secrets.json, then a seed profile, then the HF token file)')
    .option('--dry-run', 'show the plan; change nothing')
    .option('--backup-dir <dir>', 'where the 0600 backup of the source goes (default: beside it)')
    .option('--overwrite <credential>', 'replace this conflicting credential (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--overwrite-all', 'replace every conflicting credential')
    .option('--include-unknown', 'import unknown keys as custom credentials (not ones that look like settings: PORT=3000, DEBUG=true)')
    .option('--remove-plaintext', 'after a verified migration, delete the source and the backup')
    .option('-y, --yes', 'do not ask')
    .addHelpText('after', examples(['cpw-vault migrate --dry-run', 'cpw-vault migrate --from config/secrets.json --yes', 'cpw-vault migrate --from .env --include-unknown --overwrite tmdb.api_key', 'cpw-vault migrate --yes --remove-plaintext']))
    .action((o: Record<string, unknown>, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/migrate')).migrate(o, ctx)));

  sub('setup', 'the setup wizard: profile basics and keys, or migration of secrets.json', false)
    .option('--non-interactive', 'for provisioning: keys from the catalog env vars (HF_TOKEN, TMDB_API_KEY, ...)')
    .option('--force', 'non-interactive: store values that do not match the expected format')
    .option('--overwrite', 'non-interactive: replace a different value already stored (kept otherwise)')
    .option('--name <name>').option('--email <email>').option('--timezone <zone>').option('--default-workflow <name>')
    .addHelpText('after', examples(['cpw-vault setup', 'HF_TOKEN=... cpw-vault setup --non-interactive --name "CI runner" --timezone UTC']))
    .action((o: Record<string, unknown>, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/setup')).setup(o, ctx)));

  const passphraseFrom = (cmd: Command) =>
    cmd
      .option('--passphrase-fd <n>', 'read the passphrase from this open file descriptor (a pipe), never from argv')
      .option('--passphrase-file <path>', 'read the passphrase from this file (refused when others can read it)');

  passphraseFrom(sub('unlock', 'vault file backend: ask the passphrase once and start the unlock agent for this session'))
    .option('--ttl <duration>', 'how long the agent keeps the vault open: 90s, 30m, 8h, 1d (at most 30d)', '8h')
    .addHelpText('after', examples(['cpw-vault unlock', 'cpw-vault unlock --ttl 30m', ['cpw-vault unlock --passphrase-file ~/.config/cpw-vault/pass', 'a 0600 file'], 'pass show cpw-vault | cpw-vault unlock --passphrase-fd 0']))
    .action((o: { ttl: string; passphraseFd?: string; passphraseFile?: string }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/unlock')).unlock(o, ctx)));

  sub('lock', 'vault file backend: stop the unlock agent (the next read needs the passphrase again)')
    .addHelpText('after', examples(['cpw-vault lock']))
    .action((_o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/lock')).lock({}, ctx)));

  program.command('passphrase').description('vault file backend: the vault passphrase')
    .addHelpText('after', examples(['cpw-vault passphrase change']))
    .command('change').option('--profile <path>', 'profile file').description('change the vault passphrase (interactive only: current, new, confirm)')
    .addHelpText('after', examples(['cpw-vault passphrase change']))
    .action((_o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/passphrase')).passphraseChange({}, ctx)));

  passphraseFrom(sub('export', 'write every secret and its metadata to an age file with a passphrase of its own'))
    .requiredOption('--to <file>', 'the export file to create (never replaced)')
    .addHelpText('after', examples(['cpw-vault export --to vault-export.age', ['age -d vault-export.age', 'read it without cpw-vault']]))
    .action((o: { to: string; passphraseFd?: string; passphraseFile?: string }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/export')).exportVault(o, ctx)));

  passphraseFrom(sub('import', 'read an export file (cpw-vault export) into this vault: the plan first, then all or nothing'))
    .argument('<file>', 'the export file')
    .option('--dry-run', 'show the plan; change nothing')
    .option('--overwrite <credential>', 'replace this conflicting credential (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--overwrite-all', 'replace every conflicting credential')
    .option('-y, --yes', 'do not ask')
    .addHelpText('after', examples(['cpw-vault import vault-export.age --dry-run', 'cpw-vault import vault-export.age', ['cpw-vault import vault-export.age --yes --passphrase-file ~/export-pass', 'a 0600 file']]))
    .action((file: string, o: { dryRun?: boolean; overwrite?: string[]; overwriteAll?: boolean; yes?: boolean; passphraseFd?: string; passphraseFile?: string }, cmd: Command) =>
      invoke(cmd, async (ctx) => (await import('./commands/import')).importVault({ file, ...o }, ctx)));

  const backend = sub('backend', 'where the secrets live: the OS keychain or the age vault file (and switching)')
    .addHelpText('after', examples(['cpw-vault backend', 'cpw-vault backend use file', 'cpw-vault backend use keychain']))
    .action((_o, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/backend')).backendShow({}, ctx)));
  passphraseFrom(backend.command('use').argument('<backend>', 'keychain | file').option('--json').option('--profile <path>'))
    .description('move every secret to that backend (read back, all or nothing) and use it from now on')
    .addHelpText('after', examples([['cpw-vault backend use file', 'asks the new vault passphrase twice'], ['cpw-vault backend use file --passphrase-file ~/vault-pass', 'a 0600 file'], 'cpw-vault backend use keychain']))
    .action((name: string, o: { passphraseFd?: string; passphraseFile?: string }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/backend')).backendUse({ backend: name, ...o }, ctx)));

  addTeamCommands(program, sub, invoke, examples);

  sub('doctor', 'check profile, keychain and workflows; non-zero when something is broken')
    .option('--repair', 'make the profile index and the keychain agree: finish or undo an interrupted change, re-index what the keychain holds, drop entries whose value is gone')
    .addHelpText('after', examples(['cpw-vault doctor', 'cpw-vault doctor --json', 'cpw-vault doctor --repair']))
    .action((o: { repair?: boolean }, cmd: Command) => invoke(cmd, async (ctx) => (await import('./commands/doctor')).doctor(o, ctx)));

  return program;
}
