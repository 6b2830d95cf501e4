import { VaultError } from '../../core/errors';
import { DEFAULT_LOCK_WAIT_MS } from '../profile/file-lock';

/**
 * Keeps a backend switch apart from the credential reads and writes of the
 * same process (the app: a Save pressed while "Where your secrets live" moves
 * everything). A switch waits for the calls running to settle, and calls that
 * start meanwhile wait for the switch, for at most `waitMs` (the profile
 * lock's wait): a set that ran across one wrote into the store the switch
 * closed, could not undo, left its value in the old backend (unindexed) and a
 * journal entry blocking every other cpw-vault for as long as the app ran; a
 * read or write between the app's switch to the vault file and the start of
 * its unlock agent was answered "the vault file is locked". Calls among
 * themselves still run side by side (the credential store orders them); other
 * processes are kept apart by the profile's lock and the journal, as before.
 */
export class SwitchGate {
  private running = 0;
  private switching: Promise<void> | undefined;
  private settled: (() => void) | undefined;
  /** What runs once the switch in progress ends, before the calls it holds go on (see {@link whenSwitchEnds}). */
  private readonly ending = new Set<() => Promise<void>>();

  constructor(private readonly waitMs = DEFAULT_LOCK_WAIT_MS) {}

  /** Runs a credential read or write, after any switch in progress; throws BACKEND_SWITCHING when the switch outlasts the wait. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Checked again right before counting itself in (no await between): a switch that began meanwhile is waited for too.
    const deadline = Date.now() + this.waitMs;
    while (this.switching) await this.held(deadline);
    this.running++;
    try {
      return await fn();
    } finally {
      if (--this.running === 0) this.settled?.();
    }
  }

  /**
   * Queues `fn` to run once the switch in progress ends (done or failed), before the calls it holds go on; the same
   * `fn` queued twice runs once. False, nothing queued, when no switch is under way. `fn`'s failure is its own: it
   * never changes the switch's result.
   */
  whenSwitchEnds(fn: () => Promise<void>): boolean {
    if (!this.switching) return false;
    this.ending.add(fn);
    return true;
  }

  /** Runs a backend switch alone: once the calls running have settled, with new ones held until it ends. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.waitMs;
    while (this.switching) await this.held(deadline);
    let done!: () => void;
    this.switching = new Promise<void>((resolve) => (done = resolve));
    try {
      while (this.running) await new Promise<void>((resolve) => (this.settled = resolve));
      return await fn();
    } finally {
      // Queued until the last one has run (one may be queued while another runs): none is left for a later switch.
      for (const end of this.ending) {
        this.ending.delete(end);
        await end().catch(() => undefined);
      }
      this.settled = undefined;
      this.switching = undefined;
      done();
    }
  }

  /** Waits for the switch in progress to end, or until `deadline` (then throws BACKEND_SWITCHING: the app said PROFILE_LOCKED's "another cpw-vault kept the profile busy" and retried it as one). */
  private async held(deadline: number): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new VaultError('BACKEND_SWITCHING', `A switch of where this profile's secrets live (keychain or vault file) is under way and has not finished after ${Math.round(this.waitMs / 1000)} s; nothing was done.`, 'Wait for the switch to finish, then try again.');
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.switching, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }
}
