import { shellWord, withoutControlChars } from '../../core/control-chars';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cancelledError, VaultError } from '../../core/errors';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { descriptorSource } from '../descriptor-input';
import { pullPlan, sharedByPull } from '../../node/team/team-service';
import { interruptible } from '../signals';
import { untilAborted } from '../../node/until-aborted';
import { NEVER_SHARED_ID } from '../../core/team-document';
import { undoOutcome, type MigrationPlan } from '../../core/migration-plan';
import { agreeing, counted } from '../../core/plural';
import { checkOverwrite, planTable } from './migrate';
import { openTeam, type TeamTarget } from './team-common';

export interface PullArgs extends TeamTarget {
  dryRun?: boolean;
  yes?: boolean;
  overwrite?: string[];
  overwriteAll?: boolean;
}

/**
 * --file and --identity-file (or --identity-fd, with the file it was open on) as given, quoted: a line without them
 * pulls ./cpw-team.age with the stored identity.
 */
function targetWords(args: TeamTarget): string {
  const fd = Number(args.identityFd);
  const identity = args.identityFd !== undefined ? ` --identity-fd ${fd} ${fd}< ${shellWord(descriptorSource(fd) ?? 'KEY_FILE')}` : args.identityFile === undefined ? '' : ` --identity-file ${shellWord(args.identityFile)}`;
  return (args.file === undefined ? '' : ` --file ${shellWord(args.file)}`) + identity;
}

/**
 * `cpw-vault team pull`: the team's values into the user's vault, planned as
 * migration plans (import / identical / conflict / invalid), asked on a
 * terminal (--yes otherwise), applied all or nothing through the credential
 * store; conflicts are skipped unless --overwrite ID / --overwrite-all.
 * A row the plan refuses (invalid: a team identity planted in the file, a
 * value the vault cannot keep) is named on stderr and stores nothing; the
 * rest is pulled. A planted identity makes the exit code 1 (a dry run's
 * stays 0); other refused rows exit 0, as in import and migrate.
 * Ctrl-C at the question or during the writes: cancelled, nothing changed.
 */
export async function teamPull(args: PullArgs, ctx: CliContext): Promise<ExitCode> {
  return interruptible(async (signal) => {
    const { doc, files, key, notes } = await openTeam(ctx, args, { usesVault: true });
    const vault = await ctx.vault();
    // A Ctrl-C while the plan reads the keychain (one that stopped answering) ends the run now, as import's and migrate's:
    // it was held until the keychain's deadline, then said KEYCHAIN_TIMEOUT (exit 4).
    const { source, plan } = await untilAborted(pullPlan(vault, files.file, doc, key.identity, { overwrite: args.overwriteAll ? 'all' : new Set(args.overwrite ?? []) }), signal);
    checkOverwrite(plan, args.overwrite ?? [], `cpw-vault team pull${targetWords(args)} --dry-run`);
    const refused = refusedText(plan);
    if (ctx.globals.json && args.dryRun) {
      if (refused) ctx.io.err(refused);
      printJson(ctx.io, { plan, ...notes });
      return EXIT.ok;
    }
    if (!ctx.globals.json) ctx.io.out(`Plan for ${withoutControlChars(files.file)} (team file):\n${planTable(plan)}`);
    if (refused) ctx.io.err(refused);
    if (args.dryRun) {
      ctx.io.err('Dry run: nothing was changed.\n');
      return EXIT.ok;
    }
    // A team identity planted in the file fails the run once the rest is in: someone with write access tampered with it.
    // Another refused row (a value the vault cannot keep) is named above and exits 0, as import and migrate do with
    // theirs: a teammate's value with a stray space must not fail every scripted pull of every member until fixed.
    const done = plan.rows.some((r) => r.action === 'invalid' && r.target === NEVER_SHARED_ID) ? EXIT.failure : EXIT.ok;
    if (!plan.counts.apply) {
      await vault.markTeamShared(sharedByPull(plan, true));
      const kept = plan.rows.filter((r) => r.action === 'conflict').map((r) => r.target);
      // "already has the team's values" was said over conflicts too, where the vault holds a different value.
      ctx.io.err(kept.length ? `Nothing to pull: ${kept.join(', ')} ${agreeing(kept.length, 'differs', 'differ')} from the team's and ${agreeing(kept.length, 'is', 'are')} kept (--overwrite ID takes the team's); the rest is already in your vault.\n` : refused ? 'Nothing to pull: your vault already has the team\'s other values.\n' : 'Nothing to pull: your vault already has the team\'s values.\n');
      if (ctx.globals.json) printJson(ctx.io, { plan, imported: 0, ...notes });
      return done;
    }
    if (!args.yes) {
      if (!ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', 'Refusing to pull without confirmation.', 'Review the plan (--dry-run), then run again with --yes.');
      if (!(await (await ctx.io.prompts()).confirm(`Write ${counted(plan.counts.apply, 'credential')} into your vault?`, true))) {
        ctx.io.err('cancelled: nothing changed\n');
        return EXIT.ok;
      }
    }
    if (signal.aborted) throw cancelledError(signal.reason);
    // The "backup of the source" that migration keeps is a copy of the encrypted team file: made in the profile's folder, removed after.
    const result = await vault.applyMigration(source, plan, { signal, backupDir: join(dirname(vault.profilePath), 'team-pulls') });
    if (result.backup) rmSync(result.backup, { force: true });
    await vault.markTeamShared(sharedByPull(plan, result.ok));
    if (ctx.globals.json) printJson(ctx.io, { plan, imported: result.imported, ok: result.ok, ...notes });
    const p = paint(ctx.io);
    if (!result.ok) {
      for (const r of result.rows.filter((x) => x.error !== undefined)) ctx.io.err(`  ${r.target}: ${r.error}\n`);
      ctx.io.err(`${p.red('✗')} Pull failed; ${undoOutcome(result)}.\n`);
      return EXIT.failure;
    }
    ctx.io.err(`${p.green('✓')} Pulled ${counted(result.imported, 'credential')} from ${files.file} into your vault${refused ? `; the refused ${agreeing(plan.counts.invalid, 'row above was', 'rows above were')} not` : ''}.\n`);
    return done;
  });
}

/** The rows of the team file a pull will not take (invalid: nothing of them is stored), as one line for stderr; '' when none. */
function refusedText(plan: MigrationPlan): string {
  const rows = plan.rows.filter((r) => r.action === 'invalid');
  return rows.length ? `refused ${counted(rows.length, 'row')} of the team file, nothing of ${agreeing(rows.length, 'it', 'them')} stored: ${rows.map((r) => r.target ?? r.sourceKey).join(', ')} (the plan says why)\n` : '';
}
