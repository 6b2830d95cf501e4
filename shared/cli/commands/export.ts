import { buildExport } from '../../core/vault-export';
import { MIN_PASSPHRASE_LENGTH } from '../../node/secrets/vault-crypto';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { fromWorkingDir, paint } from '../io';
import { shellWord } from '../../core/control-chars';
import { counted } from '../../core/plural';
import { readPassphrase, type PassphraseSource } from '../passphrase-input';
import { echoOffDuring } from '../echo-off';
import { cancelledIfInterrupted, interruptible } from '../signals';
import { untilAborted } from '../../node/until-aborted';

export interface ExportArgs extends PassphraseSource {
  to: string;
}

/**
 * `cpw-vault export --to FILE`: writes every stored secret and its metadata
 * to FILE, an age file encrypted with a passphrase of its own (asked twice,
 * or --passphrase-file / --passphrase-fd; at least 12 characters), 0600,
 * never over an existing file. Works on either backend. `age -d FILE`
 * opens it; `cpw-vault import` reads it.
 */
export async function exportVault(args: ExportArgs, ctx: CliContext): Promise<ExitCode> {
  const target = fromWorkingDir(ctx.io, args.to, '--to');
  const { assertExportTarget, exportElsewhere, exportedCredentials, writeExportFile } = await import('../../node/secrets/export-file');
  // A file or a link (dangling too) there, another user's folder or their link to one: refused before any question.
  const elsewhere = exportElsewhere('--to FILE');
  assertExportTarget(target, elsewhere);
  // A Ctrl-C while the keychain is read (one that stopped answering) ends the export now, said as cancelled: with no
  // listener it ended the process by the signal (exit 130) with no word of what became of the export. It only reads;
  // as before, the calls left running end with the process. (Opening the vault says so itself: ctx.vault.)
  const { vault, credentials, passphrase } = await interruptible(async (signal) => {
    const vault = await ctx.vault();
    // The terminal's echo stays off from the vault's passphrase (asked when the vault file is locked) to the export's.
    return echoOffDuring(async () => {
      const credentials = await untilAborted(exportedCredentials(vault, (m) => ctx.io.err(`warning: ${m}\n`)), signal);
      const { checkNewPassphrase } = await import('../../node/secrets/vault-admin');
      return { vault, credentials, passphrase: await readPassphrase(args, ctx.io, { message: `Passphrase for the export file (at least ${MIN_PASSPHRASE_LENGTH} characters)`, command: `cpw-vault export --to ${shellWord(args.to)}`, confirm: true, validate: (v) => checkNewPassphrase(v) }) };
    });
  });
  ctx.io.err('Encrypting the export...\n');
  // Ctrl-C during the scrypt (~2 s) was acted on only after the file was written: an export the user had cancelled
  // was left behind, and the audit log never recorded it.
  await writeExportFile(target, buildExport(credentials, new Date()), passphrase, { whileSealing: cancelledIfInterrupted, elsewhere });
  // Through the vault, as the app records it: with no profile (env vars only, so an empty export) there is no log
  // to append to, and creating one here warned "could not write the audit log" in a fresh HOME.
  await vault.recordEvent({ event: 'credentials_exported', details: { count: credentials.length, file: target } });
  if (!credentials.length) ctx.io.err('note: nothing is stored in this vault, so the export holds no credential (values only in environment variables are never exported).\n');
  if (ctx.globals.json) printJson(ctx.io, { file: target, count: credentials.length, credentials: credentials.map((c) => c.id) });
  ctx.io.err(`${paint(ctx.io).green('✓')} Exported ${counted(credentials.length, 'credential')} to ${target} (age, passphrase-encrypted, 0600). Read it with: age -d ${shellWord(target)}\n`);
  return EXIT.ok;
}
