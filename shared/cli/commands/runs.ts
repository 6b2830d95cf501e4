import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { shortDate, table } from '../format';
import { paint } from '../io';
import type { RunRecord } from '../../node/records/run-history';
import { runExit } from '../../core/records';

/** `cpw-vault runs [--status S] [--workflow W]`: recorded `exec` runs, newest first. */
export async function runsList(args: { status?: string; workflow?: string }, ctx: CliContext): Promise<ExitCode> {
  const runs = (await ctx.runs()).list(args);
  if (ctx.globals.json) printJson(ctx.io, { runs });
  else {
    ctx.io.out(table(['ID', 'WORKFLOW', 'PROGRAM', 'STATUS', 'EXIT', 'STARTED', 'DURATION'], runs.map(runRow)));
  }
  return EXIT.ok;
}

/**
 * A run as a row of the list. Any field may be missing or of another type (a hand-written or damaged line, an update
 * that set it so): each shows as "-" (status: "unknown"), never "undefined" or "NaN".
 */
function runRow(r: RunRecord): string[] {
  const text = (v: unknown) => (typeof v === 'string' && v ? v : '-');
  const exit = runExit(r) ?? '-';
  const duration = typeof r.duration_ms === 'number' && Number.isFinite(r.duration_ms) && r.duration_ms >= 0 ? `${(r.duration_ms / 1000).toFixed(1)}s` : '-';
  return [text(r.id), text(r.workflow), text(r.program), typeof r.status === 'string' && r.status ? r.status : 'unknown', exit, shortDate(typeof r.started_at === 'string' ? r.started_at : undefined), duration];
}

/** `cpw-vault runs show ID`. */
export async function runsShow(args: { id: string }, ctx: CliContext): Promise<ExitCode> {
  const run = (await ctx.runs()).get(args.id);
  if (ctx.globals.json) printJson(ctx.io, run);
  else {
    const rows = Object.entries(run).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') || '-' : v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)]);
    ctx.io.out(table(['FIELD', 'VALUE'], rows));
  }
  return EXIT.ok;
}

/** `cpw-vault runs delete ID`. */
export async function runsDelete(args: { id: string }, ctx: CliContext): Promise<ExitCode> {
  const history = await ctx.runs();
  const run = history.get(args.id);
  await history.delete(run.id);
  ctx.io.err(`${paint(ctx.io).green('✓')} Deleted run ${run.id}.\n`);
  return EXIT.ok;
}

/** `cpw-vault runs stats`: counts by status and workflow, success rate. */
export async function runsStats(_args: object, ctx: CliContext): Promise<ExitCode> {
  const stats = (await ctx.runs()).stats();
  if (ctx.globals.json) {
    printJson(ctx.io, stats);
    return EXIT.ok;
  }
  const rate = stats.success_rate === null ? '-' : `${(stats.success_rate * 100).toFixed(1)}%`;
  ctx.io.out(`runs: ${stats.total}   success rate: ${rate}\n`);
  ctx.io.out(table(['STATUS', 'COUNT'], Object.entries(stats.by_status).map(([s, n]) => [s, String(n)])));
  ctx.io.out(table(['WORKFLOW', 'TOTAL', 'SUCCEEDED', 'FAILED'], Object.entries(stats.by_workflow).map(([w, c]) => [w, String(c.total), String(c.succeeded), String(c.failed)])));
  return EXIT.ok;
}
