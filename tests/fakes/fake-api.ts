import { CATALOG } from '../../shared/core/catalog';
import type { VaultErrorJSON } from '../../shared/core/errors';
import type { MigrationSource, Page, SecurityStatus, TeamFileRef, VaultApi, VaultMethod, VerifyRequest } from '../../shared/core/ipc-contract';
import type { TeamView } from '../../shared/core/team-view';
import type { MigrationPlan } from '../../shared/core/migration-plan';
import { createProfileTemplate } from '../../shared/core/profile-schema';
import type { AuditEvent, RunRecord } from '../../shared/core/records';
import type { VerificationResult } from '../../shared/core/verification';
import type { CredentialView, DoctorReport, ProfileView } from '../../shared/core/views';
import { WORKFLOW_NAMES, validateWorkflow } from '../../shared/core/workflows';
import { ApiError } from '../../renderer/api';

/**
 * An in-memory VaultApi for component tests: real workflow logic over a map
 * of values, with switches to hold a call (loading states) or fail it
 * (error states). Secret values stay in `values`, never in what list returns.
 */
export class FakeApi implements VaultApi {
  values = new Map<string, string>();
  profileKind: ProfileView['kind'] = 'profile';
  profile = createProfileTemplate(new Date('2026-01-01T00:00:00Z'), 'UTC');
  keychainOk = true;
  /** What migrationSources finds (and plans: `plan`). */
  plan: { source: MigrationSource; plan: MigrationPlan } | null = null;
  picked: MigrationSource | null = { handle: 'f'.repeat(32), path: '/picked/secrets.json', origin: 'picked' };
  removeAnswer = true;
  avatar: string | null = null;
  runs: RunRecord[] = [];
  audit: AuditEvent[] = [];
  calls: Array<{ method: VaultMethod; args: unknown[] }> = [];
  /** What a provider says about each credential id (a stored one without an answer is "valid"). */
  verdicts = new Map<string, Partial<VerificationResult>>();
  /** Extra metadata of stored credentials (e.g. a last_validation record). */
  metaOverrides = new Map<string, Partial<NonNullable<CredentialView['meta']>>>();
  private failures = new Map<VaultMethod, VaultErrorJSON>();
  private holds = new Map<VaultMethod, Promise<void>>();

  /** Makes `method` fail with this error until cleared. */
  fail(method: VaultMethod, error: Partial<VaultErrorJSON> = {}): void {
    this.failures.set(method, { code: 'IO_ERROR', message: `${method} failed`, fix: 'Try again later.', ...error });
  }

  /** Clears what {@link fail} made `method` do: it answers again. */
  recover(method: VaultMethod): void {
    this.failures.delete(method);
  }

