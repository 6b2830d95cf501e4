import type { WorkflowStatus } from '../../core/workflows';
import { paint, type CliIO } from '../io';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';

/** Human lines for one workflow's readiness (shared by check, doctor and setup). */
export function describeStatus(io: CliIO, s: WorkflowStatus): string {
  const p = paint(io);
  const lines = [`${s.ready ? p.green('✓') : p.red('✗')} ${s.workflow}: ${s.ready ? `ready (uses ${s.uses.join(', ')})` : 'not ready'}`];
  for (const m of s.missing) lines.push(`    missing: ${m.description}`, `    fix: ${m.fix}`);
  for (const w of s.warnings) lines.push(`    ${p.yellow('warning:')} ${w}`);
  for (const n of s.notes) lines.push(`    note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `cpw-vault check <workflow> [--verify]`: readiness with fix lines,
 * verified against the keychain. Exit 0 when ready, 3 when not (4 when the
 * keychain is locked). With --verify, a ready workflow's keys are also
 * checked with their providers: 3 when one is invalid or lacks access, 5
 * when a provider cannot be asked.
 */
export async function check(args: { workflow: string; verify?: boolean; timeout?: string }, ctx: CliContext): Promise<ExitCode> {
  // Without --verify only the read side is needed (the light path runs this too).
  const vault = args.verify ? await ctx.vault() : await ctx.reader();
  const status = await vault.validateWorkflow(args.workflow, { verify: true });
  if (!status.ready || !args.verify) {
    if (ctx.globals.json) printJson(ctx.io, status);
    // The human lines go to stderr either way: a script that reads --json still shows its user the fix.
    ctx.io.err(describeStatus(ctx.io, status));
    return status.ready ? EXIT.ok : EXIT.missing;
  }
  const [{ verifyWithVault }, { describeVerification, timeoutMs, verifyExitCode }] = await Promise.all([import('../../node/verify/with-vault'), import('./verify')]);
  const ms = timeoutMs(args.timeout);
  const report = await verifyWithVault(await ctx.vault(), { kind: 'workflow', workflow: status.workflow }, { env: ctx.io.env, ...(ms ? { timeoutMs: ms } : {}) });
  const code = verifyExitCode(report.results);
  if (ctx.globals.json) printJson(ctx.io, { ...status, ready: code === EXIT.ok, verification: report.results });
  ctx.io.err(describeStatus(ctx.io, status));
  for (const r of report.results) ctx.io.err(describeVerification(ctx.io, r));
  return code;
}
