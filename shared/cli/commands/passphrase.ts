import { cancelledError, VaultError } from '../../core/errors';
import { AgentClient } from '../../node/agent/client';
import { MIN_PASSPHRASE_LENGTH } from '../../node/secrets/vault-crypto';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { askNewOrCurrent, promptSecret } from '../passphrase-input';
import { echoOffDuring } from '../echo-off';
import { abortedAfterPending, interruptible } from '../signals';
import { assertVaultExists, auditCli, vaultFilesOf } from '../vault-file';

/**
 * `cpw-vault passphrase change` (interactive only): the current passphrase
 * (verified first: a wrong one exits 1 with the file byte-identical), then
 * the new one twice (at least 12 characters, not the current one; asked
 * again when refused). Re-encrypts the identity file atomically, stops a
 * running unlock agent (the old unlock no longer counts) and audits
 * `passphrase_changed`.
 */
export async function passphraseChange(_args: object, ctx: CliContext): Promise<ExitCode> {
  // Ctrl-C during the seconds the current passphrase is checked (scrypt) ended the command by the signal itself,
  // with no word: it is now "cancelled: nothing changed" (exit 130), as at the prompts. The terminal's echo stays off
  // from the first question on: the new passphrase typed ahead during that check was shown in clear.
  return interruptible((signal) => echoOffDuring(() => changeWith(signal, ctx)));
}

async function changeWith(signal: AbortSignal, ctx: CliContext): Promise<ExitCode> {
  const stopIfAsked = async () => {
    if (await abortedAfterPending(signal)) throw cancelledError(signal.reason);
  };
  if (!ctx.io.stdinIsTTY) {
    throw new VaultError('INVALID_ARGUMENT', 'passphrase change is interactive only: it asks for the current and the new passphrase on a terminal.', 'Run it in a terminal: cpw-vault passphrase change');
  }
  const { files, socket, audit } = vaultFilesOf(ctx);
  assertVaultExists(files);
  const p = paint(ctx.io);
  const { changePassphrase, checkNewPassphrase, openIdentity } = await import('../../node/secrets/vault-admin');
  const current = await promptSecret(ctx.io, 'Current passphrase (input hidden):');
  const opened = await openIdentity(files, current);
  await stopIfAsked();
  ctx.io.err(`${p.green('✓')} Current passphrase verified.\n`);
  const next = await askNewOrCurrent(ctx.io, { message: `New passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters)`, confirm: true, validate: (v) => checkNewPassphrase(v, current) });
  await stopIfAsked();
  // Connected before the change: the agent stops by itself once it sees the new identity file, maybe before we could ask.
  const agent = await AgentClient.connect(socket).catch(() => undefined);
  ctx.io.err('Re-encrypting the identity file...\n');
  try {
    await changePassphrase(files, opened, next, { signal });
  } catch (err) {
    agent?.close();
    throw err;
  }
  // Whatever it answers (it may already be stopping), a running agent ends here: the old unlock no longer counts.
  if (agent) await agent.lock().catch(() => agent.close());
  const agentLocked = agent !== undefined;
  await auditCli(ctx, audit, { event: 'passphrase_changed', details: { agent_locked: agentLocked } });
  ctx.io.err(`${p.green('✓')} Passphrase changed: only the new one opens ${files.identity} now.\n`);
  if (agentLocked) ctx.io.err('The unlock agent was stopped; unlock again with the new passphrase: cpw-vault unlock\n');
  return EXIT.ok;
}
