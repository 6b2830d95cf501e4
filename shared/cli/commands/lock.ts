import { removeDeadSocket } from '../../node/agent/dead-socket';
import { lockAgents } from '../../node/agent/lock-agents';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { auditCli, vaultFilesOf } from '../vault-file';

/**
 * `cpw-vault lock`: stops the unlock agent of this profile's vault, so the
 * next read needs the passphrase again, wherever it listens: the folder this
 * shell's XDG_RUNTIME_DIR / TMPDIR names, and any other folder an agent of
 * this vault (this user's) listens in, started from a shell with another
 * one. Exit 0 whether or not one ran.
 */
export async function lock(_args: object, ctx: CliContext): Promise<ExitCode> {
  const { files, socket, audit } = vaultFilesOf(ctx);
  const stopped = await lockAgents(files.identity, socket, (line) => ctx.io.err(line));
  // Only in this shell's own folder: a dead agent's socket elsewhere is not found (no process holds it to tell it is ours).
  const removed = !stopped.some((a) => a.where === socket.dir) && (await removeDeadSocket(socket)) ? socket.path : undefined;
  if (stopped.length) await auditCli(ctx, audit, { event: 'vault_locked' });
  if (ctx.globals.json) printJson(ctx.io, { locked: true, was_running: stopped.length > 0, ...(stopped[0]?.pids.length ? { pid: stopped[0].pids[0] } : {}), ...(removed ? { removed_socket: removed } : {}) });
  const done = `${paint(ctx.io).green('✓')} Locked:`;
  // One sentence when a dead agent's socket was removed: "Nothing to lock" above "Removed ..." read as a contradiction.
  if (removed) ctx.io.err(`No unlock agent was running for this vault; removed ${removed}, the socket one left when it ended without removing it (killed?): nothing listened on it.\n`);
  else if (!stopped.length) ctx.io.err('Nothing to lock: no unlock agent is running for this vault.\n');
  for (const a of stopped) {
    const elsewhere = a.where === socket.dir ? '' : ` (listening in ${a.where}, started under another TMPDIR or XDG_RUNTIME_DIR)`;
    const pid = `pid ${a.pids.join(', ')}`;
    if (a.stopping) ctx.io.err(`${done} the unlock agent${a.pids.length ? ` (${pid})` : ''}${elsewhere} was stopping (${a.stopping}) and ${a.pids.length ? 'has stopped' : 'takes no more requests'}.\n`);
    else if (a.answered) ctx.io.err(`${done} the unlock agent (${pid})${elsewhere} has stopped.\n`);
    else ctx.io.err(a.pids.length ? `${done} the unlock agent (${pid})${elsewhere} has been ended.\n` : `${done} no read can reach that agent any more.\n`);
  }
  return EXIT.ok;
}
