import { existsSync } from 'node:fs';
import { VaultError } from '../../core/errors';
import { agreeing, counted } from '../../core/plural';
import { AgentClient } from '../../node/agent/client';
import { socketDirRefusal } from '../../node/agent/socket-dir';
import { refuseExistingVaultFile, type MovePhase } from '../../node/credentials/backend-move';
import { MIN_PASSPHRASE_LENGTH } from '../../node/secrets/vault-crypto';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { withProfileOption } from '../profile-hint';
import { passphraseGiven, readPassphrase, type PassphraseSource } from '../passphrase-input';
import { echoOffDuring } from '../echo-off';
import { interruptible } from '../signals';
import { vaultFilesOf } from '../vault-file';
import { USE_FILE, offersFileBackend, stepsFitting, unlockStep, useFileSteps } from '../file-offer';
import { agentOfStatus, agentTrouble } from '../agent-state';
import { shownText } from '../../core/control-chars';

const NAMES: Record<string, string> = { keychain: 'the OS keychain', file: 'the age vault file' };

/**
 * `cpw-vault backend`: where this profile's secrets live (keychain or age
 * vault file), whether that backend can be used now, and how to switch.
 */
export async function backendShow(_args: object, ctx: CliContext): Promise<ExitCode> {
  const vault = await ctx.vault();
  const backend = vault.backend();
  const status = await vault.keychainStatus();
  const { files, socket } = vaultFilesOf(ctx);
  // An agent there that did not answer (stopped, hung) is said as that: "locked: no unlock agent runs" hid that a
  // stopped process may still hold the key, and that cpw-vault lock ends it.
  // The store's status found it first (one attempt, its state): taken as found, as the app's doctor and Security take it.
  const found = backend === 'file' ? await agentOfStatus(status, socket) : undefined;
  const agent = found && 'hello' in found ? { pid: found.hello.pid, expires_at: found.hello.expires_at } : undefined;
  const silent = found && 'notAnswering' in found ? found.notAnswering : undefined;
  // An agent that cannot be asked (its folder not safe to talk through) is not "none": "locked: no unlock agent runs"
  // stood under the status's own refusal, while an agent may serve the key there.
  const unknown = found && 'unknown' in found ? found.unknown : undefined;
  if (ctx.globals.json) {
    const agentJson = unknown ? { agent_unknown: { code: unknown.code, message: unknown.message } } : { agent: agent ?? null, ...(silent ? { agent_not_answering: silent } : {}) };
    printJson(ctx.io, { backend, status, ...(backend === 'file' ? { files: { vault: files.vault, identity: files.identity }, ...agentJson } : {}) });
    return status.ok ? EXIT.ok : EXIT.keychain;
  }
  const p = paint(ctx.io);
  // Human lines on stdout that suggest commands: they name the --profile given, as stderr's do.
  const say = (text: string) => ctx.io.out(withProfileOption(text, ctx.globals.profile));
  say(`backend: ${backend} (${NAMES[backend] ?? backend})\n`);
  say(`${status.ok ? p.green('✓') : p.red('✗')} ${status.backend}${status.ok ? '' : `\n    ${status.code} ${status.message}\n    fix: ${stepsFitting(status.fix, ctx.io.stdinIsTTY)}`}\n`);
  if (backend === 'file') {
    say(`vault file: ${files.vault}${existsSync(files.vault) ? '' : ' (missing)'}\nidentity:   ${files.identity}${existsSync(files.identity) ? '' : ' (missing)'}\n`);
    const trouble = agentTrouble(found, status);
    say(`${trouble ?? (agent ? `unlocked by agent pid ${agent.pid} until ${agent.expires_at}` : 'locked: no unlock agent runs (cpw-vault unlock)')}\n`);
    say('Switch back with: cpw-vault backend use keychain\n');
  } else {
    say(`On a host without a keychain (SSH, containers, CI): ${useFileSteps(ctx.io.stdinIsTTY)}\n`);
  }
  // As doctor: the backend in use cannot be used right now (a locked or unreachable keychain, a locked vault file): exit 4, so a script can tell.
  return status.ok ? EXIT.ok : EXIT.keychain;
}

