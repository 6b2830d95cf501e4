import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { VaultError, isVaultError } from '../../core/errors';
import type { CredentialId } from '../../core/credential';
import { failedCode, type MigrationPlan, type PlanChoices, type PlanRow } from '../../core/migration-plan';
import type { ParsedSource } from '../../core/migration-sources';
import { NEVER_SHARED_ID, nextDocument, plantedIdentityReason, type TeamCredential, type TeamDocument } from '../../core/team-document';
import { plantedRows, type PlantedRow } from '../../core/team-planted';
import { listSharedKeys, listSharedKeyText, namesOfKey, namesText, sharedKeyText, sharedKeys } from '../../core/team-shared-keys';
import type { TeamView } from '../../core/team-view';
import type { Vault } from '../vault/vault';
import { ensureIdentity, storedIdentity, type TeamKey } from './identity';
import { readRecipientsFile, readTeamFile, recipientsDiffer, mismatch, teamFilesFor, updateTeamFile } from './team-file';

/**
 * The team vault as verbs over the user's Vault, for the desktop app's Team
 * section (the CLI's team commands do the same with terminal output). Never
 * returns a value: names, members and comparisons only.
 */

async function opened(vault: Vault, file: string): Promise<{ key: TeamKey; doc: TeamDocument }> {
  const key = await storedIdentity(vault);
  if (!key) throw new VaultError('CREDENTIAL_MISSING', 'You have no team key yet.', 'Create it in the Team section (or: cpw-vault team identity) and send it to a member.');
  return { key, doc: await readTeamFile(file, key.identity, key.recipient) };
}

export type { TeamView };

/** The Team section's view of `file`: members and key names always (from the recipients file when the user cannot decrypt). */
export async function teamView(vault: Vault, file: string): Promise<TeamView> {
  const files = teamFilesFor(file);
  const key = await storedIdentity(vault);
  const listed = readRecipientsFile(files) ?? [];
  const base = { path: file, you: key?.recipient ?? null, rotate: [], warning: null };
  if (!key) return { ...base, recipient: false, member: null, members: listed, keys: [], fix: 'Create your team key, send it to a member, who adds you: cpw-vault team add <you> <your age1 key>' };
  let doc: TeamDocument;
  try {
    doc = await readTeamFile(file, key.identity, key.recipient);
  } catch (err) {
    if (!isVaultError(err, 'TEAM_NOT_RECIPIENT')) throw err;
    return { ...base, recipient: false, member: null, members: listed, keys: [], fix: err.fix };
  }
  const mine = await vault.storedValues(doc.credentials.map((c) => c.id));
  const list = readRecipientsFile(files);
  const diff = recipientsDiffer(doc, list);
  const names = namesOfKey(doc.members, key.recipient);
  const shared = [...sharedKeys(doc.members).map((k) => sharedKeyText(file, k)), ...listSharedKeys(list ?? [], doc.members).map((k) => listSharedKeyText(files.recipients, k, doc.members))];
  return {
    ...base,
    recipient: true,
    // Every name of the user's key, as team status says it: whoever holds it is each of them.
    member: names.length ? namesText(names) : null,
    members: doc.members.map((m) => ({ name: m.name, recipient: m.recipient })),
    keys: doc.credentials.map((c) => ({ id: c.id, local: mine.get(c.id) === undefined ? 'absent' : mine.get(c.id) === c.value ? 'same' : 'differs', updated_at: c.meta.updated_at, updated_by: c.meta.updated_by ?? null })),
    rotate: doc.rotate,
    // The app's status says what `team status` says: a disagreeing list, and each team identity planted in the file.
    warning: [diff ? mismatch(files, diff).message : '', ...shared.map(capital), ...plantedRows(doc, key.identity).map((r) => capital(plantedIdentityReason(file, r.row, r.own)))].filter(Boolean).join(' ') || null,
    fix: null,
  };
}

