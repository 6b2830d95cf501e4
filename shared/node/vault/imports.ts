import { catalogEntry } from '../../core/catalog';
import type { CredentialId } from '../../core/credential';
import { customEnvVars, movedEnvVarText } from '../../core/env-var-names';
import { withDistinctEnvVars, type ApplyResult, type MigrationPlan, type PlanChoices, type PlanRow } from '../../core/migration-plan';
import type { ParsedSource } from '../../core/migration-sources';
import type { Profile } from '../../core/profile-schema';
import { NEVER_SHARED_ID } from '../../core/team-document';
import type { Caller } from '../../core/views';
import { exportAsSource, exportedEnvVar, exportedLabel, importedEnvVar, withRefusedEnvVarNotes, type ExportDocument } from '../../core/vault-export';
import type { CredentialStore } from '../credentials/credential-store';
import type { CredentialChange } from '../credentials/credential-change';
import { applyMigration, planMigrationFor, type ApplyOptions } from '../migration/apply';
import type { VaultReader } from './reader';

/** What the plans work with: the Vault's parts. */
export interface ImportDeps {
  credentials: () => CredentialStore;
  currentProfile: () => Profile | undefined;
  record: VaultReader['record'];
  othersValues: () => (id: CredentialId) => boolean;
  warn: (message: string) => void;
  profilePath: string;
  caller: Caller;
}

/**
 * Bringing many credentials in at once, for one vault: migration of a
 * plaintext file, import of an export, a team pull. Each is planned against
 * what is stored now (the values read are kept in memory, for its apply
 * only), shown, then applied all or nothing through the credential store.
 * No two credentials ever get one env var.
 */
export class VaultImports {
  /** Values a plan read, kept in memory only until its apply, so apply does not read them again. */
  private readonly planned = new WeakMap<MigrationPlan, Map<CredentialId, string | undefined>>();

  constructor(private readonly deps: ImportDeps) {}

  /**
   * Plans a migration against what is stored now (reads each target; a
   * locked keychain throws). `fileEnvVar` gives the env var the file names
   * for each row (an import, a team pull): a custom row gets it when its
   * credential may carry it (see importedEnvVar); no two credentials ever
   * get one name. A row whose name is replaced or moved says so in its warning.
   */
  async planMigration(source: ParsedSource, choices: PlanChoices = {}, fileEnvVar?: (row: PlanRow) => unknown): Promise<MigrationPlan> {
    // A value this profile does not index under a keychain name it shares with the default profile is not its own: absent.
    const stored = (ids: CredentialId[]) => {
      const others = this.deps.othersValues();
      return this.deps.credentials().storedValues(ids.filter((id) => !others(id)), this.deps.currentProfile());
    };
    const { plan, stored: values } = await planMigrationFor(source, choices, stored);
    this.planned.set(plan, values);
    if (!fileEnvVar) return this.distinctPlan(plan, 'plan');
    // An invalid row stores nothing, so it carries no name (a refused team identity showed the name it would have had).
    const envVarOf = (row: PlanRow) => (row.target && row.action !== 'invalid' && !catalogEntry(row.target) ? importedEnvVar(row.target, fileEnvVar(row)) : undefined);
    const noted = withRefusedEnvVarNotes(this.distinctPlan(plan, 'plan', envVarOf), fileEnvVar);
    this.planned.set(noted, values);
    return noted;
  }

  /** Applies a plan all or nothing through the credential store (see migration/apply.ts). */
  async applyMigration(source: ParsedSource, plan: MigrationPlan, options: ApplyOptions = {}): Promise<ApplyResult> {
    // Checked again: a credential stored since the plan was made may have taken a name.
    const distinct = this.distinctPlan(plan, 'apply');
    const result = await applyMigration(this.deps.credentials(), source, distinct, { ...options, profilePath: this.deps.profilePath, known: this.planned.get(plan) });
    if (result.ok && result.imported + (result.backup ? 1 : 0) > 0) {
      await this.deps.record({ event: 'migration_applied', caller: this.deps.caller, details: { source: source.path, imported: result.imported, backup: result.backup ?? '' } });
    }
    return result;
  }

  /**
   * Plans the import of an export document (`cpw-vault import`): the same
   * plan as migration (import / identical / conflict / invalid) against
   * what is stored now. Holds no value; its apply reuses the values read.
   */
  async planImport(doc: ExportDocument, path: string, choices: Pick<PlanChoices, 'overwrite'> = {}): Promise<MigrationPlan> {
    return this.planMigration(exportAsSource(doc, path), choices, (row) => doc.credentials[row.index]?.meta?.['env_var']);
  }

  /**
   * Applies an import plan all or nothing, as one credential-store
   * transaction (each value written and read back; any failure or the
   * signal undoes everything). Labels and custom env vars come along; dates
   * are this machine's. Audited `credentials_imported` (counts only).
   */
  async applyImport(doc: ExportDocument, plan: MigrationPlan, options: { signal?: AbortSignal; onProgress?: (done: number, total: number, id: CredentialId) => void } = {}): Promise<{ imported: CredentialId[] }> {
    const source = exportAsSource(doc, plan.source.path);
    // The plan's names (planImport set them), else the file's, made safe; checked again against what is stored now.
    // A plan is the caller's to pass: a team identity it says to write is still never taken (see TEAM_IDENTITY_REFUSED).
    const chosen = this.distinctPlan(plan, 'apply', (row) => row.envVar ?? exportedEnvVar(doc.credentials[row.index]!)).rows.filter((r) => r.apply && r.target && r.target !== NEVER_SHARED_ID);
    const changes = chosen.map((row): CredentialChange => {
      const exported = doc.credentials[row.index]!;
      return { kind: 'set', id: row.target!, value: (source.entries[row.index]!.value as string).trim(), label: exportedLabel(exported), ...(row.envVar ? { envVar: row.envVar } : {}) };
    });
    if (changes.length) await this.deps.credentials().commit(changes, { signal: options.signal, known: this.planned.get(plan), onProgress: options.onProgress });
    const imported = changes.map((c) => c.id);
    await this.deps.record({ event: 'credentials_imported', caller: this.deps.caller, details: { file: plan.source.path, imported: imported.length, identical: plan.counts.identical, conflicts_kept: plan.rows.filter((r) => r.action === 'conflict' && !r.apply).length } });
    return { imported };
  }

  /**
   * `plan` as {@link withDistinctEnvVars} makes it; apply takes it as the plan it came from. A plan being made
   * says its moves in its rows (shown before anything is written); one being applied warns of any move it
   * makes, since that one was not shown (a name taken since the plan, a plan made elsewhere).
   */
  private distinctPlan(plan: MigrationPlan, at: 'plan' | 'apply', envVarOf?: (row: PlanRow) => string | undefined): MigrationPlan {
    const { plan: next, moved } = withDistinctEnvVars(plan, customEnvVars(this.deps.currentProfile()), envVarOf);
    if (at === 'apply') for (const m of moved) this.deps.warn(movedEnvVarText(m));
    const known = this.planned.get(plan);
    if (next !== plan && known) this.planned.set(next, known);
    return next;
  }
}
