import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { answeringAgent, auditCli, vaultFilesOf } from '../vault-file';

/**
 * `cpw-vault lock`: stops the unlock agent of this profile's vault, so the
 * next read needs the passphrase again. Exit 0 whether or not one ran.
 */
export async function lock(_args: object, ctx: CliContext): Promise<ExitCode> {
  const { socket, audit } = vaultFilesOf(ctx);
  const agent = await answeringAgent(ctx, socket);
  if (!agent) {
    if (ctx.globals.json) printJson(ctx.io, { locked: true, was_running: false });
    ctx.io.err('Nothing to lock: no unlock agent is running for this vault.\n');
    return EXIT.ok;
  }
  const pid = agent.hello.pid;
  await agent.lock();
  await auditCli(ctx, audit, { event: 'vault_locked' });
  if (ctx.globals.json) printJson(ctx.io, { locked: true, was_running: true, pid });
  ctx.io.err(`${paint(ctx.io).green('✓')} Locked: the unlock agent (pid ${pid}) has stopped.\n`);
  return EXIT.ok;
}
