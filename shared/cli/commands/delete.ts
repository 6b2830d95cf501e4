import { credentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { paint } from '../io';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { interruptible } from '../signals';

/** `cpw-vault delete <service> <key>`: asks on a TTY; without a TTY requires --yes. */
export async function del(args: { service: string; key: string; yes?: boolean }, ctx: CliContext): Promise<ExitCode> {
  const id = credentialId(args.service, args.key);
  if (!args.yes) {
    if (!ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', `Refusing to delete ${id} without confirmation.`, `Add --yes: cpw-vault delete ${args.service} ${args.key} --yes`);
    const sure = await (await ctx.io.prompts()).confirm(`Delete ${id} from the keychain? This cannot be undone.`, false);
    if (!sure) {
      ctx.io.err('Nothing deleted.\n');
      return EXIT.ok;
    }
  }
  const vault = await ctx.vault();
  const existed = await interruptible((signal) => vault.deleteCredential(args.service, args.key, { signal }));
  ctx.io.err(existed ? `${paint(ctx.io).green('✓')} Deleted ${id}.\n` : `${id} was not stored; nothing to delete.\n`);
  return EXIT.ok;
}
