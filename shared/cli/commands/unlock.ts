import { formatDuration, parseDuration } from '../../core/duration';
import { cancelledError } from '../../core/errors';
import { echoOffDuring } from '../echo-off';
import { abortedAfterPending, interruptible } from '../signals';
import { socketDirRefusal } from '../../node/agent/socket-dir';
import { readPrivateFile } from '../../node/secrets/durable-file';
import type { AgentClient } from '../../node/agent/client';
import { startAgent } from '../../node/agent/start';
import type { VaultFiles } from '../../node/secrets/vault-files';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { passphraseGiven, readPassphrase, type PassphraseSource } from '../passphrase-input';
import { answeringAgent, isCutOff, assertVaultExists, auditCli, vaultFilesOf } from '../vault-file';

export interface UnlockArgs extends PassphraseSource {
  ttl?: string;
}

/** Default time an unlock lasts. */
export const DEFAULT_TTL = '8h';

/**
 * `cpw-vault unlock [--ttl 8h]`: asks the vault passphrase (hidden prompt,
 * or --passphrase-fd / --passphrase-file), opens the identity file (the one
 * scrypt), and starts the unlock agent that serves it until the TTL,
 * `cpw-vault lock`, or a passphrase change. An agent already running is
 * reported and left alone: nothing is asked, but a passphrase given on a
 * descriptor or in a file is checked (a wrong one: VAULT_PASSPHRASE_WRONG).
 */
export async function unlock(args: UnlockArgs, ctx: CliContext): Promise<ExitCode> {
  // Ctrl-C during the seconds the passphrase is checked (scrypt) ended the command by the signal, with no word:
  // it is "cancelled: nothing changed" (exit 130), no agent started, as in passphrase change. What is typed meanwhile
  // is not shown (the terminal's echo stays off: see echo-off.ts).
  return interruptible((signal) => echoOffDuring(() => unlockWith(signal, args, ctx)));
}

async function unlockWith(signal: AbortSignal, args: UnlockArgs, ctx: CliContext): Promise<ExitCode> {
  const ttlMs = parseDuration(args.ttl ?? DEFAULT_TTL);
  const { files, socket, audit } = vaultFilesOf(ctx);
  const p = paint(ctx.io);
  const found = await answeringAgent(ctx, socket);
  const running = isCutOff(found) ? undefined : found;
  if (running) return alreadyUnlocked(signal, running, files, args, ctx);
  assertVaultExists(files);
  // The vault file as every read will check it (a link, a FIFO, one others can write: refused with the fix), before the
  // passphrase: only its existence was checked, and "✓ Unlocked" started an agent through which every read then failed.
  readPrivateFile(files.vault);
  // The folder the agent would listen in, before the passphrase: refused after it, the user had typed it (or a
  // pipeline's descriptor was read) and waited out scrypt for nothing, and a wrong one hid the real trouble.
  const refusal = socketDirRefusal(socket.dir);
  if (refusal) throw refusal;
  if (ctx.io.stdinIsTTY && !passphraseGiven(args)) ctx.io.err(`Unlocking ${files.vault}\n`);
  const passphrase = await readPassphrase(args, ctx.io, { message: 'Passphrase of the vault file' });
  const { openIdentity } = await import('../../node/secrets/vault-admin');
  const opened = await openIdentity(files, passphrase);
  if (await abortedAfterPending(signal)) throw cancelledError(signal.reason);
  const { pid, expiresAt } = await startAgent({ key: opened.key, files, socket, ttlMs });
  await auditCli(ctx, audit, { event: 'vault_unlocked', details: { ttl_s: Math.round(ttlMs / 1000) } });
  if (ctx.globals.json) printJson(ctx.io, { unlocked: true, already: false, pid, expires_at: expiresAt.toISOString() });
  ctx.io.err(`${p.green('✓')} Unlocked for ${formatDuration(ttlMs)} (until ${expiresAt.toISOString()}), agent pid ${pid}. Lock it again with: cpw-vault lock\n`);
  return EXIT.ok;
}

/**
 * An agent serves the vault file already: it is kept as it is. A passphrase given (--passphrase-fd, --passphrase-file)
 * is checked first, as a locked vault checks it (unlock-running.ts): unread, a pipeline with the wrong passphrase file
 * passed its unlock step ("Already unlocked", exit 0). On a terminal nothing is asked: there is no passphrase to judge.
 */
async function alreadyUnlocked(signal: AbortSignal, running: AgentClient, files: VaultFiles, args: UnlockArgs, ctx: CliContext): Promise<ExitCode> {
  if (!passphraseGiven(args)) running.close();
  else {
    const passphrase = await readPassphrase(args, ctx.io, { message: 'Passphrase of the vault file' });
    const { unlockRunning } = await import('../../node/agent/unlock-running');
    await unlockRunning(running, files, passphrase);
    if (await abortedAfterPending(signal)) throw cancelledError(signal.reason);
  }
  const { pid, expires_at } = running.hello;
  if (ctx.globals.json) printJson(ctx.io, { unlocked: true, already: true, pid, expires_at });
  ctx.io.err(`Already unlocked: agent pid ${pid}, until ${expires_at}. To change its time to live: cpw-vault lock, then unlock again.\n`);
  return EXIT.ok;
}
