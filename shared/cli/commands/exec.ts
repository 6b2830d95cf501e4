import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import type { RunHistory, RunRecord } from '../../node/records/run-history';
import type { CliContext } from '../context';
import type { ExitCode } from '../exit-codes';

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export interface ExecArgs {
  workflow: string;
  command: string[];
  history?: boolean;
}

/**
 * `cpw-vault exec --workflow W -- cmd args...`: runs the command with the
 * workflow's credentials (every alias) in its environment — never on its
 * command line. Refuses to start (exit 3) when the workflow is not ready.
 * Forwards signals, returns the child's exit code (128+n when it died of
 * signal n), and records the run unless --no-history.
 */
export async function exec(args: ExecArgs, ctx: CliContext): Promise<number> {
  const vault = await ctx.vault();
  const status = await vault.validateWorkflow(args.workflow, { verify: true });
  const vars = await vault.workflowEnv(args.workflow); // throws WORKFLOW_NOT_READY (exit 3) before anything starts
  const history = args.history === false ? undefined : await ctx.runs();
  const [program, ...rest] = args.command as [string, ...string[]];
  const run = await history?.start({ workflow: args.workflow, program: basename(program), credentials: status.uses }, new Date());
  const code = await runChild(program, rest, { ...ctx.io.env, ...vars }, ctx, history, run);
  return code as ExitCode;
}

function runChild(program: string, rest: string[], env: Record<string, string | undefined>, ctx: CliContext, history: RunHistory | undefined, run: RunRecord | undefined): Promise<number> {
  // History updates run one after another, so "running" can never land after "succeeded".
  let updates: Promise<void> = Promise.resolve();
  const record = (patch: Partial<RunRecord>) => {
    if (!history || !run) return;
    updates = updates.then(() => history.update(run.id, patch)).catch((err: Error) => ctx.io.err(`warning: could not record the run: ${err.message}\n`));
  };
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(program, rest, { stdio: 'inherit', env: env as NodeJS.ProcessEnv });
    const forward = (signal: NodeJS.Signals) => {
      // A terminal's Ctrl-C already reaches the child (same process group): do not send it twice.
      if (signal === 'SIGINT' && ctx.io.stdinIsTTY) return;
      child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const finish = (code: number, signal: NodeJS.Signals | null) => {
      for (const s of FORWARDED) process.off(s, forward);
      record({ status: code === 0 ? 'succeeded' : 'failed', exit_code: code, signal, finished_at: new Date().toISOString(), duration_ms: Date.now() - started });
      void updates.then(() => resolve(code));
    };
    child.once('spawn', () => record({ status: 'running' }));
    child.once('error', (err: NodeJS.ErrnoException) => {
      ctx.io.err(`error: cannot start ${basename(program)}: ${err.code === 'ENOENT' ? 'command not found' : err.code ?? err.message}\n`);
      finish(err.code === 'ENOENT' ? 127 : 126, null);
    });
    child.once('exit', (code, signal) => finish(code ?? 128 + (signal ? constants.signals[signal] : 0), signal));
  });
}
