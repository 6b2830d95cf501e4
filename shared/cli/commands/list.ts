import { sourceLabel } from '../../core/views';
import { unknownReason } from '../../core/workflows';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { shortDate, table } from '../format';

/**
 * `cpw-vault list`: metadata of every credential (never a value). The
 * sources come from the index; when the keychain cannot be asked (locked,
 * unreachable, hung) they are unchecked, which list says once, with exit 4
 * (as get and check do). A locked vault file is not asked about: its index
 * is all list shows, by design.
 */
export async function list(_args: object, ctx: CliContext): Promise<ExitCode> {
  const reader = await ctx.reader();
  const creds = reader.listCredentials();
  const status = await reader.keychainStatus();
  const keychain = !status.ok && status.code.startsWith('KEYCHAIN_') ? status : undefined;
  if (ctx.globals.json) printJson(ctx.io, { credentials: creds, ...(keychain ? { keychain } : {}) });
  else {
    const rows = creds.map((c) => [c.service, c.key, sourceLabel(c.source), c.meta?.hint ?? '-', shortDate(c.meta?.created_at), shortDate(c.meta?.last_used_at)]);
    ctx.io.out(table(['SERVICE', 'KEY', 'SOURCE', 'HINT', 'CREATED', 'LAST USED'], rows));
  }
  if (!keychain) return EXIT.ok;
  ctx.io.err(`? sources unknown: ${unknownReason(keychain.code)} (shown from the index, not checked)\n    ${keychain.code} ${keychain.message}\n    fix: ${keychain.fix}\n`);
  return EXIT.keychain;
}
