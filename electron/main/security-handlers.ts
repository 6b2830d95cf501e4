/**
 * The Security section's handlers: where the secrets live (keychain or age
 * vault file), unlock / lock through the same agent as the CLI, passphrase
 * change, backend switch, and encrypted export / import through main's own
 * file dialogs. Part of handlers.ts (split out to keep that file small):
 * arguments arrive validated (ipc-schemas.ts), no call takes a path, and an
 * import file is an opaque handle main minted for the file the user chose.
 */
import { VaultError, isVaultError, toVaultError } from '../../shared/core/errors';
import type { MigrationRequest, SecurityStatus, VaultApi } from '../../shared/core/ipc-contract';
import { registerPassphrase } from '../../shared/core/redact';
import type { KeychainStatus } from '../../shared/core/secret-store';
import { buildExport, type ExportDocument } from '../../shared/core/vault-export';
import { agentForStatus, answeringAgent, isCutOff, lockAgents, notEnded, type StoppedAgent } from '../../shared/node/agent/lock-agents';
import { AGENT_TITLE } from '../../shared/node/agent/protocol';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { startAgent } from '../../shared/node/agent/start';
import { unlockRunning } from '../../shared/node/agent/unlock-running';
import { assertExportFile, assertExportTarget, exportedCredentials, readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import { changePassphrase, checkNewPassphrase, openIdentity } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import type { Vault } from '../../shared/node/vault/vault';
import type { DialogPort } from './ports';
import { SourceRegistry } from './source-registry';
import { lockDuringSwitch } from './lock-during-switch';
import { oneAtATime } from './one-at-a-time';

/**
 * Why the agent was not stopped: one that did not answer the request to stop is said as that (not as "cannot be
 * read"); others keep their words. `done`: what did happen first (a passphrase changed), said before.
 */
function notLocked(err: unknown, done?: string): VaultError {
  const e = isVaultError(err, 'VAULT_LOCKED')
    ? new VaultError('IO_ERROR', 'The vault file was not locked: its unlock agent did not answer the request to stop (stopped, hung or refusing), and may still hold it open.', 'Run cpw-vault lock in a terminal: it ends an unlock agent that does not answer.', { cause: err })
    : toVaultError(err);
  return done ? new VaultError(e.code, `${done} ${e.message}`, e.fix, { cause: err }) : e;
}

/** An agent that did not answer and could not be ended (no /proc, another PID namespace): cut off, not gone. */
function agentLeft(done?: string): VaultError {
  const what = 'The vault file\'s unlock agent did not answer and could not be ended: nothing reads through it any more (its socket was removed), but it may hold the key in memory until its time to live.';
  return new VaultError('IO_ERROR', done ? `${done} ${what}` : what, `End it in a terminal: pgrep -a ${AGENT_TITLE}, then kill -9 that pid.`);
}

/** How long an unlock from the app lasts (the CLI's default). */
export const APP_UNLOCK_TTL_MS = 8 * 3_600_000;

/** What the Security handlers work with. */
export interface SecurityDeps {
  vault: Vault;
  dialog: DialogPort;
  env: Readonly<Record<string, string | undefined>>;
  /** The unlock agent program (dist/agent.cjs); default: beside the running bundle. */
  agentScript?: string | undefined;
  /** scrypt work factor of a new vault file (tests only; default age's 18). */
  logN?: number | undefined;
}

const NO_KEYCHAIN = new Set(['KEYCHAIN_UNAVAILABLE', 'KEYCHAIN_NO_PROVIDER', 'KEYCHAIN_NO_COLLECTION']);

type Api = Pick<VaultApi, 'securityStatus' | 'securityUnlock' | 'securityLock' | 'securityChangePassphrase' | 'securityUseBackend' | 'securityExport' | 'securityImportPick' | 'securityImportPlan' | 'securityImportApply'>;

export function securityHandlers(deps: SecurityDeps): Api {
  const { vault } = deps;
  const files = () => vaultFilesFor(vault.profilePath);
  const socket = () => agentSocketFor(files().identity, deps.env);
  const imports = new SourceRegistry();
  /** Export documents decrypted for a plan, by handle: in main's memory only, until applied. */
  const decrypted = new Map<string, ExportDocument>();
  /** Handles whose import was applied (and not planned again since): a second apply of one is said to be that. */
  const applied = new Set<string>();
  const overwrite = (o: MigrationRequest['overwrite']) => (o === 'all' ? ('all' as const) : new Set(o ?? []));

  /**
   * The unlock agent as the status card shows it: until when it keeps the vault open, or null (locked); one that is
   * there but did not answer (stopped, hung) is said as that, with its pids: "locked" told the user the key was gone
   * while a stopped process held it. Display only: the same one connect as before (an answering agent, or none, costs
   * no more), nothing ended or remembered here; the wait on a silent one is the store status's, just before (5 s).
   * One the store status found silent is taken as it found it (doctor says the same: one source for every screen).
   */
  const agentView = async (s: KeychainStatus): Promise<Pick<SecurityStatus, 'unlockedUntil' | 'agentNotAnswering'>> => {
    if (s.agentNotAnswering) return { unlockedUntil: null, agentNotAnswering: s.agentNotAnswering };
    const a = await agentForStatus(socket());
    // One that cannot be asked (an unsafe folder: the store status says why) is neither open nor locked: not said.
    if (a && 'unknown' in a) return {};
    return a && 'hello' in a ? { unlockedUntil: a.hello.expires_at } : { unlockedUntil: null, ...(a ? { agentNotAnswering: a.notAnswering } : {}) };
  };
  /** Whether the vault file may be open: an agent answered, did not, or cannot be asked. Not gated: run as a switch ends. */
  const mayBeOpen = async () => (await agentForStatus(socket())) !== undefined;
  const status = async (): Promise<SecurityStatus> => {
    const backend = vault.backend();
    const s = await vault.keychainStatus();
    const view = backend === 'file' ? await agentView(s) : {};
    // Lock's failed second round is said until the vault file it left open is found locked (the CLI, its time to live).
    const failed = await duringSwitch.failure(async () => (backend === 'file' ? view.unlockedUntil !== null || !!view.agentNotAnswering : mayBeOpen()));
    const base = { backend, ...view, ...(failed ? { lockFailed: failed } : {}) };
    if (s.ok) return { ...base, ok: true, offerFile: false };
    return { ...base, ok: false, code: s.code, message: s.message, fix: s.fix, offerFile: backend === 'keychain' && NO_KEYCHAIN.has(s.code) };
  };
  const assertFile = () => {
    if (vault.backend() !== 'file') throw new VaultError('INVALID_ARGUMENT', 'This profile keeps its secrets in the keychain, not in a vault file.', 'Switch to the vault file first (Security → Where your secrets live).');
  };
  /**
   * Stops every unlock agent of the vault file as `cpw-vault lock` does (lock-agents.ts): one that does not answer
   * (kill -STOP, hung) is ended, its key with it. True when one ran. Throws when one could not be stopped or ended,
   * `done` (what did happen first) said before why.
   */
  const endAgents = async (done?: string): Promise<boolean> => {
    let stopped: StoppedAgent[];
    try {
      stopped = await lockAgents(files().identity, socket(), () => undefined);
    } catch (err) {
      if (isVaultError(err, 'VAULT_LOCKED') && /went away/.test(err.message)) return true; // it stopped as it was asked
      throw notLocked(err, done);
    }
    if (stopped.some(notEnded)) throw agentLeft(done);
    return stopped.length > 0;
  };

  /** Lock now pressed during a backend switch: its answer, its second round as the switch ends, that round's failure. */
  const duringSwitch = lockDuringSwitch({ vault, endAgents: () => endAgents(), status: () => status(), mayBeOpen });

  /**
   * Starts the unlock agent with `passphrase` (for the app's time to live); one that runs already is kept, once the
   * passphrase opens the identity file all the same (unlock-running.ts). A wrong one throws VAULT_PASSPHRASE_WRONG,
   * an agent running or not.
   */
  const unlock = async (passphrase: string) => {
    // One that does not answer is ended and its socket removed (as cpw-vault unlock does): taken for none, its socket
    // made the new agent fail as "already running", and Unlock could not unlock until it was killed by hand.
    const running = await answeringAgent(socket(), () => undefined);
    registerPassphrase(passphrase);
    if (running && !isCutOff(running)) {
      await unlockRunning(running, files(), passphrase);
      return;
    }
    const opened = await openIdentity(files(), passphrase);
    await startAgent({ key: opened.key, files: files(), socket: socket(), ttlMs: APP_UNLOCK_TTL_MS, ...(deps.agentScript ? { agentScript: deps.agentScript } : {}) });
    await vault.recordEvent({ event: 'vault_unlocked', details: { ttl_s: APP_UNLOCK_TTL_MS / 1000 } });
  };

  return {
    securityStatus: status,
    // One at a time: a second Unlock pressed while the first starts the agent finds it running (not "already running").
    // A passphrase is kept for redaction (registerPassphrase: for the rest of the process) only once the call is about
    // to use it: kept first, every one a page made up (a handle main never minted, a cancelled dialog) grew main's
    // memory without end, and each is looked for in every message after. One checked against a vault already unlocked
    // is used (and, wrong, paid for with scrypt and its pause, as on a locked vault).
    // After a backend switch of this app in progress, as Lock: pressed while a switch to the vault file started its
    // agent, it started a second one and failed "already running". The status after, outside the wait.
    securityUnlock: oneAtATime(async ({ passphrase }: { passphrase: string }) => {
      await vault.afterSwitch(async () => {
        assertFile();
        await unlock(passphrase);
      });
      duringSwitch.settle();
      return status();
    }),
    // An agent that does not answer (kill -STOP, hung) is ended, as cpw-vault lock ends it: the app said "not locked,
    // run cpw-vault lock" while it kept the key. A folder not safe to talk through, or an agent that could not be
    // ended, is said, not shown as locked; one that is stopping by itself (its time to live) or goes away as it is
    // asked is locked. A backend switch of this app under way (a keychain prompt nobody answers, its agent slow to
    // start) is not waited for: Lock waited the gate's 30 s, then failed BACKEND_SWITCHING with the agent still running
    // and the vault file open. Every agent listening is ended at once, and again once the switch ends (the agent a
    // switch to the vault file starts: ended first, Lock missed it); the answer says so (lock-during-switch.ts).
    // Otherwise after any switch that begins meanwhile, as reads and writes; the status after, outside the wait.
    securityLock: async () => {
      duringSwitch.settle();
      const answer = await duringSwitch.lock();
      if (answer) return answer;
      if (await vault.afterSwitch(() => endAgents())) await duringSwitch.recordLocked();
      return status();
    },
    // One at a time: each call keeps its passphrases, then spends seconds of scrypt on them.
    // After a backend switch in progress, as Lock: pressed while a switch to the vault file started its agent, it ended
    // none, answered locked, and that agent kept the vault open. The status after, outside the wait.
    securityChangePassphrase: oneAtATime(async ({ current, next }: { current: string; next: string }) => {
      await vault.afterSwitch(async () => {
        assertFile();
        // Checked before scrypt: a too-short or unchanged passphrase answers at once.
        checkNewPassphrase(next, current);
        registerPassphrase(current);
        registerPassphrase(next);
        const opened = await openIdentity(files(), current);
        // The agent stops itself once it sees the identity file change, but one stopped (kill -STOP) or hung kept the
        // key in memory, and its socket made the next Unlock fail as "already running": ended here, or said.
        try {
          await changePassphrase(files(), opened, next, deps.logN ? { logN: deps.logN } : {});
        } catch (err) {
          await endAgents().catch(() => undefined);
          throw err;
        }
        // The change is audited whether or not its agent could be stopped: it happened, and the error says the rest.
        const stopping = endAgents('The passphrase was changed, but its unlock agent was not stopped.');
        const stoppedAgent = await stopping.catch(() => false);
        await vault.recordEvent({ event: 'passphrase_changed', details: { agent_locked: stoppedAgent } });
        await stopping;
      });
      return status();
    }),
    // The vault keeps the passphrase of a new vault file once its checks pass (backends.ts), before using it.
    securityUseBackend: async ({ backend, passphrase }) => {
      const from = vault.backend();
      // The passphrase just typed (twice) unlocks the vault file for the app's time, as Unlock would: it was left
      // locked, and its card asked for the passphrase a third time with a CLI step (cpw-vault unlock). Unlocked within
      // the switch: the calls that arrive meanwhile wait for both, and are not answered "locked" in between. Not when
      // Lock now was pressed meanwhile: the switch leaves the vault file locked, as Lock answered (an agent already
      // starting is ended by Lock's second round, as the switch ends). Away from it, its agents are ended within it too.
      const locks = duringSwitch.pressed();
      const unlocked = backend === 'file' && passphrase !== undefined ? async () => {
        if (locks === duringSwitch.pressed()) await unlock(passphrase);
      } : undefined;
      // Its lock is audited, as Lock's (lock-during-switch.ts): the agent it read through, open as it began, ends with it.
      const locked = from === 'file' ? duringSwitch.switchingAway(!!(await agentForStatus(socket()).then((a) => a && 'hello' in a))) : undefined;
      const ended = locked && (async () => locked(await endAgents(`Your secrets were moved to the ${backend}, but the vault file's unlock agent was not stopped.`)));
      try {
        const result = await vault.useBackend(backend, { ...(passphrase !== undefined ? { passphrase } : {}), ...(deps.logN ? { logN: deps.logN } : {}) }, unlocked ?? ended);
        return { moved: result.moved, status: await status() };
      } catch (err) {
        // Locked meanwhile (Lock now) before the switch away from it had read it: the move stopped before writing.
        if (from !== 'file' || locks === duringSwitch.pressed() || !isVaultError(err, 'VAULT_LOCKED')) throw err;
        throw new VaultError('VAULT_LOCKED', `The switch to the ${backend} stopped: the vault file was locked (Lock now) before the switch had read your secrets from it. Nothing was moved: they stay in the vault file.`, 'Unlock the vault file, then switch again.', { cause: err });
      }
    },
    securityExport: async ({ passphrase }) => {
      checkNewPassphrase(passphrase);
      const target = await deps.dialog.chooseExportTarget();
      if (!target) return null;
      registerPassphrase(passphrase);
      // A file there (an export never replaces one), a link, another user's folder: said before the values are read and
      // the seconds of scrypt, as the CLI says it before its questions.
      assertExportTarget(target);
      // As the CLI's export: storage names the backend ("file"), and the values come in one batch (one at a time, the
      // vault file was decrypted whole for each). One listed without a value is left out, and said, as the CLI says it:
      // dropped here, the user was told "Exported 2 credential(s)" and never learnt the third was not in their backup.
      const warnings: string[] = [];
      const credentials = await exportedCredentials(vault, (m) => warnings.push(m));
      await writeExportFile(target, buildExport(credentials, new Date()), passphrase, deps.logN ? { logN: deps.logN } : {});
      await vault.recordEvent({ event: 'credentials_exported', details: { count: credentials.length, file: target } });
      return { file: target, count: credentials.length, warnings };
    },
    securityImportPick: async () => {
      const path = await deps.dialog.chooseExportFile();
      if (!path) return null;
      const own = vault.ownFiles;
      if (path === own.profile || path.startsWith(`${own.profile}.`)) throw new VaultError('INVALID_ARGUMENT', `${path} is one of cpw-vault's own files, not an export.`, 'Choose a file written by cpw-vault export.');
      // A link, a folder, a FIFO or a file over the limit is said now, as the CLI's import says it: not after the
      // passphrase was typed and "Show the plan" pressed.
      assertExportFile(path);
      return imports.grant(path, 'picked');
    },
    // One at a time: each call keeps its passphrase, then spends seconds of scrypt on it.
    securityImportPlan: oneAtATime(async ({ source, passphrase, overwrite: o }: { source: string; passphrase: string; overwrite?: MigrationRequest['overwrite'] }) => {
      const picked = imports.resolve(source);
      registerPassphrase(passphrase);
      let doc: ExportDocument;
      try {
        doc = await readExportFile(picked.path, passphrase);
      } catch (err) {
        if (isVaultError(err)) decrypted.delete(source);
        throw err;
      }
      decrypted.set(source, doc);
      applied.delete(source);
      return { source: picked, plan: await vault.planImport(doc, picked.path, { overwrite: overwrite(o) }) };
    }),
    // One at a time: the same reviewed import fired twice at once (a hostile page) was planned by both before either
    // wrote, so both wrote it, both answered "imported" and both were audited; queued, the later one is refused.
    securityImportApply: oneAtATime(async ({ source, overwrite: o }: { source: string; overwrite?: MigrationRequest['overwrite'] }) => {
      const picked = imports.resolve(source);
      const doc = decrypted.get(source);
      if (!doc && applied.has(source)) throw new VaultError('INVALID_ARGUMENT', `The import of ${picked.path} was already applied; nothing more was changed.`, 'Choose the file again to review a new plan.');
      if (!doc) throw new VaultError('INVALID_ARGUMENT', 'Open the export file first: its plan has not been shown.', 'Choose the file, type its passphrase, and review the plan.');
      const plan = await vault.planImport(doc, picked.path, { overwrite: overwrite(o) });
      const result = await vault.applyImport(doc, plan);
      decrypted.delete(source);
      applied.add(source);
      return result;
    }),
  };
}