  /** Holds `method` pending until the returned function is called. */
  hold(method: VaultMethod): () => void {
    let release!: () => void;
    this.holds.set(method, new Promise((r) => (release = r)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  private async run<T>(method: VaultMethod, args: unknown[], fn: () => T): Promise<T> {
    this.calls.push({ method, args });
    await this.holds.get(method);
    const failure = this.failures.get(method);
    if (failure) throw new ApiError(failure);
    return fn();
  }

  private view(): CredentialView[] {
    return CATALOG.map((e) => ({
      id: e.id, service: e.service, key: e.key, label: e.label, secret: e.secret, custom: false, envVars: [...e.envVars], formatHint: e.format.hint,
      ...(e.url ? { url: e.url } : {}), stored: this.values.has(e.id), source: this.values.has(e.id) ? { kind: 'keychain' as const, ...(this.security.backend === 'file' ? { store: 'file' as const } : {}) } : null,
      ...(this.values.has(e.id) ? { meta: { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', hint: '••••', storage: 'keychain' as const, ...this.metaOverrides.get(e.id) } } : {}),
    }));
  }

  profileGet = () => this.run('profileGet', [], () => ({ path: '/home/u/.cp-whisperx/user.profile', kind: this.profileKind, profile: this.profile }));
  profileUpdate: VaultApi['profileUpdate'] = (update) => this.run('profileUpdate', [update], () => {
    this.profile = { ...this.profile, user: { ...this.profile.user, ...update.user }, preferences: { ...this.profile.preferences, ...(update.preferences as object) } };
    this.profileKind = 'profile';
    return { path: '/home/u/.cp-whisperx/user.profile', kind: 'profile' as const, profile: this.profile };
  });
  credentialsList = () => this.run('credentialsList', [], () => this.view());
  credentialsSet: VaultApi['credentialsSet'] = (r) => this.run('credentialsSet', [r], () => {
    const e = CATALOG.find((c) => c.id === `${r.service}.${r.key}`);
    if (e && !e.format.pattern.test(r.value) && !r.acceptFormatWarning) throw new ApiError({ code: 'CREDENTIAL_FORMAT', message: `This does not look like a ${e.label}.`, fix: 'Save anyway' });
    this.values.set(`${r.service}.${r.key}`, r.value);
    return { meta: { created_at: 'x', updated_at: 'x', hint: '••••', storage: 'keychain' as const } };
  });
  credentialsDelete: VaultApi['credentialsDelete'] = (ref) => this.run('credentialsDelete', [ref], () => this.values.delete(`${ref.service}.${ref.key}`));
  credentialsReveal: VaultApi['credentialsReveal'] = (ref) => this.run('credentialsReveal', [ref], () => this.values.get(`${ref.service}.${ref.key}`) ?? '');
  credentialsCopy: VaultApi['credentialsCopy'] = (ref) => this.run('credentialsCopy', [ref], () => ({ clearsAfterMs: 20_000 }));
  credentialsVerify = (request: VerifyRequest) => this.run('credentialsVerify', [request], () => {
    const ids = request.kind === 'all' ? [...this.values.keys()] : [`${request.service}.${request.key}`];
    const results = ids.map((id): VerificationResult => ({ credential: id, result: 'valid', message: 'the provider accepted the key', notes: [], checks: [], checkedAt: new Date().toISOString(), durationMs: 1, source: 'keychain', ...this.verdicts.get(id) }));
    return { results, skipped: [] };
  });
  workflowsValidate = () => this.run('workflowsValidate', [], () => WORKFLOW_NAMES.map((w) => validateWorkflow(w, (id) => this.values.has(id), 'openai')));
  migrationSources = () => this.run('migrationSources', [], () => (this.plan ? [this.plan.source] : []));
  migrationPickFile = () => this.run('migrationPickFile', [], () => this.picked);
  migrationDrop: VaultApi['migrationDrop'] = (file) => this.run('migrationDrop', [file], () => ({ handle: 'd'.repeat(32), path: `/dropped/${file.name}`, origin: 'dropped' as const }));
  migrationPlan: VaultApi['migrationPlan'] = (r) => this.run('migrationPlan', [r], () => {
    if (!this.plan || r.source !== this.plan.source.handle) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'That migration source is not one cpw-vault offered.', fix: '' });
    return { ...this.plan, reviewed: 'reviewed-tag' };
  });
  migrationApply: VaultApi['migrationApply'] = (r) => this.run('migrationApply', [r], () => {
    const imported = this.plan?.plan.counts.apply ?? 0;
    if (this.plan) this.plan = { ...this.plan, plan: { ...this.plan.plan, rows: this.plan.plan.rows.map((row) => (row.apply ? { ...row, action: 'identical' as const, apply: false } : row)), counts: { ...this.plan.plan.counts, apply: 0, identical: this.plan.plan.counts.identical + imported } } };
    return { ok: true, imported, rows: [], backup: '/x/secrets.json.backup-1', plaintextLeft: ['/x/secrets.json', '/x/secrets.json.backup-1'], removed: [] };
  });
  migrationRemovePlaintext: VaultApi['migrationRemovePlaintext'] = (r) => this.run('migrationRemovePlaintext', [r], () => {
    const files = ['/x/secrets.json', '/x/secrets.json.backup-1'];
    return this.removeAnswer ? { cancelled: false, removed: files, left: [] } : { cancelled: true, removed: [], left: files };
  });
  runsList: VaultApi['runsList'] = (f) => this.run('runsList', [f], () => page(this.runs.filter((r) => (!f.status || r.status === f.status) && (!f.workflow || r.workflow === f.workflow)), f));
  runsStats = () => this.run('runsStats', [], () => {
    const count = (s: string) => this.runs.filter((r) => r.status === s).length;
    const finished = count('succeeded') + count('failed');
    return {
      total: this.runs.length,
      by_status: { pending: count('pending'), running: count('running'), succeeded: count('succeeded'), failed: count('failed'), refused: count('refused'), interrupted: count('interrupted') },
      by_workflow: {},
      success_rate: finished ? count('succeeded') / finished : null,
    };
  });
  auditList: VaultApi['auditList'] = (f) => this.run('auditList', [f], () => page(this.audit.filter((a) => (!f.event || a.event === f.event) && (!f.credential || a.credential === f.credential)), f));
  profileAvatar = () => this.run('profileAvatar', [], () => this.avatar);
  profileFixPermissions = () => this.run('profileFixPermissions', [], () => {
    this.problems = [];
    return this.report();
  });
  /** Profile problems doctor reports (the problem screen). */
  problems: DoctorReport['profile']['problems'] = [];
  private report(): DoctorReport {
    return {
      ok: this.keychainOk && !this.problems.length,
      profile: { path: '/home/u/.cp-whisperx/user.profile', kind: this.profileKind, mode: '0600', dir_mode: '0700', version: '2.0', problems: this.problems },
      // The backend the Security section is on, as main's doctor reads it from the profile; keychain.backend describes
      // it in words, as main's store status does ("age vault file /home/u/.cp-whisperx/vault.age (unlocked ...)").
      storage: this.security.backend,
      keychain: this.keychainOk ? { ok: true, backend: this.backendWords() } : { ok: false, backend: this.backendWords(), code: 'KEYCHAIN_LOCKED', message: 'The keychain is locked.', fix: 'Unlock it in Passwords and Keys.' },
      workflows: [],
    };
  }
  doctor = () => this.run('doctor', [], () => this.report());
  /** The Security section's state: which backend, whether the vault file is open, its passphrase. */
  /** `notAnswering`: the pids of an unlock agent that is there but does not answer (kill -STOP), as main's status finds it. */
  /** `lockFailed`: a Lock's second round, as a switch ended, failed: in every status until Lock or Unlock (or the test drops it, as main does once locked). */
  security: { backend: string; unlocked: boolean; passphrase: string; offerFile: boolean; notAnswering?: number[]; lockFailed?: VaultErrorJSON } = { backend: 'keychain', unlocked: false, passphrase: 'the current vault passphrase', offerFile: false };
  /** The store's description, as main's status words it: never the backend's bare name. */
  private backendWords(): string {
    return this.security.backend === 'file' ? 'age vault file /home/u/.cp-whisperx/vault.age (unlocked by agent pid 4242 until 2026-01-01T08:00:00.000Z)' : 'Secret Service (gnome-keyring)';
  }
  exportTarget: string | null = '/home/u/cpw-vault-export.age';
  private securityStatusNow(): SecurityStatus {
    const { lockFailed } = this.security;
    return { ...this.securityStatusBare(), ...(lockFailed ? { lockFailed } : {}) };
  }
  private securityStatusBare(): SecurityStatus {
    const s = this.security;
    if (s.backend === 'file' && s.notAnswering) return { backend: 'file', ok: false, code: 'VAULT_LOCKED', message: 'The vault file cannot be read: the unlock agent did not answer within 5 s.', fix: 'Start the unlock again: cpw-vault lock, then cpw-vault unlock', unlockedUntil: null, agentNotAnswering: { pids: s.notAnswering }, offerFile: false };
    if (s.backend === 'file' && !s.unlocked) return { backend: 'file', ok: false, code: 'VAULT_LOCKED', message: 'The vault file is locked.', fix: 'Unlock it.', unlockedUntil: null, offerFile: false };
    if (s.backend === 'keychain' && s.offerFile) return { backend: 'keychain', ok: false, code: 'KEYCHAIN_UNAVAILABLE', message: 'The keychain cannot be reached.', fix: 'Start a keyring.', offerFile: true };
    return { backend: s.backend, ok: true, offerFile: false, ...(s.backend === 'file' ? { unlockedUntil: '2026-01-01T08:00:00.000Z' } : {}) };
  }
  private wrongPassphrase(): ApiError {
    return new ApiError({ code: 'VAULT_PASSPHRASE_WRONG', message: 'That passphrase does not open the vault file. Nothing was changed.', fix: 'Type it again.' });
  }
  securityStatus = () => this.run('securityStatus', [], () => this.securityStatusNow());
  securityUnlock: VaultApi['securityUnlock'] = (r) => this.run('securityUnlock', [r], () => {
    if (r.passphrase !== this.security.passphrase) throw this.wrongPassphrase();
    this.security = { ...this.security, unlocked: true, lockFailed: undefined };
    return this.securityStatusNow();
  });
  securityLock = () => this.run('securityLock', [], () => ((this.security = { ...this.security, unlocked: false, notAnswering: undefined, lockFailed: undefined }), this.securityStatusNow()));
  securityChangePassphrase: VaultApi['securityChangePassphrase'] = (r) => this.run('securityChangePassphrase', [r], () => {
    if (r.current !== this.security.passphrase) throw this.wrongPassphrase();
    this.security.passphrase = r.next;
    this.security.unlocked = false;
    return this.securityStatusNow();
  });
  securityUseBackend: VaultApi['securityUseBackend'] = (r) => this.run('securityUseBackend', [r], () => {
    // As main: the passphrase just chosen for a vault file unlocks it.
    this.security = { ...this.security, backend: r.backend, unlocked: r.backend === 'file' && !!r.passphrase, offerFile: false, ...(r.passphrase ? { passphrase: r.passphrase } : {}) };
    return { moved: [...this.values.keys()].sort(), status: this.securityStatusNow() };
  });
  /** What main warns of an export (credentials listed without a value, left out). */
  exportWarnings: string[] = [];
  securityExport: VaultApi['securityExport'] = (r) => this.run('securityExport', [r], () => (this.exportTarget ? { file: this.exportTarget, count: this.values.size, warnings: this.exportWarnings } : null));
  securityImportPick = () => this.run('securityImportPick', [], () => ({ handle: 'e'.repeat(32), path: '/home/u/move.age', origin: 'picked' as const }));
  securityImportPlan: VaultApi['securityImportPlan'] = (r) => this.run('securityImportPlan', [r], () => {
    if (!this.plan) throw new ApiError({ code: 'EXPORT_INVALID', message: 'No export.', fix: '' });
    return { ...this.plan, source: { handle: r.source, path: '/home/u/move.age', origin: 'picked' as const } };
  });
  securityImportApply: VaultApi['securityImportApply'] = (r) => this.run('securityImportApply', [r], () => ({ imported: (this.plan?.plan.rows ?? []).filter((x) => x.apply && x.target).map((x) => x.target!) }));
  openExternal: VaultApi['openExternal'] = (url) => this.run('openExternal', [url], () => undefined);
  /** The team file main's dialog gives, and its view and pull plan. */
  teamFile: TeamFileRef | null = { handle: 'e'.repeat(32), path: '/repo/cpw-team.age' };
  team: TeamView | null = null;
  teamPlanResult: MigrationPlan | null = null;
  teamPickFile: VaultApi['teamPickFile'] = () => this.run('teamPickFile', [], () => this.teamFile);
  teamStatus: VaultApi['teamStatus'] = (r) => this.run('teamStatus', [r], () => this.team!);
  teamIdentity: VaultApi['teamIdentity'] = () => this.run('teamIdentity', [], () => ({ recipient: `age1${'q'.repeat(58)}` }));
  teamPullPlan: VaultApi['teamPullPlan'] = (r) => this.run('teamPullPlan', [r], () => ({ plan: this.teamPlanResult!, reviewed: 'tag-of-the-plan' }));
  teamPull: VaultApi['teamPull'] = (r) => this.run('teamPull', [r], () => ({ ok: true, imported: this.teamPlanResult?.counts.apply ?? 0 }));
  teamPush: VaultApi['teamPush'] = (r) => this.run('teamPush', [r], () => ({ updated: [], withheld: [], planted: [] }));
}

function page<T>(items: T[], f: { offset?: number; limit?: number }): Page<T> {
  const offset = f.offset ?? 0;
  return { items: items.slice(offset, offset + (f.limit ?? 100)), total: items.length, offset };
}
