import { isVaultError } from '../../core/errors';
import type { KeychainStatus } from '../../core/secret-store';
import { unknownStatus, type WorkflowStatus } from '../../core/workflows';
import { paint, type CliIO } from '../io';
import { printJson, type CliContext } from '../context';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes';
import { indentedStatusFix } from '../file-offer';

/** Human lines for one workflow's readiness (shared by check, doctor and setup). */
export function describeStatus(io: CliIO, s: WorkflowStatus): string {
  const p = paint(io);
  if (s.unknown) return `${p.yellow('?')} ${s.workflow}: unknown: ${s.unknown}\n`;
  const lines = [`${s.ready ? p.green('✓') : p.red('✗')} ${s.workflow}: ${s.ready ? `ready (uses ${s.uses.join(', ')})` : 'not ready'}`];
  for (const m of s.missing) lines.push(`    missing: ${m.description}`, `    fix: ${m.fix}`);
  for (const w of s.warnings) lines.push(`    ${p.yellow('warning:')} ${w}`);
  for (const n of s.notes) lines.push(`    note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** The default workflow, for a check that names none: said on stderr, so the answer is never mistaken for another workflow's. */
export function namedDefault(ctx: CliContext, workflow: string): string {
  ctx.io.err(`(your default workflow, ${workflow}; another: cpw-vault check <workflow>)\n`);
  return workflow;
}

/**
 * `cpw-vault check [workflow]`: readiness with fix lines, verified against
 * the keychain. No workflow: the default one the user chose (setup, the
 * app's Profile, `profile prefs set default_workflow=...`). Exit 0 when ready, 3 when not (4 when the keychain is
 * locked). Only the read side is needed (the light bundle runs it too);
 * `--verify` is check-verify.ts.
 */
export async function check(given: { workflow?: string | undefined }, ctx: CliContext): Promise<ExitCode> {
  const reader = await ctx.reader();
  const args = { workflow: given.workflow ?? namedDefault(ctx, reader.defaultWorkflow()) };
  let status: WorkflowStatus;
  let keychain: KeychainStatus | undefined;
  try {
    status = await reader.validateWorkflow(args.workflow, { verify: true });
    // "Missing" only when the store was asked: a locked, unreachable or hung keychain makes readiness unknown (exit 4).
    keychain = status.ready ? undefined : await reader.keychainStatus();
  } catch (err) {
    // A stored credential's read hit the store's own problem (locked, unreachable): readiness is unknown, as when
    // nothing was stored, not an error document. A refusal of one item (KEYCHAIN_DENIED) leaves the store "ok": thrown.
    if (!isVaultError(err) || exitCodeFor(err) !== EXIT.keychain) throw err;
    keychain = await reader.keychainStatus();
    if (keychain.ok) throw err;
    status = await reader.validateWorkflow(args.workflow);
  }
  if (keychain && !keychain.ok) status = unknownStatus(status, keychain.code);
  if (ctx.globals.json) printJson(ctx.io, keychain && !keychain.ok ? { ...status, keychain } : status);
  // The human lines go to stderr either way: a script that reads --json still shows its user the fix.
  ctx.io.err(describeStatus(ctx.io, status));
  if (keychain && !keychain.ok) {
    ctx.io.err(`    ${keychain.code} ${keychain.message}\n    fix: ${indentedStatusFix(keychain.code, keychain.fix, ctx.io.stdinIsTTY)}\n`);
    return EXIT.keychain;
  }
  return status.ready ? EXIT.ok : EXIT.missing;
}
