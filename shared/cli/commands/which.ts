import { checkedCredentialId, splitCredentialId, type CredentialId } from '../../core/credential';
import { VaultError, isVaultError } from '../../core/errors';
import { storeName, storedIn } from '../../core/secret-store';
import { sourceLabel, type CredentialSource, type CredentialView } from '../../core/views';
import { paint } from '../io';
import { printJson, type CliContext, type ReadVault } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { table } from '../format';
import { envVarClashNotes, lockedVaultNote, sourcesUnknown, uncheckedJson, uncheckedKeychain, vaultFileLocked } from './list';

interface WhichRow {
  id: CredentialId;
  source: CredentialSource | null;
  /** Set when an env var wins over a different value stored in the keychain/profile. */
  shadows?: { env: string; stored: 'keychain' | 'file' | 'profile' };
  warning?: string;
}

async function whichOne(vault: ReadVault, id: CredentialId, views: ReadonlyMap<CredentialId, CredentialView>, one: boolean, locked: boolean): Promise<WhichRow> {
  const view = views.get(id);
  const source = view?.source ?? null;
  if (one && source?.kind === 'keychain' && !locked) {
    // The index says so; the store decides (a value removed outside cpw-vault: which said "keychain", exit 0, while
    // get said missing). One credential asked: one read, the value never shown. The vault file too, through its
    // agent: a vault file restored from a backup lacks values the index lists. A locked one is not asked (that
    // would need the passphrase): its note says the source is the index's.
    if ((await vault.storedValue(id)) !== undefined) return { id, source };
    const { service, key } = splitCredentialId(id);
    return { id, source: null, warning: `listed in the profile, but ${storeName(vault.backend())} does not hold its value (removed outside cpw-vault?). Store it again (cpw-vault set ${service} ${key}), or drop it from the list: cpw-vault doctor --repair` };
  }
  if (source?.kind !== 'env' || !view?.stored) return { id, source };
  // An env var wins; compare it with what is stored (without printing either).
  try {
    const stored = await vault.storedValue(id);
    const envValue = vault.envValue(id);
    if (stored !== undefined && envValue !== undefined && stored !== envValue) {
      const where = storedIn(view.meta?.storage, vault.backend());
      return { id, source, shadows: { env: source.name, stored: where }, warning: `${source.name} shadows a different value stored in ${where === 'profile' ? 'the profile' : storeName(where)}.` };
    }
  } catch (err) {
    if (!isVaultError(err)) throw err;
    return { id, source, warning: `cannot compare with the stored value: ${err.message}` };
  }
  return { id, source };
}

/** `cpw-vault which <service> <key>` / `--all`: where each value comes from, and shadowing. */
export async function which(args: { service?: string; key?: string; all?: boolean }, ctx: CliContext): Promise<ExitCode> {
  const vault = await ctx.reader();
  let ids: CredentialId[];
  if (args.all) ids = vault.listCredentials().map((c) => c.id);
  else if (args.service && args.key) ids = [checkedCredentialId(args.service, args.key)];
  else throw new VaultError('INVALID_ARGUMENT', 'which needs <service> <key> or --all.', 'Example: cpw-vault which huggingface token');
  // Listed once (per id, `which --all` at 10,000 credentials built 10,000 lists of 10,000).
  const views = new Map(vault.listCredentials().map((c) => [c.id, c]));
  // A keychain that cannot be asked (locked, gone, SIGSTOPped), or a vault file's agent that listens but does not
  // answer: the sources are the index's, unchecked, and said so with exit 4 as list says it. `which --all` used to wait out the deadline on each comparison, then exit 0. One credential
  // whose env var is set needs no keychain: that value wins whatever it holds (exit 0; a shadowing check that cannot be
  // made is a warning).
  const fromEnv = !args.all && views.get(ids[0]!)?.source?.kind === 'env';
  const keychain = fromEnv ? undefined : await uncheckedKeychain(vault, ctx.io.env);
  const rows: WhichRow[] = [];
  const locked = vaultFileLocked(vault, ctx.io.env);
  for (const id of ids) rows.push(keychain ? { id, source: views.get(id)?.source ?? null } : await whichOne(vault, id, views, !args.all, locked));
  if (ctx.globals.json) printJson(ctx.io, { credentials: rows, ...(fromEnv ? {} : uncheckedJson(vault, ctx, keychain)) });
  else {
    ctx.io.out(table(['CREDENTIAL', 'SOURCE'], rows.map((r) => [r.id, sourceLabel(r.source)])));
    for (const r of rows) if (r.warning) ctx.io.err(`${paint(ctx.io).yellow('warning:')} ${r.id}: ${r.warning}\n`);
    envVarClashNotes(ctx, vault, ids.flatMap((id) => views.get(id) ?? []));
  }
  if (keychain) return sourcesUnknown(ctx, keychain);
  if (!fromEnv) lockedVaultNote(ctx, vault);
  return !args.all && !rows[0]?.source ? EXIT.missing : EXIT.ok;
}
