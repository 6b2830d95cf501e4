/**
 * The time a command spends reading the keychain, against its deadline (see
 * {@link ReadClock.batch}). Each D-Bus call's own deadline counts only
 * silence (gnome-keyring answers a burst one by one), so a keychain answering
 * each window of a batch just in time held a command for as many deadlines
 * as the batch has windows (a census of 10,000 items: ~45 s).
 *
 * The command's reads share the time from the store's opening to its
 * deadline: its batches (getMany, list), and its single calls until it first
 * writes. Not counted: the time it waits on nothing here (a person answering
 * a confirmation, its own work), a dialog a person can answer (it has its own
 * wait), and writes with the calls after them (a migration's thousands, each
 * with its deadline; the batch reading them back still counts). No command
 * deadline (the library, the app): silence only.
 */
/**
 * The least read time a store opened late gets: one opened after a wait on nothing here (a lock a killed writer
 * left, taken over once stale after 10 s) had no time left at all, and its first read failed at once with "the
 * keychain did not answer in time", the keychain never asked. The same floor as each call's (commandKeychainDeadline).
 */
export const MIN_READ_MS = 2_000;

export class ReadClock {
  private readonly createdAt = Date.now();
  private batchesOpen = 0;
  private callsOpen = 0;
  private dialogsOpen = 0;
  private written = false;
  private readMs = 0;
  private readSince: number | undefined;

  /** @param deadlineAt the command's deadline (epoch ms), if it has one. */
  constructor(private readonly deadlineAt: number | undefined) {}

  /** A D-Bus call starts (`true`) or ends (`false`). */
  call(open: boolean): void {
    this.callsOpen += open ? 1 : -1;
    this.retime();
  }

  /** A dialog a person can answer shows (`true`) or is gone (`false`): the clock stands still meanwhile. */
  dialog(open: boolean): void {
    this.dialogsOpen += open ? 1 : -1;
    this.retime();
  }

  /** The command wrote: its single calls from now on are not counted. */
  wrote(): void {
    this.written = true;
    this.retime();
  }

  /**
   * Runs a batch within the command's deadline; past it, throws `fail(earlierMs)`
   * (`earlierMs`: the read time counted before this batch, for the message).
   */
  async batch<T>(fail: (earlierMs: number) => Error, work: () => Promise<T>): Promise<T> {
    const at = this.deadlineAt;
    if (at === undefined) return work();
    const earlier = this.readTime();
    this.batchesOpen++;
    this.retime();
    try {
      // While a person's dialog shows the clock stands still: asked again a little later.
      return await bounded(() => (this.dialogsOpen ? 100 : Math.max(at - this.createdAt, MIN_READ_MS) - this.readTime()), () => fail(earlier), work);
    } finally {
      this.batchesOpen--;
      this.retime();
    }
  }

  /** Brings readMs up to now, then runs the clock while the command reads and no dialog a person can answer shows. */
  private retime(): void {
    const now = Date.now();
    if (this.readSince !== undefined) this.readMs += now - this.readSince;
    this.readSince = !this.dialogsOpen && (this.batchesOpen || (this.callsOpen && !this.written)) ? now : undefined;
  }

  /** The read time counted so far (ms). */
  readTime(): number {
    return this.readMs + (this.readSince === undefined ? 0 : Date.now() - this.readSince);
  }
}

/** Runs `work` while `left()` (ms) is above 0; then rejects with `fail()` (which says how far the work got). */
export async function bounded<T>(left: () => number, fail: () => Error, work: () => Promise<T>): Promise<T> {
  if (left() <= 0) throw fail();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const check = () => {
      const ms = left();
      if (ms > 0) timer = setTimeout(check, ms);
      else reject(fail());
    };
    check();
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
