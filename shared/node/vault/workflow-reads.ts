import { CATALOG } from '../../core/catalog';
import type { CredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { AI_PROVIDERS, WORKFLOW_NAMES, isWorkflowName, validateWorkflow, type AiProvider, type WorkflowStatus } from '../../core/workflows';
import type { CredentialValue, ReadView, VaultReader } from './reader';

/** A workflow's readiness and, when its credentials were read, their values. */
export interface ResolvedWorkflow {
  status: WorkflowStatus;
  /** The value of each credential the workflow uses (when read: `verify`). */
  values: Map<CredentialId, CredentialValue>;
  view: ReadView | undefined;
}

/**
 * A workflow's readiness from env vars and the index; with `verify`, proven
 * by reading the credentials it uses — all in one batch of the secret store.
 * A credential the index lists but the store lacks is missing; an
 * alternative the workflow then falls back to (diarize: pyannote, else
 * HuggingFace) is read in turn; one the store holds but the index lacks
 * counts, as getCredential finds it (see foundUnindexed). A locked store throws its own code (KEYCHAIN_LOCKED, VAULT_LOCKED), also
 * when nothing the workflow uses is indexed (see storeAnswers).
 * Unknown names throw WORKFLOW_UNKNOWN (the name is not echoed: it may be a
 * key pasted in the wrong place).
 */
export async function resolveWorkflow(reader: VaultReader, name: string, options: { verify?: boolean } = {}): Promise<ResolvedWorkflow> {
  if (!isWorkflowName(name)) throw new VaultError('WORKFLOW_UNKNOWN', 'Unknown workflow name.', `Use one of: ${WORKFLOW_NAMES.join(', ')}.`);
  const view = reader.view();
  // Workflows use catalog credentials only: the custom ones (maybe thousands) are not looked at.
  const present = new Set(CATALOG.map((e) => e.id).filter((id) => reader.sourceOf(id, view)));
  const preferred = view?.kind === 'profile' ? view.index.aiProvider : undefined;
  const aiProvider: AiProvider = (AI_PROVIDERS as readonly string[]).includes(preferred ?? '') ? (preferred as AiProvider) : 'openai';
  const out: ResolvedWorkflow = { status: validateWorkflow(name, (id) => present.has(id), aiProvider), values: new Map(), view };
  if (!options.verify) return out;
  const tried = new Set<CredentialId>();
  for (;;) {
    const need = out.status.uses.filter((id) => !tried.has(id));
    if (!need.length) {
      if (out.status.ready) return out;
      await storeAnswers(reader, view, out.status);
      if (!(await foundUnindexed(reader, view, out, tried, present))) return out;
      out.status = validateWorkflow(name, (id) => present.has(id), aiProvider);
      continue;
    }
    const fromStore = need.filter((id) => !reader.fromEnv(id, view));
    const batch = await reader.storedIn(view, fromStore);
    for (const id of need) {
      tried.add(id);
      const found = reader.handedOn(reader.fromEnv(id, view)) ?? batch.get(id);
      if (found) out.values.set(id, found);
      else present.delete(id);
    }
    out.status = validateWorkflow(name, (id) => present.has(id), aiProvider);
  }
}

/**
 * A workflow found not ready is "missing" only when the secret store could
 * have been asked: one it cannot ask (a keychain locked, unreachable or hung;
 * a vault file locked, or one it cannot open) throws its own error (exit 4
 * for a locked one, readiness unknown, as check says), since the index alone
 * proves nothing. Without this a locked keychain with an empty or lost index
 * read as "missing: run cpw-vault set" in env, exec and the library, as get
 * never does; so did a locked vault file until its codes counted too.
 */
async function storeAnswers(reader: VaultReader, view: ReadView | undefined, workflow: WorkflowStatus): Promise<void> {
  if (view?.kind === 'legacy') return; // secrets.json: the keychain is not read at all
  const status = await reader.keychainStatus();
  if (status.ok) return;
  // What the environment lacks too (a CI run that exports its keys learns which one to add).
  const lacking = workflow.missing.map((m) => `${m.description} (${m.credentials.flatMap((id) => reader.envVarsFor(id, view)).join(' or ')})`);
  throw new VaultError(status.code, `${status.message} The ${workflow.workflow} workflow's keys are not all in the environment either: ${lacking.join('; ')}.`, status.fix);
}

/**
 * The credentials a workflow found not ready lacks that the index does not
 * list, read from the secret store in one batch: true when one was there
 * (it joins `present` and the values). A value another program stored under
 * the vault's name (secret-tool, keyring in a Python stage) is indexed again
 * only when a vault opens, so a long-running process (the library in a
 * pipeline stage) said "missing" for a key its own getCredential read. Only on
 * this path: a ready workflow costs no read more. Each id is asked once.
 */
async function foundUnindexed(reader: VaultReader, view: ReadView | undefined, out: ResolvedWorkflow, tried: Set<CredentialId>, present: Set<CredentialId>): Promise<boolean> {
  if (view?.kind === 'legacy') return false; // secrets.json: the keychain is not read at all
  // Not for a command: it lives a moment, and a workflow not ready by the index hands it to the full vault, whose start
  // indexes such a value again (and says so), so the index is mended and not only answered around.
  if (reader.caller === 'cli') return false;
  const ids = [...new Set(out.status.missing.flatMap((m) => m.credentials))].filter((id) => !tried.has(id));
  if (!ids.length) return false;
  const batch = await reader.storedIn(view, ids);
  let found = false;
  for (const id of ids) {
    tried.add(id);
    const value = batch.get(id);
    if (!value) continue;
    out.values.set(id, value);
    present.add(id);
    found = true;
  }
  return found;
}

/**
 * The environment of a ready workflow: every env alias of each credential it
 * uses, with its value; each read recorded (audit, last use) as a single
 * read is. Throws WORKFLOW_NOT_READY listing what is missing.
 */
export async function environmentOf(reader: VaultReader, resolved: ResolvedWorkflow): Promise<Record<string, string>> {
  if (!resolved.status.ready) throw notReady(resolved.status);
  const env: Record<string, string> = {};
  for (const id of resolved.status.uses) {
    const found = resolved.values.get(id)!;
    await reader.noteRead(id, found, resolved.view);
    for (const v of reader.envVarsFor(id, resolved.view)) env[v] = found.value;
  }
  return env;
}

/** Readiness of every workflow (from the index; with `verify`, each proven by its reads). */
export async function resolveAll(reader: VaultReader, options: { verify?: boolean } = {}): Promise<WorkflowStatus[]> {
  const out: WorkflowStatus[] = [];
  for (const name of WORKFLOW_NAMES) out.push((await resolveWorkflow(reader, name, options)).status);
  return out;
}

/**
 * The error for a workflow that is not ready: the message says what is
 * missing, the fix what to run for each (one line per missing need). Each
 * is said once: the CLI prints the fix under the message, and a Node stage
 * has both (`err.message`, `err.fix`).
 */
export function notReady(status: WorkflowStatus): VaultError {
  const needs = status.missing.map((m) => `${m.description} (${m.credentials.join(' or ')})`);
  const missing = needs.length === 1 ? ` ${needs[0]}.` : `\n${needs.map((n) => `  - ${n}`).join('\n')}`;
  return new VaultError('WORKFLOW_NOT_READY', `The ${status.workflow} workflow is not ready; missing:${missing}`, status.missing.map((m) => m.fix).join('\n'));
}
