import { shellWord, withoutControlChars } from '../../core/control-chars';
import { cancelledError, VaultError } from '../../core/errors';
import { agreeing, counted } from '../../core/plural';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { fromWorkingDir, paint } from '../io';
import { readPassphrase, type PassphraseSource } from '../passphrase-input';
import { echoOffDuring } from '../echo-off';
import { abortedAfterPending, interruptible } from '../signals';
import { untilAborted } from '../../node/until-aborted';
import { checkOverwrite, planTable } from './migrate';
import type { Vault } from '../../node/vault/vault';

export interface ImportArgs extends PassphraseSource {
  file: string;
  dryRun?: boolean;
  overwrite?: string[];
  overwriteAll?: boolean;
  yes?: boolean;
}

/**
 * `cpw-vault import FILE`: reads an export (`cpw-vault export`, an age file
 * with its own passphrase: hidden prompt, --passphrase-file or
 * --passphrase-fd), shows the same plan as migration (import / identical /
 * conflict / invalid; a conflict is kept unless --overwrite ID or
 * --overwrite-all), asks on a terminal unless --yes, then writes it all or
 * nothing into this profile's backend (keychain or vault file). --dry-run
 * changes nothing. Ctrl-C: `cancelled: nothing changed`.
 */
export async function importVault(args: ImportArgs, ctx: CliContext): Promise<ExitCode> {
  // The terminal's echo stays off from the export's passphrase to the vault's (asked when the vault file is locked).
  return interruptible((signal) => echoOffDuring(async () => {
    const path = fromWorkingDir(ctx.io, args.file, 'The export file');
    const { assertExportFile, readExportFile } = await import('../../node/secrets/export-file');
    assertExportFile(path); // a mistyped path is said before its passphrase is asked, not after
    const vault = await ctx.vault();
    await assertVaultOpens(vault, ctx);
    const passphrase = await readPassphrase(args, ctx.io, { message: `Passphrase of the export file ${path}`, command: `cpw-vault import ${shellWord(args.file)}` });
    if (!ctx.globals.json) ctx.io.err('Decrypting the export...\n');
    const doc = await readExportFile(path, passphrase);
    // A Ctrl-C during the scrypt waits in the event loop: the plan was printed and its question asked after it.
    if (await abortedAfterPending(signal)) throw cancelledError(signal.reason);
    // A Ctrl-C while the plan reads the keychain (one that stopped answering, thousands of keys) ends the run now, as
    // migrate's: it was held until the keychain's deadline, then said KEYCHAIN_TIMEOUT (exit 4), or a plan was printed.
    const plan = await untilAborted(vault.planImport(doc, path, { overwrite: args.overwriteAll ? 'all' : new Set(args.overwrite ?? []) }), signal);
    checkOverwrite(plan, args.overwrite ?? [], `cpw-vault import ${shellWord(args.file)} --dry-run`);
    if (ctx.globals.json && args.dryRun) {
      printJson(ctx.io, { plan });
      return EXIT.ok;
    }
    if (!ctx.globals.json) ctx.io.out(`Plan for ${withoutControlChars(path)} (exported ${doc.exported_at || 'at an unknown time'}, into the ${vault.backend()} backend):\n${planTable(plan)}`);
    if (args.dryRun) {
      ctx.io.err('Dry run: nothing was changed.\n');
      return EXIT.ok;
    }
    if (!plan.counts.apply) {
      if (ctx.globals.json) printJson(ctx.io, { plan, imported: [] });
      ctx.io.err('Nothing to import: nothing was changed.\n');
      return EXIT.ok;
    }
    if (!args.yes) {
      if (!ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', 'Refusing to import without confirmation.', 'Review the plan (--dry-run), then run again with --yes.');
      if (!(await (await ctx.io.prompts()).confirm(`Write ${counted(plan.counts.apply, 'credential')}?`, true))) {
        ctx.io.err('Nothing was changed.\n');
        return EXIT.ok;
      }
    }
    const { imported } = await vault.applyImport(doc, plan, {
      signal,
      ...(plan.counts.apply >= 5 && !ctx.globals.json ? { onProgress: (done: number, total: number, id: string) => ctx.io.err(`[${done + 1}/${total}] ${id}\n`) } : {}),
    });
    if (ctx.globals.json) printJson(ctx.io, { plan, imported });
    const kept = plan.rows.filter((r) => r.action === 'conflict' && !r.apply).length;
    ctx.io.err(`${paint(ctx.io).green('✓')} Imported ${counted(imported.length, 'credential')}, ${agreeing(imported.length, 'read back', 'each read back')}${kept ? `; ${counted(kept, 'conflict')} kept as stored (--overwrite ID to replace)` : ''}.\n`);
    return EXIT.ok;
  }));
}

/**
 * Throws what stops the vault file from being read and written now, before the export's seconds of scrypt: a locked
 * vault file with no terminal to ask its passphrase failed only at the plan, after "Decrypting the export...".
 * Never prompts; on a terminal a locked vault file is fine (its passphrase is asked at the plan).
 */
async function assertVaultOpens(vault: Vault, ctx: CliContext): Promise<void> {
  if (vault.backend() !== 'file') return;
  const status = await vault.keychainStatus();
  if (status.ok || (status.code === 'VAULT_LOCKED' && ctx.io.stdinIsTTY)) return;
  throw new VaultError(status.code, status.message, status.fix);
}
