/**
 * Lock now pressed while a backend switch of this app is under way (security-handlers.ts): it ends every unlock agent
 * listening at once, answers at once, and locks again once the switch ends (the agent a switch to the vault file
 * starts). Kept here: what those Locks leave for the switch and for the status after it.
 */
import { VaultError, toVaultError, type VaultErrorJSON } from '../../shared/core/errors';
import type { SecurityStatus } from '../../shared/core/ipc-contract';
import type { Vault } from '../../shared/node/vault/vault';

/** What Lock during a switch needs from the Security handlers. */
export interface LockDuringSwitchDeps {
  vault: Vault;
  /** Stops every unlock agent of the vault file; true when one ran (security-handlers.ts endAgents). */
  endAgents: () => Promise<boolean>;
  /** The Security status as it is now. */
  status: () => Promise<SecurityStatus>;
  /** Whether the vault file may be open now, as its status would show it: an agent answered, did not, or cannot be asked. */
  mayBeOpen: () => Promise<boolean>;
}

/** Lock's second round failed: said as what the user pressed, then why (a new VaultError: redacted as every one is). */
function secondRoundFailed(err: unknown): VaultErrorJSON {
  const e = toVaultError(err);
  return new VaultError(e.code, `Lock now, pressed during the switch of where your secrets live, was done again as the switch ended, and that failed: ${e.message}`, e.fix).toJSON();
}

/** Locks pressed during a switch: the count a switch compares, the answer while one runs, and a second round's failure. */
export function lockDuringSwitch(deps: LockDuringSwitchDeps) {
  const { vault } = deps;
  /** Locks pressed while a switch was under way: a switch to the vault file then starts no agent, one away says why it stopped. */
  let pressed = 0;
  /** Switches whose end ran Lock's second round: a Lock answered after one says what is. */
  let ends = 0;
  /**
   * Why the last second round failed (it was said only by the status: an agent still there), and whether the vault file
   * looked open then. Kept until Lock or Unlock is pressed, or a status finds locked what looked open: it stayed after a
   * `cpw-vault lock` or the agent's time to live had locked it. One that looked locked already (an agent cut off from
   * its socket that could not be ended) is kept until pressed: no status can tell when that process is gone.
   */
  let failed: { error: VaultErrorJSON; open: boolean } | undefined;
  /** vault_locked events written: a switch away from the vault file writes its own only when no Lock did meanwhile. */
  let recorded = 0;
  const recordLocked = async () => {
    recorded++;
    await vault.recordEvent({ event: 'vault_locked' });
  };

  /** Lock, again, once the switch it was pressed during ends: the gate drops its failure, so it is kept for the status. */
  const again = async () => {
    ends++;
    try {
      if (await deps.endAgents()) await recordLocked();
    } catch (err) {
      // Kept (as locked-looking) at once: a status asked meanwhile neither misses it nor drops it.
      const f = { error: secondRoundFailed(err), open: false };
      failed = f;
      f.open = await deps.mayBeOpen().catch(() => true);
    }
  };
  /**
   * Lock's answer while a switch is under way: the agents were ended, and the switch is not waited for (the store's
   * status waits for it). The profile's backend as it is now: a switch to the vault file may have committed already.
   */
  const whileSwitching = (): SecurityStatus => {
    const backend = vault.backend();
    return {
      backend,
      ok: false,
      code: 'BACKEND_SWITCHING',
      message: 'Locked: every unlock agent of the vault file that listened was stopped. A switch of where your secrets live is still under way, and finds the vault file locked: an unlock agent it starts is ended as it ends, and a switch away from the vault file that has not read it yet stops, nothing moved.',
      fix: 'Wait for the switch to end, then unlock the vault file to use it again.',
      ...(backend === 'file' ? { unlockedUntil: null } : {}),
      offerFile: false,
    };
  };

  return {
    /** How many Locks were pressed during a switch so far. */
    pressed: () => pressed,
    /**
     * Why Lock's last second round failed, if it did, neither Lock nor Unlock was pressed since, and the vault file that
     * looked open then does not look locked now (`mayBeOpen`, the status's own look at it: asked only when needed).
     */
    async failure(mayBeOpen: () => Promise<boolean>): Promise<VaultErrorJSON | undefined> {
      const f = failed;
      if (f?.open && !(await mayBeOpen()) && failed === f) failed = undefined;
      return failed?.error;
    },
    /** Lock pressed with no switch under way ended an agent: audited. */
    recordLocked,
    /**
     * A switch away from the vault file begins (`open`: its agent answered). Returns what the switch calls once it has
     * ended its agents (`stopped`: it found one): its lock is audited, as a Lock's is, unless a Lock pressed meanwhile
     * wrote one. The agent may have stopped by itself already (its files gone), and a Lock pressed then found none:
     * neither wrote vault_locked, and the log showed the vault file never locked.
     */
    switchingAway(open: boolean) {
      const seen = recorded;
      return async (stopped: boolean) => {
        if ((open || stopped) && recorded === seen) await recordLocked();
      };
    },
    /** Lock or Unlock pressed: an earlier second round's failure is no longer what the user is told. */
    settle: () => void (failed = undefined),
    /**
     * Lock pressed: when a switch is under way, locks now and again as it ends, and gives the answer; undefined, nothing
     * done, when none is. Throws when an agent could not be stopped now (endAgents' error).
     */
    async lock(): Promise<SecurityStatus | undefined> {
      const seen = ends;
      if (!vault.whenSwitchEnds(again)) return undefined;
      pressed++;
      if (await deps.endAgents()) await recordLocked();
      // The switch ended while the agents were ended (one that did not answer is waited for): its own answer came
      // first and said what is; "still under way", after it, stayed on the card with nothing left to correct it.
      return ends === seen ? whileSwitching() : deps.status();
    },
  };
}
