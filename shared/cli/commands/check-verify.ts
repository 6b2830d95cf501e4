import { isVaultError } from '../../core/errors';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes';
import { printJson, type CliContext } from '../context';
import { interruptible } from '../signals';
import { check, describeStatus, namedDefault } from './check';

/**
 * `cpw-vault check <workflow> --verify`: readiness, then a ready workflow's
 * keys checked with their providers: 3 when one is invalid or lacks access,
 * 5 when a provider cannot be asked. Its own module so the light bundle that
 * runs plain `check` never carries the HTTP client.
 */
export async function checkVerify(given: { workflow?: string | undefined; timeout?: string | undefined }, ctx: CliContext): Promise<ExitCode> {
  const vault = await ctx.vault();
  const args = { ...given, workflow: given.workflow ?? namedDefault(ctx, vault.defaultWorkflow()) };
  // A store that cannot be read (a locked vault file, a locked or hung keychain): check says readiness is unknown (exit 4,
  // `? W: unknown: ...`, the store in the --json document), as without --verify, not an error of its own.
  const status = await vault.validateWorkflow(args.workflow, { verify: true }).catch((err: unknown) => {
    if (isVaultError(err) && exitCodeFor(err) === EXIT.keychain) return undefined;
    throw err;
  });
  if (!status?.ready) return check(args, ctx);
  const [{ verifyWithVault }, { describeVerification, timeoutMs, verifyExitCode }] = await Promise.all([import('../../node/verify/with-vault'), import('./verify')]);
  const ms = timeoutMs(args.timeout);
  // Ctrl-C while the providers are asked: "cancelled: nothing changed" (exit 130), as `verify` says it.
  const report = await interruptible((signal) => verifyWithVault(vault, { kind: 'workflow', workflow: status.workflow }, { env: ctx.io.env, signal, ...(ms ? { timeoutMs: ms } : {}) }));
  const code = verifyExitCode(report.results);
  if (ctx.globals.json) printJson(ctx.io, { ...status, ready: code === EXIT.ok, verification: report.results });
  ctx.io.err(describeStatus(ctx.io, status));
  for (const r of report.results) ctx.io.err(describeVerification(ctx.io, r));
  return code;
}
