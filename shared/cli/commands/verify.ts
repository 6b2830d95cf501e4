import { VaultError } from '../../core/errors';
import { isRejected, type VerificationResult } from '../../core/verification';
import type { VerifyTarget } from '../../node/verify/with-vault';
import { paint, type CliIO } from '../io';
import { printJson, type CliContext } from '../context';
import { interruptible } from '../signals';
import { EXIT, type ExitCode } from '../exit-codes';

/** Arguments of `cpw-vault verify`: one credential, --workflow, or --all. */
export interface VerifyArgs {
  service?: string;
  key?: string;
  workflow?: string;
  all?: boolean;
  /** Seconds per provider call (default 10). */
  timeout?: string;
}

/** 0 when every result is valid, 3 when a key is invalid or lacks access, else 5 (unreachable or rate-limited). */
export function verifyExitCode(results: readonly VerificationResult[]): ExitCode {
  if (results.some((r) => isRejected(r.result))) return EXIT.missing;
  return results.every((r) => r.result === 'valid') ? EXIT.ok : EXIT.unreachable;
}

/** Human lines for one result (shared by verify, check --verify and exec --verify). */
export function describeVerification(io: CliIO, r: VerificationResult): string {
  const p = paint(io);
  const mark = r.result === 'valid' ? p.green('✓') : isRejected(r.result) ? p.red('✗') : p.yellow('!');
  const lines = [`${mark} ${r.credential}: ${r.result}${r.result === 'valid' ? '' : ' —'} ${r.result === 'valid' ? `(${r.message})` : r.message}${r.source ? `  [${r.store === 'file' ? 'vault file' : r.source}]` : ''}`];
  if (r.fix) lines.push(`    fix: ${r.fix}`);
  for (const n of r.notes) lines.push(`    note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** Parses --timeout (seconds) into milliseconds. */
export function timeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  // Under 0.1 s it rounded to 0 ms, which the callers took for "no --timeout": the default 10 s, without a word.
  if (!Number.isFinite(s) || s < 0.1 || s > 300) throw new VaultError('INVALID_ARGUMENT', '--timeout takes a number of seconds from 0.1 to 300.', 'Example: --timeout 20');
  return Math.round(s * 1000);
}

function targetOf(args: VerifyArgs): VerifyTarget {
  const given = [args.service !== undefined, args.workflow !== undefined, !!args.all].filter(Boolean).length;
  if (given !== 1 || (args.service !== undefined && args.key === undefined)) {
    throw new VaultError('INVALID_ARGUMENT', 'verify needs exactly one of: <service> <key>, --workflow W, --all.', 'Examples: cpw-vault verify huggingface token   cpw-vault verify --workflow diarize   cpw-vault verify --all');
  }
  if (args.all) return { kind: 'all' };
  if (args.workflow !== undefined) return { kind: 'workflow', workflow: args.workflow };
  return { kind: 'credential', service: args.service!, key: args.key! };
}

/**
 * `cpw-vault verify [<service> <key> | --workflow W | --all]`: asks each
 * provider whether the key works (one cheap read-only call), records the
 * outcome in the credential's metadata and the audit log. Exit 0 all valid,
 * 3 a key is invalid or lacks access, 5 a provider could not be asked.
 */
export async function verify(args: VerifyArgs, ctx: CliContext): Promise<ExitCode> {
  const target = targetOf(args);
  const ms = timeoutMs(args.timeout);
  const vault = await ctx.vault();
  const { verifyWithVault } = await import('../../node/verify/with-vault');
  // Ctrl-C while the providers are asked: "cancelled: nothing changed" (exit 130), nothing recorded; it ended the
  // process by the signal, with no word, or waited for each provider's deadline.
  const report = await interruptible((signal) => verifyWithVault(vault, target, { env: ctx.io.env, signal, ...(ms ? { timeoutMs: ms } : {}) }));
  if (ctx.globals.json) printJson(ctx.io, report);
  else for (const r of report.results) ctx.io.out(describeVerification(ctx.io, r));
  for (const s of report.skipped) ctx.io.err(`note: ${s.credential} not verified: ${s.reason}\n`);
  if (!report.results.length && target.kind === 'all') ctx.io.err('Nothing to verify: no credential with a value. Add one with: cpw-vault set huggingface token\n');
  return verifyExitCode(report.results);
}