export interface BackendUseArgs extends PassphraseSource {
  backend: string;
}

const PHASES: Record<MovePhase, string> = {
  reading: 'Reading the secrets',
  writing: 'Writing them to the new backend',
  verifying: 'Reading them back',
  switching: 'Switching the profile',
  cleaning: 'Removing them from the old backend',
};

/**
 * `cpw-vault backend use file|keychain`: moves every secret to the other
 * backend with read-back verification, all or nothing, and records the
 * choice in the profile; says what it moved. To the file backend it asks
 * the new vault's passphrase twice (or --passphrase-file / --passphrase-fd);
 * from it, the vault is opened through the agent, a passphrase source, or
 * one hidden question, and the agent is stopped afterwards. Ctrl-C before
 * the switch: `cancelled: nothing changed` (exit 130).
 */
export async function backendUse(args: BackendUseArgs, ctx: CliContext): Promise<ExitCode> {
  if (args.backend !== 'file' && args.backend !== 'keychain') {
    throw new VaultError('INVALID_ARGUMENT', `"${shownText(args.backend, 40)}" is not a backend.`, 'Choose one of: cpw-vault backend use keychain, cpw-vault backend use file');
  }
  // The terminal's echo off throughout: nothing typed while a passphrase is checked or the secrets move is shown.
  return interruptible((signal) => echoOffDuring(() => moveTo(args, ctx, signal)));
}