/** `text` as a sentence of the app's warning. */
function capital(text: string): string {
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** Creates the user's team identity on first use (in the secret store, one transaction); returns the public key. */
export async function teamIdentity(vault: Vault): Promise<{ recipient: string }> {
  return { recipient: (await ensureIdentity(vault)).recipient };
}

/**
 * The team file as a migration source (every credential chosen explicitly), then each team identity planted
 * in it as an entry the plan refuses (`identity`, the one the file was decrypted with, says which reason, as
 * status and the rewrites say it): a refused row the user sees, never one dropped unsaid.
 */
export function teamSource(path: string, doc: TeamDocument, identity: string): ParsedSource {
  const planted = plantedRows(doc, identity).map((r, i) => ({ sourceKey: NEVER_SHARED_ID, target: NEVER_SHARED_ID, value: doc.planted![i]!.value, problem: plantedIdentityReason(path, r.row, r.own) }));
  return { kind: 'team-file', path, entries: [...doc.credentials.map((c) => ({ sourceKey: c.id, target: c.id, value: c.value })), ...planted], duplicateKeys: [] };
}

/**
 * The pull of team document `doc` (file `file`, decrypted with `identity`) planned against the vault:
 * every credential chosen explicitly, custom ones with the env var the team
 * gave them when it is a safe one (else SERVICE_KEY), never one another of
 * the user's credentials carries.
 */
export async function pullPlan(vault: Vault, file: string, doc: TeamDocument, identity: string, choices: Omit<PlanChoices, 'includeUnknown'> = {}): Promise<{ source: ParsedSource; plan: MigrationPlan }> {
  // The identity the file was decrypted with, not the stored one: a pull with --identity-file named the stored key
  // "your own" and the key it had just used "planted by whoever wrote it".
  const source = teamSource(file, doc, identity);
  const byId = new Map(doc.credentials.map((c) => [c.id, c.meta.env_var]));
  return { source, plan: await vault.planMigration(source, { ...choices, includeUnknown: true }, (r: PlanRow) => (r.target ? byId.get(r.target) : undefined)) };
}

/** What a pull plan is made from (ids, values, env var names), as one string: two reads are the same pull exactly when equal. */
function pullContent(doc: TeamDocument): string {
  return JSON.stringify([doc.credentials.map((c) => [c.id, c.value, c.meta.env_var ?? null]), doc.planted ?? []]);
}

/** The pull plan (import / identical / conflict / invalid; conflicts keep the user's value), and what it was made from. */
export async function teamPullPlan(vault: Vault, file: string): Promise<{ plan: MigrationPlan; content: string }> {
  const { doc, key } = await opened(vault, file);
  return { plan: (await pullPlan(vault, file, doc, key.identity)).plan, content: pullContent(doc) };
}

/**
 * The keys a pull shares with the team from now on (Vault.markTeamShared):
 * those it wrote (when it succeeded) and those whose value was already the
 * team's. A conflict kept is the user's own, never sent by a push.
 */
export function sharedByPull(plan: MigrationPlan, ok: boolean): CredentialId[] {
  return plan.rows.flatMap((r) => (r.target && (r.action === 'identical' || (ok && r.apply)) ? [r.target] : []));
}

/**
 * Applies the pull plan all or nothing through the credential store, when
 * `reviewed` says the file still holds what the plan the user saw was made
 * from (a file replaced meanwhile may bring other keys, values or env vars).
 */
export async function teamPull(vault: Vault, file: string, reviewed: (content: string) => boolean): Promise<{ ok: boolean; imported: number; notUndone?: string[]; failedCode?: string }> {
  const { doc, key } = await opened(vault, file);
  if (!reviewed(pullContent(doc))) {
    throw new VaultError('INVALID_ARGUMENT', `${file} changed since its plan was shown (or no plan was shown); nothing was pulled.`, 'Review the plan shown now, then pull again.');
  }
  const { source, plan } = await pullPlan(vault, file, doc, key.identity);
  if (!plan.counts.apply) {
    await vault.markTeamShared(sharedByPull(plan, true));
    return { ok: true, imported: 0 };
  }
  const result = await vault.applyMigration(source, plan, { backupDir: join(dirname(vault.profilePath), 'team-pulls') });
  if (result.backup) rmSync(result.backup, { force: true });
  await vault.markTeamShared(sharedByPull(plan, result.ok));
  const code = failedCode(result.rows);
  return { ok: result.ok, imported: result.imported, ...(result.notUndone ? { notUndone: result.notUndone, ...(code ? { failedCode: code } : {}) } : {}) };
}

/** What a push did with each key: sent, already the same, not in this vault (the team's kept), withheld (never shared from here). */
export interface PushReport {
  updated: string[];
  unchanged: string[];
  kept: string[];
  withheld: string[];
  /** Pushed, but stored in this vault before a member's removal: still on their rotate reminder. */
  to_rotate: string[];
}

/**
 * The team document a push writes, from `doc` and the user's stored values:
 * each key the file holds that this vault shares (see Vault.markTeamShared),
 * and each of `added` (shared from now on, once written; one that is neither
 * in the vault nor in the file is CREDENTIAL_MISSING). A key a teammate
 * put in the file that this vault never shared is withheld, the file's value
 * kept: anyone who can push to the repository can edit the file, and naming
 * a personal key there must not pull its value out of this vault.
 * undefined when nothing changes.
 */
export async function pushedDocument(vault: Vault, doc: TeamDocument, recipient: string, added: readonly string[], report: PushReport): Promise<TeamDocument | undefined> {
  const ids = [...new Set([...doc.credentials.map((c) => c.id), ...added])];
  const values = ids.length ? await vault.storedValues(ids) : new Map<string, string | undefined>();
  const missing = added.filter((id) => values.get(id) === undefined && !doc.credentials.some((c) => c.id === id));
  if (missing.length) throw new VaultError('CREDENTIAL_MISSING', `Not in your vault: ${missing.join(', ')}.`, `Store them first: cpw-vault set ${missing[0]!.replace('.', ' ')}`);
  const by = doc.members.find((m) => m.recipient === recipient)?.name;
  const now = new Date().toISOString();
  const credentials = ids.map((id): TeamCredential => {
    const old = doc.credentials.find((c) => c.id === id);
    const mine = values.get(id);
    if (mine === undefined) return (report.kept.push(id), old!);
    if (old?.value === mine) return (report.unchanged.push(id), old);
    if (old && !added.includes(id) && !vault.isTeamShared(id)) return (report.withheld.push(id), old);
    report.updated.push(id);
    return { id, value: mine, meta: { ...old?.meta, updated_at: now, ...(by ? { updated_by: by } : {}) } };
  });
  if (!report.updated.length) return undefined;
  // A value stored before a member's removal may be one they saw (re-pushed after theirs replaced it): not a rotation.
  const storedAt = new Map(vault.listCredentials().flatMap((c) => (report.updated.includes(c.id) && c.meta?.updated_at ? [[c.id, c.meta.updated_at] as const] : [])));
  const next = nextDocument(doc, doc.members, credentials, new Date(), [], storedAt);
  report.to_rotate.push(...report.updated.filter((id) => next.rotate.some((r) => r.ids.includes(id))));
  return next;
}

/** Why a push withheld keys, and how to send them when they are the team's (one line). */
export function withheldText(withheld: readonly string[]): string {
  return `not sent, never shared from this vault: ${withheld.join(', ')} (a teammate may have named a key of yours in the file; if it is the team's, send yours with: cpw-vault team push --add ${withheld[0]})`;
}

/** The app's push report: also the planted team identity rows (TeamDocument.planted) the rewrite removed. */
export interface AppPushReport extends PushReport {
  planted: PlantedRow[];
}

/**
 * The team file's values from the user's vault (the keys it shares); the file re-encrypted and replaced atomically.
 * A rewrite leaves planted team identity rows out (nextDocument never copies them), said in `planted`, as
 * `team push` says it (row places only, never a value).
 */
export async function teamPush(vault: Vault, file: string): Promise<AppPushReport> {
  const report: PushReport = { updated: [], unchanged: [], kept: [], withheld: [], to_rotate: [] };
  let planted: PlantedRow[] = [];
  const written = await updateTeamFile(teamFilesFor(file), async () => {
    const { doc, key } = await opened(vault, file);
    const diff = recipientsDiffer(doc, readRecipientsFile(teamFilesFor(file)));
    if (diff) throw mismatch(teamFilesFor(file), diff);
    planted = plantedRows(doc, key.identity);
    return pushedDocument(vault, doc, key.recipient, [], report);
  });
  return { ...report, planted: written ? planted : [] };
}
