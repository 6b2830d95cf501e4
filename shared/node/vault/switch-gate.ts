/**
 * Keeps a backend switch apart from the credential writes of the same
 * process (the app: a Save pressed while "Where your secrets live" moves
 * everything). A switch waits for the writes running to settle, and writes
 * that start meanwhile wait for the switch: a set that ran across one wrote
 * into the store the switch closed, could not undo, left its value in the old
 * backend (unindexed) and a journal entry blocking every other cpw-vault for
 * as long as the app ran. Writes among themselves still run side by side
 * (the credential store orders them); other processes are kept apart by the
 * profile's lock and the journal, as before.
 */
export class SwitchGate {
  private running = 0;
  private switching: Promise<void> | undefined;
  private settled: (() => void) | undefined;

  /** Runs a credential write, after any switch in progress. */
  async write<T>(fn: () => Promise<T>): Promise<T> {
    while (this.switching) await this.switching;
    this.running++;
    try {
      return await fn();
    } finally {
      if (--this.running === 0) this.settled?.();
    }
  }

  /** Runs a backend switch alone: once the writes running have settled, with new ones held until it ends. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.switching) await this.switching;
    let done!: () => void;
    this.switching = new Promise<void>((resolve) => (done = resolve));
    try {
      while (this.running) await new Promise<void>((resolve) => (this.settled = resolve));
      return await fn();
    } finally {
      this.settled = undefined;
      this.switching = undefined;
      done();
    }
  }
}
