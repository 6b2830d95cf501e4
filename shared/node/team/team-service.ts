import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { VaultError, isVaultError } from '../../core/errors';
import type { MigrationPlan, PlanChoices, PlanRow } from '../../core/migration-plan';
import type { ParsedSource } from '../../core/migration-sources';
import { nextDocument, type TeamCredential, type TeamDocument } from '../../core/team-document';
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
  const diff = recipientsDiffer(doc, readRecipientsFile(files));
  return {
    ...base,
    recipient: true,
    member: doc.members.find((m) => m.recipient === key.recipient)?.name ?? null,
    members: doc.members.map((m) => ({ name: m.name, recipient: m.recipient })),
    keys: doc.credentials.map((c) => ({ id: c.id, local: mine.get(c.id) === undefined ? 'absent' : mine.get(c.id) === c.value ? 'same' : 'differs', updated_at: c.meta.updated_at, updated_by: c.meta.updated_by ?? null })),
    rotate: doc.rotate,
    warning: diff ? mismatch(files, diff).message : null,
    fix: null,
  };
}

/** Creates the user's team identity on first use (in the secret store, one transaction); returns the public key. */
export async function teamIdentity(vault: Vault): Promise<{ recipient: string }> {
  return { recipient: (await ensureIdentity(vault)).recipient };
}

/** The team file as a migration source (every credential chosen explicitly). */
export function teamSource(path: string, doc: TeamDocument): ParsedSource {
  return { kind: 'team-file', path, entries: doc.credentials.map((c) => ({ sourceKey: c.id, target: c.id, value: c.value })), duplicateKeys: [] };
}

/**
 * The pull of team document `doc` (file `file`) planned against the vault:
 * every credential chosen explicitly, custom ones with the env var the team
 * gave them when it is a safe one (else SERVICE_KEY), never one another of
 * the user's credentials carries.
 */
export async function pullPlan(vault: Vault, file: string, doc: TeamDocument, choices: Omit<PlanChoices, 'includeUnknown'> = {}): Promise<{ source: ParsedSource; plan: MigrationPlan }> {
  const source = teamSource(file, doc);
  const byId = new Map(doc.credentials.map((c) => [c.id, c.meta.env_var]));
  return { source, plan: await vault.planMigration(source, { ...choices, includeUnknown: true }, (r: PlanRow) => (r.target ? byId.get(r.target) : undefined)) };
}

/** The pull plan (import / identical / conflict / invalid); conflicts keep the user's value. */
export async function teamPullPlan(vault: Vault, file: string): Promise<MigrationPlan> {
  const { doc } = await opened(vault, file);
  return (await pullPlan(vault, file, doc)).plan;
}

/** Applies the pull plan all or nothing through the credential store. */
export async function teamPull(vault: Vault, file: string): Promise<{ ok: boolean; imported: number }> {
  const { doc } = await opened(vault, file);
  const { source, plan } = await pullPlan(vault, file, doc);
  if (!plan.counts.apply) return { ok: true, imported: 0 };
  const result = await vault.applyMigration(source, plan, { backupDir: join(dirname(vault.profilePath), 'team-pulls') });
  if (result.backup) rmSync(result.backup, { force: true });
  return { ok: result.ok, imported: result.imported };
}

/** The team file's values from the user's vault (the keys it holds); the file re-encrypted and replaced atomically. */
export async function teamPush(vault: Vault, file: string): Promise<{ updated: string[] }> {
  const updated: string[] = [];
  await updateTeamFile(teamFilesFor(file), async () => {
    const { doc, key } = await opened(vault, file);
    const diff = recipientsDiffer(doc, readRecipientsFile(teamFilesFor(file)));
    if (diff) throw mismatch(teamFilesFor(file), diff);
    const mine = await vault.storedValues(doc.credentials.map((c) => c.id));
    const by = doc.members.find((m) => m.recipient === key.recipient)?.name;
    const now = new Date().toISOString();
    const credentials = doc.credentials.map((c): TeamCredential => {
      const value = mine.get(c.id);
      if (value === undefined || value === c.value) return c;
      updated.push(c.id);
      return { id: c.id, value, meta: { ...c.meta, updated_at: now, ...(by ? { updated_by: by } : {}) } };
    });
    return updated.length ? nextDocument(doc, doc.members, credentials, new Date()) : undefined;
  });
  return { updated };
}