async function moveTo(args: BackendUseArgs, ctx: CliContext, signal: AbortSignal): Promise<ExitCode> {
  const vault = await ctx.vault();
  const from = vault.backend();
  if (from === args.backend) throw new VaultError('INVALID_ARGUMENT', `This profile already keeps its secrets in ${NAMES[from]}; nothing changed.`, 'See where they are with: cpw-vault backend');
  // Another shell's switch under way: said before any question, never as vault files "already there" to move away.
  vault.assertNoSwitchRunning();
  const { files, socket } = vaultFilesOf(ctx);
  const p = paint(ctx.io);
  let passphrase: string | undefined;
  let sourceKey: { identity: string; recipient: string } | undefined;
  if (args.backend === 'file') {
    // Before the passphrase is asked (a link too, dangling or not); the move checks again under the lock.
    for (const f of [files.identity, files.vault]) refuseExistingVaultFile(f);
    // Secrets in a keychain this host has none of (a profile carried to a GPU server): said before the passphrase is
    // asked, and never with the offer of this very command (reportError adds it to a "no keychain" fix). A keychain
    // that is there but locked is left to the reads below, which show its unlock dialog where there is a display.
    const listed = from === 'keychain' ? vault.listCredentials().filter((c) => c.secret && c.stored).length : 0;
    const status = listed ? await vault.keychainStatus() : undefined;
    if (status && !status.ok && offersFileBackend(status)) {
      const elsewhere = `This profile lists ${counted(listed, 'secret')} kept in the OS keychain, which ${USE_FILE} must read first. On the machine whose keychain holds ${agreeing(listed, 'it', 'them')}: cpw-vault export --to vault.age; then here, with a profile of its own (--profile, or this one moved aside): ${USE_FILE}, cpw-vault unlock, cpw-vault import vault.age`;
      throw new VaultError(status.code, `${status.message} Nothing was moved.`, `${status.fix}\n${elsewhere}`);
    }
    const { checkNewPassphrase } = await import('../../node/secrets/vault-admin');
    if (ctx.io.stdinIsTTY && !passphraseGiven(args)) {
      ctx.io.err(`The vault file ${files.vault} will be encrypted with a passphrase of your choice.\nWithout it nobody (you included) can read the secrets: keep it somewhere safe.\n`);
    }
    passphrase = await readPassphrase(args, ctx.io, { message: `New vault passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters)`, command: 'cpw-vault backend use file', confirm: true, validate: (v) => checkNewPassphrase(v) });
  } else {
    // No passphrase asked for a move that cannot be made: a keychain this host lacks, or one locked or hung.
    await vault.assertKeychainUsable();
  }
  if (args.backend === 'keychain' && passphraseGiven(args)) {
    const { openIdentity } = await import('../../node/secrets/vault-admin');
    sourceKey = (await openIdentity(files, await readPassphrase(args, ctx.io, { message: 'Passphrase of the vault file', command: 'cpw-vault backend use keychain' }))).key;
  }
  // Connected before the move: the agent stops by itself once the vault files go, maybe before we could ask.
  const agent = from === 'file' ? await AgentClient.connect(socket).catch(() => undefined) : undefined;
  const result = await vault.useBackend(args.backend, {
    signal,
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(sourceKey ? { sourceKey } : {}),
    onPhase: (phase, count) => {
      if (!ctx.globals.json && (count || phase === 'switching')) ctx.io.err(`${PHASES[phase]}${count ? ` (${count})` : ''}...\n`);
    },
  }).catch((err: unknown) => {
    agent?.close();
    throw err;
  });
  // The vault file is gone: an agent still holding its key has nothing left to serve (whatever it answers, it ends here).
  // Audited as the lock it is, as `lock` and the app's switch audit theirs: the log showed the vault file never locked.
  if (agent) await agent.lock().catch(() => agent.close()).then(() => vault.recordEvent({ event: 'vault_locked' }));
  const agentStopped = agent !== undefined;
  if (ctx.globals.json) {
    printJson(ctx.io, { ...result, agent_stopped: agentStopped });
    return EXIT.ok;
  }
  const list = result.moved.length ? `: ${result.moved.join(', ')}` : '';
  ctx.io.err(`${p.green('✓')} Moved ${counted(result.moved.length, 'credential')} from ${NAMES[from]} to ${NAMES[args.backend]}${list}.${result.moved.length ? ` ${agreeing(result.moved.length, 'It', 'Each')} was read back before the switch.` : ''}\n`);
  for (const id of result.missing) ctx.io.err(`${p.yellow('!')} ${id} is listed but had no stored value; nothing to move.\n`);
  // Switched, but the old backend kept its copies (it stopped answering while they were removed): said, never "nothing was left".
  const left = result.source_left;
  if (left) {
    ctx.io.err(`${p.yellow('!')} The copies in ${NAMES[from]} could not be removed yet (${left.code}): ${left.message}\n    fix: Until then ${NAMES[from]} holds them too. Once it answers, remove them: cpw-vault doctor --repair\n`);
  }
  if (args.backend === 'file') {
    // No "Next: unlock" where no agent may listen (TMPDIR or XDG_RUNTIME_DIR others can change): that unlock can only
    // refuse; the refusal's fix is the next step. Only a hint after a switch that is done: a folder it cannot even look
    // at is for `unlock` to report, never a failure here.
    let refusal: VaultError | undefined;
    try {
      refusal = socketDirRefusal(socket.dir);
    } catch {
      refusal = undefined;
    }
    const next = refusal ? `No unlock agent may run here (without one, pipelines cannot read the vault file; a terminal asks the passphrase): ${refusal.message}\nfix: ${refusal.fix}` : `Next: ${unlockStep(ctx.io.stdinIsTTY)}   (once per session; pipelines then read without asking)`;
    ctx.io.err(`The profile now uses ${files.vault} (0600).${left ? '' : ' Nothing was left in the keychain.'}\n${next}\n`);
  } else {
    ctx.io.err(`The profile now uses the keychain${left ? '' : '; the vault files were removed'}.${agentStopped ? ' The unlock agent was stopped.' : ''}\n`);
  }
  return EXIT.ok;
}
