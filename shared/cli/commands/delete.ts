import { checkedCredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { storeName } from '../../core/secret-store';
import { paint } from '../io';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { interruptible } from '../signals';

/** `cpw-vault delete <service> <key>`: asks on a TTY; without a TTY requires --yes. */
export async function del(args: { service: string; key: string; yes?: boolean }, ctx: CliContext): Promise<ExitCode> {
  const id = checkedCredentialId(args.service, args.key, { allowSecretShape: true });
  const vault = await ctx.vault();
  // Ask only about something that is there: no question (and no "Deleted") for a name that was never stored.
  const indexed = vault.listCredentials().some((c) => c.id === id && c.stored);
  if (!indexed && (await vault.storedValue(id)) === undefined) {
    checkedCredentialId(args.service, args.key); // a secret-shaped name that holds nothing is a value typed in its place: refused, never echoed
    ctx.io.err(`${id} is not stored; nothing to delete.\n`);
    return EXIT.ok;
  }
  if (!args.yes) {
    if (!ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', `Refusing to delete ${id} without confirmation.`, `Add --yes: cpw-vault delete ${args.service} ${args.key} --yes`);
    const sure = await (await ctx.io.prompts()).confirm(`Delete ${id} from ${storeName(vault.backend())}? This cannot be undone.`, false);
    if (!sure) {
      ctx.io.err('Nothing deleted.\n');
      return EXIT.ok;
    }
  }
  const existed = await interruptible((signal) => vault.deleteCredential(args.service, args.key, { signal }));
  ctx.io.err(existed ? `${paint(ctx.io).green('✓')} Deleted ${id}.\n` : `${id} was not stored; nothing to delete.\n`);
  return EXIT.ok;
}
