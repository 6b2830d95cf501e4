import { plainSlotProblem } from '../../core/catalog';
import { maskedHint, type CredentialId } from '../../core/credential';
import { holdsBrokenLabel, sourceLabel } from '../../core/views';
import { noAgentError, vaultAgentListening } from '../../node/agent/socket-dir';
import { vaultFilesFor } from '../../node/secrets/vault-files';
import { vaultLocked } from '../../node/secrets/vault-errors';
import { unknownReason } from '../../core/workflows';
import { storedIn, type KeychainStatus, type VaultFileReason } from '../../core/secret-store';
import type { VaultError } from '../../core/errors';
import { withoutControlChars } from '../../core/control-chars';
import { envVarClashFix, envVarClashText, type EnvVarClash } from '../../core/env-var-names';
import type { CredentialView } from '../../core/views';
import { paint } from '../io';
import { printJson, type CliContext, type ReadVault } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { indentedStatusFix } from '../file-offer';
import { shortDate, table } from '../format';
import { keepListing, readListing, type Listing } from '../list-cache';
import type { ListingState } from '../../node/vault/read-sources';

/**
 * `cpw-vault list`: metadata of every credential (never a value). The
 * sources come from the index; when the store cannot be asked (a keychain
 * locked, unreachable or hung; a vault file's unlock agent that listens but
 * does not answer) they are unchecked, which list says once, with exit 4
 * (as get and check do). A locked vault file (no agent) is not asked: its
 * index is all list shows, by design, and a note says so, exit 0
 * ({@link lockedVaultNote}); where no agent may run (a socket folder
 * refused), the note gives that refusal instead of "unlock it".
 */
export async function list(_args: object, ctx: CliContext): Promise<ExitCode> {
  const reader = await ctx.reader();
  let keychain: Awaited<ReturnType<typeof uncheckedKeychain>>;
  if (ctx.globals.json) {
    const creds = reader.listCredentials();
    await refuseBrokenLabels(ctx, creds);
    keychain = await uncheckedKeychain(reader, ctx.io.env);
    // meta.storage names the backend ("file" for the age vault file), as export and which do: the profile's index
    // says "keychain" for whichever secret store holds the value.
    const backend = reader.backend();
    const credentials = creds.map((c) => (c.meta ? { ...c, meta: { ...c.meta, storage: storedIn(c.meta.storage, backend) } } : c));
    printJson(ctx.io, { credentials, ...uncheckedJson(reader, ctx, keychain) });
  } else {
    // The listing kept from a list before, while nothing it shows has changed (list-cache.ts); else made here.
    const state = reader.listingState();
    const kept = state && readListing(state, ctx.io.env);
    keychain = await uncheckedKeychain(reader, ctx.io.env);
    const shown = kept ?? (await listing(reader, state, ctx));
    ctx.io.out(shown.table);
    printEnvVarClashes(ctx, shown.clashes);
  }
  if (!keychain) return lockedVaultNote(ctx, reader);
  return sourcesUnknown(ctx, keychain);
}

/** The table and warnings of every credential, made from the index; kept for the next list when `state` still holds. */
async function listing(reader: ReadVault, state: ListingState | undefined, ctx: CliContext): Promise<Listing & { table: string }> {
  const creds = reader.listCredentials();
  await refuseBrokenLabels(ctx, creds);
  // A value that is no secret (the OpenAI organization ID) is shown in full (its hint is cut to 16 characters),
  // unless it has a secret's shape (a key pasted there by an older version): then masked, as a secret's hint.
  const plain = async (id: CredentialId, hint: string) => {
    const value = await reader.storedValue(id);
    return value === undefined ? hint : plainSlotProblem(id, value) ? maskedHint(value) : value;
  };
  // Asked of the few that are no secret: not a promise for each of 10,000 rows (2 MB of garbage, ~1 ms).
  const plainHints = new Map(await Promise.all(creds.flatMap((c) => (c.meta && !c.secret ? [plain(c.id, c.meta.hint).then((h) => [c.id, h] as const)] : []))));
  const rows = creds.map((c) => [c.service, c.key, sourceLabel(c.source), plainHints.get(c.id) ?? c.meta?.hint ?? '-', shortDate(c.meta?.created_at), shortDate(c.meta?.last_used_at)]);
  const made = { table: table(['SERVICE', 'KEY', 'SOURCE', 'HINT', 'CREATED', 'LAST USED'], rows), clashes: envVarClashes(reader, creds) };
  if (state) await keepListing(state, reader.listingState(), made, creds);
  return made;
}

/** The full read's PROFILE_INVALID, naming the field, for a label holding half of a UTF-16 pair (see holdsBrokenLabel); in the light bundle, the full CLI's. */
async function refuseBrokenLabels(ctx: CliContext, creds: readonly CredentialView[]): Promise<void> {
  if (holdsBrokenLabel(creds)) (await ctx.vault()).getProfile();
}

/**
 * Warns of each custom credential listed that carries no env var because its SERVICE_KEY is another credential's
 * too (`my-svc.api_key` and `my_svc.api_key`, stored without names of their own): exec --with refuses it, get does
 * not read the variable for it, and the user needs to know why, with the fix. Asked only of those without an env var.
 */
export function envVarClashNotes(ctx: CliContext, reader: ReadVault, creds: readonly CredentialView[]): void {
  printEnvVarClashes(ctx, envVarClashes(reader, creds));
}

function envVarClashes(reader: ReadVault, creds: readonly CredentialView[]): EnvVarClash[] {
  return creds.flatMap((c) => (c.custom && !c.envVars.length ? (reader.envVarClash(c.id) ?? []) : []));
}

