import type { Command } from 'commander';
import type { CliContext } from './context';
import type { Example } from './program';

type Sub = (name: string, description: string, json?: boolean) => Command;
type Invoke = (cmd: Command, run: (ctx: CliContext) => Promise<number>) => void;

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `--file`, `--identity-file` and `--identity-fd`, on every team subcommand. */
function target(cmd: Command): Command {
  return cmd
    .option('--file <path>', 'the team file (default: cpw-team.age in this folder)')
    .option('--identity-file <path>', 'an age identity file (age-keygen; CI deploy key) instead of your stored identity; refused when others can read it')
    .option('--identity-fd <n>', "the same identity read from this open descriptor (3< FILE: a secret another user owns that the shell can open)")
    .option('--profile <path>', 'profile file')
    .option('--json', 'print one JSON document on stdout');
}

/** The team identity options of get, which and exec, beside their --team. */
export interface TeamIdentityOptions { team?: string; identityFile?: string; identityFd?: string }

/** get's, which's and exec's --identity-file and --identity-fd, refused without --team (program.ts); the team subcommands': {@link target}. */
export const withTeamIdentity = (cmd: Command): Command => cmd.option('--identity-file <path>', 'with --team: an age identity file (CI) instead of your stored identity').option('--identity-fd <n>', 'with --team: the same identity read from this open descriptor (3< FILE)');

/**
 * Registers `cpw-vault team ...` (the team vault, issue 17). Kept out of
 * program.ts so the team commands are one file to read; each command module
 * is imported only when chosen.
 */
export function addTeamCommands(program: Command, _sub: Sub, invoke: Invoke, examples: (lines: Example[]) => string): void {
  const team = program.command('team').description('share keys with the people and CI that run a pipeline: an age file in the repo, one recipient per member')
    .addHelpText('after', examples(['cpw-vault team identity', 'cpw-vault team init --add tmdb.api_key --add huggingface.token', 'cpw-vault team add bob age1...', 'cpw-vault team pull', 'cpw-vault exec --team cpw-team.age --workflow subtitle -- python3 02_tmdb_enrichment.py']));
  const run = (cmd: Command, load: (o: Record<string, unknown>, ...rest: string[]) => (ctx: CliContext) => Promise<number>) =>
    cmd.action((...a: unknown[]) => {
      const c = a[a.length - 1] as Command;
      const positional = a.slice(0, -2) as string[];
      invoke(c, load(c.opts(), ...positional));
    });
  const m = () => import('./commands/team');

  run(target(team.command('identity')).description('print your age public key (age1...), creating your team identity on first use')
    .option('--import <file>', "store an age-keygen identity as yours ('-' = stdin)")
    .option('--from-export <file>', 'store the team identity of an export you made (cpw-vault export; import never takes it): moving to a new machine')
    .option('--force', 'with --import or --from-export: replace a different stored identity')
    .option('--export-identity <file>', 'also write your identity, age-encrypted with a passphrase, to this new file (backup)')
    .option('--passphrase-fd <n>', "with --export-identity or --from-export: read that file's passphrase from this descriptor")
    .option('--passphrase-file <path>', "with --export-identity or --from-export: read that file's passphrase from this 0600 file")
    .addHelpText('after', examples(['cpw-vault team identity', 'age-keygen | cpw-vault team identity --import -', 'cpw-vault team identity --export-identity team-key.age', ['cpw-vault team identity --from-export vault.age', 'your own export, on a new machine']])),
  (o) => async (ctx) => (await import('./commands/team-identity')).teamIdentityCmd(o, ctx));

  run(target(team.command('init')).description('create the team file and its recipients list, encrypted to you, with the keys you --add')
    .option('--add <service.key>', 'a credential from your vault to share (repeatable)', collect)
    .option('--name <name>', 'your member name (default: $USER)')
    .addHelpText('after', examples(['cpw-vault team init --add tmdb.api_key --add huggingface.token'])),
  (o) => async (ctx) => (await m()).teamInit(o, ctx));

  run(target(team.command('add')).argument('<name>').argument('<age-recipient>').description('add a member and re-encrypt the team file to the new list (all or nothing)')
    .addHelpText('after', examples([['cpw-vault team add bob age1...', 'the key bob printed with: cpw-vault team identity'], 'cpw-vault team add ci age1... --file pipelines/cpw-team.age'])),
    (o, name, recipient) => async (ctx) => (await m()).teamAdd({ ...o, name: name!, recipient: recipient! }, ctx));

  run(target(team.command('remove')).argument('<name>').description('remove a member (every name of their key), re-encrypt, and list the keys they have seen (rotate them)')
    .addHelpText('after', examples(['cpw-vault team remove bob', ['cpw-vault team rotate-reminder', 'then: what bob saw and is not rotated yet']])),
    (o, name) => async (ctx) => (await m()).teamRemove({ ...o, name: name! }, ctx));

  run(target(team.command('push')).description("update the team file's values from your vault (the keys it holds, plus any --add)")
    .option('--add <service.key>', 'also share this credential (repeatable)', collect)
    .addHelpText('after', examples(['cpw-vault team push', 'cpw-vault team push --add openai.api_key'])),
  (o) => async (ctx) => (await m()).teamPush(o, ctx));

  run(target(team.command('pull')).description("the team's values into your vault: the plan first (import / identical / conflict / invalid), then all or nothing")
    .option('--dry-run', 'show the plan; change nothing')
    .option('--overwrite <service.key>', 'take the team value for this conflicting credential (repeatable)', collect)
    .option('--overwrite-all', 'take the team value for every conflict')
    .option('-y, --yes', 'do not ask')
    .addHelpText('after', examples(['cpw-vault team pull --dry-run', 'cpw-vault team pull --yes', ['cpw-vault team pull --identity-file "$CPW_TEAM_KEY_FILE" --yes', 'CI']])),
  (o) => async (ctx) => (await import('./commands/team-pull')).teamPull(o, ctx));

  run(target(team.command('status')).description('members, keys (names only), whether you are a recipient, which of your values differ')
    .addHelpText('after', examples(['cpw-vault team status', 'cpw-vault team status --json'])),
    (o) => async (ctx) => (await m()).teamStatus(o, ctx));

  run(target(team.command('rotate-reminder')).description('keys removed members have seen and that were not changed since')
    .addHelpText('after', examples(['cpw-vault team rotate-reminder'])),
    (o) => async (ctx) => (await m()).teamRotateReminder(o, ctx));

  run(target(team.command('recipients')).description('the members inside the team file, in recipients-file format')
    .option('--write', 'rewrite the recipients file from the team file')
    .addHelpText('after', examples(['cpw-vault team recipients', 'cpw-vault team recipients --write'])),
  (o) => async (ctx) => (await m()).teamRecipients(o, ctx));

  run(target(team.command('diff')).argument('<path>').description('git textconv: key names and value fingerprints, never values')
    .addHelpText('after', examples(["echo 'cpw-team.age diff=cpw-team' >> .gitattributes", 'git config diff.cpw-team.textconv "cpw-vault team diff"'])),
  (o, path) => async (ctx) => (await m()).teamDiff({ ...o, path: path! }, ctx));
}
