import { catalogEntry } from '../../core/catalog';
import { splitCredentialId, type CredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { untilAborted } from '../until-aborted';
import type { VerificationResult } from '../../core/verification';
import type { CredentialSource } from '../../core/views';
import { checkedCredentialId as checkedId } from '../../core/credential';
import { notReady } from '../vault/reader';
import type { Vault } from '../vault/vault';
import { isVerifiable } from './providers';
import { verifyMany, type VerifyItem, type VerifyOptions } from './verify';

/** What to verify: one credential, the credentials a workflow uses, or every credential that has a value. */
export type VerifyTarget = { kind: 'credential'; service: string; key: string } | { kind: 'workflow'; workflow: string } | { kind: 'all' };

/** Results, and the credentials `--all` passed over (nothing to ask a provider). */
export interface VerifyReport {
  results: VerificationResult[];
  skipped: Array<{ credential: CredentialId; reason: string }>;
}

interface Planned {
  items: Array<VerifyItem & { source: CredentialSource['kind']; store?: 'file'; envName?: string; storedAt: string | null }>;
  skipped: VerifyReport['skipped'];
}

async function read(vault: Vault, id: CredentialId, gated: boolean): Promise<Planned['items'][number]> {
  const { service, key } = splitCredentialId(id);
  // When the stored value was last set, taken before the value is read: a result is stamped on the metadata only
  // if no other value was stored while it was being verified (see Vault.recordVerification).
  const storedAt = vault.storedAt(id);
  const { value, source } = await vault.getCredential(service, key);
  return { id, value, gated, source: source.kind, ...(source.kind === 'keychain' && source.store ? { store: source.store } : {}), ...(source.kind === 'env' ? { envName: source.name } : {}), storedAt };
}

/** Which credentials a target means, read through the vault (audited reads; CREDENTIAL_MISSING / WORKFLOW_NOT_READY / KEYCHAIN_* as usual). */
async function plan(vault: Vault, target: VerifyTarget): Promise<Planned> {
  if (target.kind === 'credential') {
    const id = checkedId(target.service, target.key);
    if (!isVerifiable(id)) throw new VaultError('INVALID_ARGUMENT', `cpw-vault cannot verify ${id}: no provider call is known for it${catalogEntry(id)?.secret === false ? ' (it is not a secret; it is checked along with its key)' : ''}.`, 'Verifiable: huggingface token, pyannote token, openai api_key, anthropic api_key, google api_key, tmdb api_key, youtube api_key, vimeo access_token.');
    return { items: [await read(vault, id, false)], skipped: [] };
  }
  if (target.kind === 'workflow') {
    const status = await vault.validateWorkflow(target.workflow, { verify: true });
    if (!status.ready) throw notReady(status);
    const items = [];
    for (const id of status.uses) items.push(await read(vault, id, target.workflow === 'diarize'));
    return { items, skipped: [] };
  }
  const diarize = await vault.validateWorkflow('diarize');
  const planned: Planned = { items: [], skipped: [] };
  for (const c of vault.listCredentials()) {
    if (!c.source) continue;
    if (!isVerifiable(c.id)) {
      planned.skipped.push({ credential: c.id, reason: c.secret ? 'no provider call is known for it' : 'not a secret; checked along with its key' });
      continue;
    }
    planned.items.push(await read(vault, c.id, c.id === 'huggingface.token' && diarize.uses.includes(c.id)));
  }
  return planned;
}

/**
 * Verifies what `target` names with the provider calls, then records each
 * result through {@link Vault.recordVerification} (metadata when the value
 * is the stored one; an audit event always). The CLI passes its own
 * environment in `options.env` (endpoints, proxy). `options.signal` (the CLI's
 * Ctrl-C) aborted before the results are recorded: CANCELLED, nothing recorded;
 * once they are being recorded, they all are.
 */
export async function verifyWithVault(vault: Vault, target: VerifyTarget, options: VerifyOptions & { signal?: AbortSignal } = {}): Promise<VerifyReport> {
  const { signal, ...verifyOptions } = options;
  const { items, skipped } = await untilAborted(plan(vault, target), signal);
  let related: VerifyOptions['related'] = verifyOptions.related;
  if (items.some((i) => i.id === 'openai.api_key')) {
    const org = await vault.findCredential('openai', 'organization_id');
    related = { ...related, 'openai.organization_id': org?.value };
  }
  const results = await untilAborted(verifyMany(items, { ...verifyOptions, ...(related ? { related } : {}) }), signal);
  for (const [i, result] of results.entries()) {
    result.source = items[i]!.source;
    if (items[i]!.store) result.store = items[i]!.store;
    const envName = items[i]!.envName;
    // The value came from the environment, which is read before the vault: storing a new key would change nothing.
    if (envName && result.result === 'invalid') {
      const url = catalogEntry(result.credential)?.url;
      result.fix = `The key comes from ${envName} in this environment, which is read before the vault: correct or unset ${envName}${url ? ` (new keys: ${url})` : ''}.`;
    }
    await vault.recordVerification(result.credential, result, items[i]!.storedAt);
  }
  return { results, skipped };
}