function printEnvVarClashes(ctx: CliContext, clashes: readonly EnvVarClash[]): void {
  for (const clash of clashes) {
    ctx.io.err(`${paint(ctx.io).yellow('warning:')} ${withoutControlChars(envVarClashText(clash))}
    fix: ${withoutControlChars(envVarClashFix(clash))}
`);
  }
}

/**
 * A vault file with no unlock agent listening: the sources list and which
 * show are the index's, unchecked. Said once (a locked keychain is said the
 * same way); the exit code stays: nothing was asked of the vault. Checked
 * by whether the socket listens (a file a killed agent left does not), never
 * by connecting (a stopped agent held these commands 5 s). Returns exit 0.
 */
export function lockedVaultNote(ctx: CliContext, reader: ReadVault): ExitCode {
  if (!vaultFileLocked(reader, ctx.io.env)) return EXIT.ok;
  const e = noAgentOf(reader, ctx.io.env);
  if (e.code === 'VAULT_LOCKED' && e.message === vaultLocked().message) ctx.io.err('note: the vault file is locked (no unlock agent): sources are shown from the index, not checked. Unlock it: cpw-vault unlock\n');
  // An agent of this vault runs under another XDG_RUNTIME_DIR or TMPDIR: "no unlock agent" was untrue; where it is helps.
  else if (e.code === 'VAULT_LOCKED') ctx.io.err(`note: the vault file is locked for this shell: sources are shown from the index, not checked.\n    ${e.code} ${e.message}\n    fix: ${e.fix}\n`);
  // "Unlock it" sent the user to an unlock that can only refuse this folder: the refusal unlock and get give is the way out.
  else ctx.io.err(`note: no unlock agent may run here: sources are shown from the index, not checked.\n    ${e.code} ${e.message}\n    fix: ${e.fix}\n`);
  return EXIT.ok;
}

/** What a read of this vault file's values says with no agent (see noAgentError): locked, or its folder refused. */
function noAgentOf(reader: ReadVault, env: CliContext['io']['env']): VaultError {
  return noAgentError(vaultFilesFor(reader.profilePath).identity, env);
}

/** True for a vault file with no unlock agent listening (checked without connecting: see {@link lockedVaultNote}). */
export function vaultFileLocked(reader: ReadVault, env: CliContext['io']['env']): boolean {
  return reader.backend() === 'file' && !vaultAgentListening(reader.profilePath, env);
}

/**
 * The store's problem when it cannot be asked now; undefined when it answers, or for a locked vault file (whose
 * index is all a read shows: {@link lockedVaultNote}). A keychain locked, unreachable or hung; a vault file whose
 * unlock agent listens but does not answer (kill -STOP, hung): asked for at most the agent's deadline (5 s), then
 * VAULT_LOCKED, exit 4, where list and which said "vault file", exit 0.
 */
export async function uncheckedKeychain(reader: ReadVault, env: CliContext['io']['env']): Promise<Extract<KeychainStatus, { ok: false }> | undefined> {
  // A locked vault file is not asked: there is nobody to ask (and a socket that does not listen is never connected to).
  if (vaultFileLocked(reader, env)) return undefined;
  const status = await reader.keychainStatus();
  if (status.ok) return undefined;
  return status.code.startsWith('KEYCHAIN_') || (reader.backend() === 'file' && status.code === 'VAULT_LOCKED') ? status : undefined;
}

/**
 * The `keychain` member of list's and which's JSON: the store's problem when the sources are unchecked (a locked
 * keychain, an agent not answering), and for a locked vault file its VAULT_LOCKED too (exit 0: said, as the note says it).
 */
export function uncheckedJson(reader: ReadVault, ctx: CliContext, keychain: Extract<KeychainStatus, { ok: false }> | undefined): { keychain?: Extract<KeychainStatus, { ok: false }> } {
  if (keychain) return { keychain };
  if (!vaultFileLocked(reader, ctx.io.env)) return {};
  const e = noAgentOf(reader, ctx.io.env);
  return { keychain: { ok: false, backend: `age vault file ${vaultFilesFor(reader.profilePath).vault}`, code: e.code as VaultFileReason, message: e.message, fix: e.fix } };
}

/**
 * What the store's status found of the agent that did not answer, as far as /proc tells it: " (pid N: stopped)" or
 * " (pid N: busy or hung)"; nothing where it cannot be told (a busy agent was not to be called stopped, nor the reverse).
 */
function agentState(a: KeychainStatus['agentNotAnswering']): string {
  if (!a?.state) return '';
  return ` (pid ${a.pids.join(', ')}: ${a.state === 'stopped' ? 'stopped' : 'busy or hung'})`;
}

/** Says once that the sources shown come from the index, unchecked, and why; exit 4 (as get and check). */
export function sourcesUnknown(ctx: CliContext, keychain: Extract<KeychainStatus, { ok: false }>): ExitCode {
  // A vault file comes here only with an agent listening: VAULT_LOCKED is that agent not answering (or refusing).
  const reason = keychain.code === 'VAULT_LOCKED' ? `vault file's unlock agent not answering${agentState(keychain.agentNotAnswering)}` : unknownReason(keychain.code);
  ctx.io.err(`? sources unknown: ${reason} (shown from the index, not checked)\n    ${keychain.code} ${keychain.message}\n    fix: ${indentedStatusFix(keychain.code, keychain.fix, ctx.io.stdinIsTTY)}\n`);
  return EXIT.keychain;
}
