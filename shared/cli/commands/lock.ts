import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { answeringAgent, isCutOff, auditCli, vaultFilesOf } from '../vault-file';

/**
 * `cpw-vault lock`: stops the unlock agent of this profile's vault, so the
 * next read needs the passphrase again. Exit 0 whether or not one ran.
 */
export async function lock(_args: object, ctx: CliContext): Promise<ExitCode> {
  const { socket, audit } = vaultFilesOf(ctx);
  const agent = await answeringAgent(ctx, socket);
  if (isCutOff(agent) || !agent) {
    // An agent that did not answer was ended and its socket removed (answeringAgent warned): locked, though not "nothing to lock".
    const silent = isCutOff(agent);
    if (ctx.globals.json) printJson(ctx.io, { locked: true, was_running: silent, ...(agent?.ended ? { pid: agent.ended } : {}) });
    if (silent) await auditCli(ctx, audit, { event: 'vault_locked' });
    const done = `${paint(ctx.io).green('✓')} Locked:`;
    ctx.io.err(!silent ? 'Nothing to lock: no unlock agent is running for this vault.\n' : agent.ended ? `${done} the unlock agent (pid ${agent.ended}) has been ended.\n` : `${done} no read can reach that agent any more.\n`);
    return EXIT.ok;
  }
  const pid = agent.hello.pid;
  await agent.lock();
  await auditCli(ctx, audit, { event: 'vault_locked' });
  if (ctx.globals.json) printJson(ctx.io, { locked: true, was_running: true, pid });
  ctx.io.err(`${paint(ctx.io).green('✓')} Locked: the unlock agent (pid ${pid}) has stopped.\n`);
  return EXIT.ok;
}
