import { VaultError } from '../../core/errors';
import type { Vault } from '../../node/vault/vault';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { interruptible } from '../signals';

/**
 * `exec --verify`: the workflow's keys checked with their providers before
 * the stage starts; refuses to start unless all are valid. Its own module so
 * the light bundle that runs plain `exec` never carries the HTTP client.
 */
export async function verifyFirst(vault: Vault, args: { workflow: string; timeout?: string | undefined }, ctx: CliContext): Promise<void> {
  const [{ verifyWithVault }, { describeVerification, timeoutMs, verifyExitCode }] = await Promise.all([import('../../node/verify/with-vault'), import('./verify')]);
  const ms = timeoutMs(args.timeout);
  // Ctrl-C while the providers are asked: "cancelled: nothing changed" (exit 130) and no stage, as `verify` says it;
  // it ended exec by the signal with no word.
  const { results } = await interruptible((signal) => verifyWithVault(vault, { kind: 'workflow', workflow: args.workflow }, { env: ctx.io.env, signal, ...(ms ? { timeoutMs: ms } : {}) }));
  for (const r of results) ctx.io.err(describeVerification(ctx.io, r));
  const code = verifyExitCode(results);
  if (code === EXIT.missing) throw new VaultError('CREDENTIAL_REJECTED', `Not starting: a key of the ${args.workflow} workflow was rejected by its provider (see above).`, results.map((r) => r.fix).filter(Boolean).join('\n') || 'Fix the key, then run again.');
  if (code !== EXIT.ok) throw new VaultError('PROVIDER_UNREACHABLE', `Not starting: a provider of the ${args.workflow} workflow could not confirm its key (see above).`, 'Try again later, or run without --verify.');
}

