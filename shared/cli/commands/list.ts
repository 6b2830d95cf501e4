import { sourceLabel } from '../../core/views';
import { vaultAgentListening } from '../../node/agent/socket-dir';
import { unknownReason } from '../../core/workflows';
import type { KeychainStatus } from '../../core/secret-store';
import { printJson, type CliContext, type ReadVault } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { shortDate, table } from '../format';

/**
 * `cpw-vault list`: metadata of every credential (never a value). The
 * sources come from the index; when the keychain cannot be asked (locked,
 * unreachable, hung) they are unchecked, which list says once, with exit 4
 * (as get and check do). A locked vault file is not asked about: its index
 * is all list shows, by design, and a note says so ({@link lockedVaultNote}).
 */
export async function list(_args: object, ctx: CliContext): Promise<ExitCode> {
  const reader = await ctx.reader();
  const creds = reader.listCredentials();
  const keychain = await uncheckedKeychain(reader);
  if (ctx.globals.json) printJson(ctx.io, { credentials: creds, ...(keychain ? { keychain } : {}) });
  else {
    const rows = creds.map((c) => [c.service, c.key, sourceLabel(c.source), c.meta?.hint ?? '-', shortDate(c.meta?.created_at), shortDate(c.meta?.last_used_at)]);
    ctx.io.out(table(['SERVICE', 'KEY', 'SOURCE', 'HINT', 'CREATED', 'LAST USED'], rows));
  }
  if (!keychain) return lockedVaultNote(ctx, reader);
  return sourcesUnknown(ctx, keychain);
}

/**
 * A vault file with no unlock agent listening: the sources list and which
 * show are the index's, unchecked. Said once (a locked keychain is said the
 * same way); the exit code stays: nothing was asked of the vault. Checked
 * by whether the socket listens (a file a killed agent left does not), never
 * by connecting (a stopped agent held these commands 5 s). Returns exit 0.
 */
export function lockedVaultNote(ctx: CliContext, reader: ReadVault): ExitCode {
  if (reader.backend() !== 'file' || vaultAgentListening(reader.profilePath, ctx.io.env)) return EXIT.ok;
  ctx.io.err('note: the vault file is locked (no unlock agent): sources are shown from the index, not checked. Unlock it: cpw-vault unlock\n');
  return EXIT.ok;
}

/** The keychain's problem when it cannot be asked now (locked, unreachable, hung); undefined when it answers, or the backend is a vault file (whose index is all a read shows). */
export async function uncheckedKeychain(reader: ReadVault): Promise<Extract<KeychainStatus, { ok: false }> | undefined> {
  // The vault file is not asked (see above): asking meant connecting to its agent, and a stopped one held list and
  // which 5 s in silence before they showed the index anyway.
  if (reader.backend() === 'file') return undefined;
  const status = await reader.keychainStatus();
  return !status.ok && status.code.startsWith('KEYCHAIN_') ? status : undefined;
}

/** Says once that the sources shown come from the index, unchecked, and why; exit 4 (as get and check). */
export function sourcesUnknown(ctx: CliContext, keychain: Extract<KeychainStatus, { ok: false }>): ExitCode {
  ctx.io.err(`? sources unknown: ${unknownReason(keychain.code)} (shown from the index, not checked)\n    ${keychain.code} ${keychain.message}\n    fix: ${keychain.fix}\n`);
  return EXIT.keychain;
}
