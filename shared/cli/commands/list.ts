import { sourceLabel } from '../../core/views';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { shortDate, table } from '../format';

/** `cpw-vault list`: metadata of every credential (never a value). */
export async function list(_args: object, ctx: CliContext): Promise<ExitCode> {
  const creds = (await ctx.reader()).listCredentials();
  if (ctx.globals.json) {
    printJson(ctx.io, { credentials: creds });
    return EXIT.ok;
  }
  const rows = creds.map((c) => [c.service, c.key, sourceLabel(c.source), c.meta?.hint ?? '-', shortDate(c.meta?.created_at), shortDate(c.meta?.last_used_at)]);
  ctx.io.out(table(['SERVICE', 'KEY', 'SOURCE', 'HINT', 'CREATED', 'LAST USED'], rows));
  return EXIT.ok;
}
