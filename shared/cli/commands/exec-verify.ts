import { checkedCredentialId, splitCredentialId, type CredentialId } from '../../core/credential';
import { isVaultError, VaultError } from '../../core/errors';
import type { Vault } from '../../node/vault/vault';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { interruptible } from '../signals';

/**
 * `exec --verify`: the workflow's keys, and those `--with` adds, checked with
 * their providers before the stage starts; refuses to start unless all are
 * valid. Its own module so the light bundle that runs plain `exec` never
 * carries the HTTP client.
 */
export async function verifyFirst(vault: Vault, args: { workflow: string; timeout?: string | undefined; with?: string[] | undefined }, ctx: CliContext, refused: (ids: CredentialId[]) => Promise<void>): Promise<void> {
  const [{ verifyWithVault }, { isVerifiable }, { describeVerification, timeoutMs, verifyExitCode }] = await Promise.all([import('../../node/verify/with-vault'), import('../../node/verify/providers'), import('./verify')]);
  const ms = timeoutMs(args.timeout);
  const options = { env: ctx.io.env, ...(ms ? { timeoutMs: ms } : {}) };
  // Ctrl-C while the providers are asked: "cancelled: nothing changed" (exit 130) and no stage, as `verify` says it;
  // it ended exec by the signal with no word.
  const results = await interruptible(async (signal) => {
    // A workflow not ready is a refused run, as exec without --verify records it (`runs` and the app's notices).
    const { results: found } = await verifyWithVault(vault, { kind: 'workflow', workflow: args.workflow }, { ...options, signal }).catch(async (err: unknown) => {
      if (isVaultError(err, 'WORKFLOW_NOT_READY')) await refused(await vault.validateWorkflow(args.workflow).then((s) => s.missing.flatMap((m) => m.credentials), () => []));
      throw err;
    });
    // A key --with gives the stage is the stage's too: only the workflow's were checked, and a revoked one started it.
    // One malformed or not set is left to exec, which refuses it and records the run.
    for (const id of await withVerifiable(vault, args.with, isVerifiable)) {
      if (found.some((r) => r.credential === id)) continue;
      found.push(...(await verifyWithVault(vault, { kind: 'credential', ...splitCredentialId(id) }, { ...options, signal })).results);
    }
    return found;
  });
  for (const r of results) ctx.io.err(describeVerification(ctx.io, r));
  const code = verifyExitCode(results);
  if (code !== EXIT.ok) await refused(results.filter((r) => r.result !== 'valid').map((r) => r.credential));
  const whose = `the ${args.workflow} workflow${args.with?.length ? ' (or --with)' : ''}`;
  if (code === EXIT.missing) throw new VaultError('CREDENTIAL_REJECTED', `Not starting: a key of ${whose} was rejected by its provider (see above).`, results.map((r) => r.fix).filter(Boolean).join('\n') || 'Fix the key, then run again.');
  if (code !== EXIT.ok) throw new VaultError('PROVIDER_UNREACHABLE', `Not starting: a provider of ${whose} could not confirm its key (see above).`, 'Try again later, or run without --verify.');
}

/** The `--with` credentials a provider can check that have a value. */
async function withVerifiable(vault: Vault, withs: readonly string[] | undefined, isVerifiable: (id: CredentialId) => boolean): Promise<CredentialId[]> {
  const ids: CredentialId[] = [];
  for (const w of withs ?? []) {
    const dot = w.indexOf('.');
    if (dot <= 0) continue;
    let id: CredentialId;
    try {
      id = checkedCredentialId(w.slice(0, dot), w.slice(dot + 1));
    } catch {
      continue;
    }
    const { service, key } = splitCredentialId(id);
    if (isVerifiable(id) && !ids.includes(id) && (await vault.findCredential(service, key))) ids.push(id);
  }
  return ids;
}
