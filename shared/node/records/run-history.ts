import { uniqueHex } from '../builtins';
import { dirname } from 'node:path';
import { withoutControlChars, withoutControlCharsDeep } from '../../core/control-chars';
import { redactProgram } from '../../core/redact';
import { VaultError } from '../../core/errors';
import { RUN_STATUSES, runStats, type RunRecord, type RunStats } from '../../core/records';
import { withFileLock } from '../profile/file-lock';
import { currentOwner } from '../profile/owner';
import { removeOrphanTemps } from '../profile/temp-files';
import { compactAt, replaceHistory, type HistoryBounds } from './history-compaction';
import { damageWarnings, foldHistory, type Folded, type HistoryDamage } from './history-fold';
import { appendLine, type RunEvent } from './run-events';
import { LegacyHistory } from './legacy-history';
import { LATE_WAIT_MS, lateEvents, removeLate, TAKE_IN_MAX, takeInLate, withLockOrLate, withLockOrLateNow } from './late-events';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { isoString } from '../../core/iso-time';
import { isWorkflowName, WORKFLOW_NAMES } from '../../core/workflows';
import { byStart } from './run-order';

export { RUN_STATUSES, type RunRecord, type RunStats, type RunStatus } from '../../core/records';
export type { HistoryBounds } from './history-compaction';

/** Options of a run history. */
export interface RunHistoryOptions {
  /** The history of cpw-vault before it was append-only (`runs.json`): read, and folded in by the first compaction. */
  legacyPath?: string;
  /**
   * The legacy file's name is common outside cpw-vault's folder (the first versions' `runs.json` beside a named
   * profile, in a project): used only when it is a list of runs, and otherwise left alone (never set aside or renamed).
   */
  legacyMayBeForeign?: boolean;
  dedicatedDir: boolean;
  /** The bounds now (read from the profile's preferences at each use). */
  bounds: () => HistoryBounds;
  warn: (message: string) => void;
  now?: () => Date;
}

/** Longest wait for the history's lock to delete a run (a run's events wait LATE_WAIT_MS, then go to a late file). */
const APPEND_WAIT_MS = 2_000;

/**
 * The run history beside the profile: append-only JSON lines (`runs.jsonl`,
 * 0600). Recording a run never reads or rewrites the history: each event
 * (start, update, delete) is one line appended under the history's lock, so
 * `exec` costs the same with 0 or 50,000 runs recorded. An event the lock
 * held back past a short wait (another process holding it) goes to a late
 * file beside it, which every read folds in (see late-events). When the file grows
 * past twice its bounds, the append that notices compacts it (newest
 * `maxRuns`, none older than `maxAgeDays`, and those still running: see
 * EventFold), holding that lock only for the final swap. A damaged line is skipped (said once); a damaged old
 * `runs.json` is set aside and a new history started, an unreadable one
 * skipped; none ever stops a stage.
 */
export class RunHistory {
  private readonly warnedDamage = new Set<HistoryDamage>();
  private warnedAppend = false;
  private warnedCompaction = false;
  /** The last event of this process went late: its lock's holder is stuck, so the next tries the lock once, not wait again. */
  private wentLate = false;
  /** Runs this process recorded: its clock dates them, so they never date the others (see `ageFrom`). */
  private readonly mine = new Set<string>();
  /**
   * Started here, start line not in runs.jsonl: in a late file (`late`), or nowhere (it could not be written). The
   * next update writes the whole run (an orphan update is dropped on read, and a late file may be read after it).
   */
  private readonly unwritten = new Map<string, { run: RunRecord; late?: string }>();
  private readonly legacy: LegacyHistory;

  constructor(readonly path: string, private readonly options: RunHistoryOptions) {
    this.legacy = new LegacyHistory(options.legacyPath, !!options.legacyMayBeForeign, options.warn, messageOf);
  }

  /** All runs, newest first. Throws INVALID_ARGUMENT for an unknown status, WORKFLOW_UNKNOWN for an unknown workflow. */
  list(filter: { status?: string; workflow?: string } = {}): RunRecord[] {
    if (filter.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(filter.status)) {
      throw new VaultError('INVALID_ARGUMENT', 'Unknown run status.', `Use one of: ${RUN_STATUSES.join(', ')}.`);
    }
    // A misspelt workflow listed nothing, as if it had no runs (exec records only these names).
    if (filter.workflow !== undefined && !isWorkflowName(filter.workflow)) {
      throw new VaultError('WORKFLOW_UNKNOWN', 'Unknown workflow name.', `Use one of: ${WORKFLOW_NAMES.join(', ')}.`);
    }
    return this.read()
      .filter((r) => (!filter.status || r.status === filter.status) && (!filter.workflow || r.workflow === filter.workflow))
      .reverse();
  }

  /** One run by id (or unique id prefix). Throws INVALID_ARGUMENT when unknown. */
  get(id: string): RunRecord {
    return shown(this.find(id));
  }

  /**
   * The run `id` names (its id or a unique prefix, as recorded or as shown), as recorded: a delete of a run whose id
   * holds a control character appends the recorded id, which the shown one ("?" in its place) would not match.
   */
  private find(id: string): RunRecord {
    const named = (runId: string) => runId === id || (id.length >= 4 && runId.startsWith(id));
    const matches = this.readAsRecorded().filter((r) => named(r.id) || named(withoutControlChars(r.id)));
    // A prefix under 4 characters that some run starts with is too short, not the id of no run (which it said).
    const short = !matches.length && id.length > 0 && id.length < 4 && this.readAsRecorded().some((r) => withoutControlChars(r.id).startsWith(id));
    const message = matches.length ? 'That run id prefix matches several runs.' : short ? 'A run id prefix needs at least 4 characters.' : 'No run with that id.';
    if (matches.length !== 1) throw new VaultError('INVALID_ARGUMENT', message, 'List runs with: cpw-vault runs');
    return matches[0]!;
  }

  /**
   * Records the start of a run (status pending unless the caller says, e.g.
   * running) by this process, which is to record its end, and returns it.
   * `compact: false` while the stage runs: a compaction takes this process's
   * event loop for seconds (the stage's output, its signals wait); the
   * run's end, recorded once the stage ended, compacts instead (and takes in
   * the late files: hundreds of them would hold up the fork). `made` gets the
   * record at once, before its line is written: what {@link endNow} needs
   * should the process have to end before this resolves.
   */
  async start(run: Pick<RunRecord, 'workflow' | 'program' | 'credentials'> & Partial<Pick<RunRecord, 'inherited' | 'stripped' | 'masked' | 'status'>>, now: Date, options: { compact?: boolean; made?: (record: RunRecord) => void } = {}): Promise<RunRecord> {
    const record: RunRecord = { id: uniqueHex(6), status: 'pending', ...run, exit_code: null, signal: null, started_at: isoString(now), finished_at: null, duration_ms: null };
    this.mine.add(record.id);
    options.made?.(record);
    const written = await this.append({ op: 'start', run: { ...record, owner: currentOwner() } }, { compact: options.compact ?? true });
    if (!written || written.late) this.unwritten.set(record.id, { run: record, late: written?.late });
    return record;
  }

  /** Updates a record's fields (one appended line; the whole run, for a run whose start could not be written). */
  async update(id: string, patch: Partial<RunRecord>): Promise<void> {
    const pending = this.unwritten.get(id);
    if (!pending) return void (await this.append({ op: 'update', id, patch }));
    const run = { ...pending.run, ...patch, id };
    const written = await this.append({ op: 'start', run: { ...run, owner: currentOwner() } });
    if (!written) return void this.unwritten.set(id, { ...pending, run });
    // The start's late file, if still there, says less than the whole run just written.
    if (pending.late) removeLate([pending.late]);
    if (written.late) this.unwritten.set(id, { run, late: written.late });
    else this.unwritten.delete(id);
    // The warning of the start said it could not be recorded: it is, after all.
    if (!pending.late && this.warnedAppend) this.options.warn(`the run is recorded after all, with its end, in ${this.path}`);
  }

  /**
   * Records the end of `run` (as {@link start} made it here) at once, synchronously, for a process that ends now:
   * exec dying of a signal that came after its stage exited, while it still wrote the stage's output, would never
   * get to its update. The whole run, ended, as one start line: its start line may be in runs.jsonl, in a late
   * file, or nowhere yet (still waiting for the lock), and the fold keeps an ended run over a start read before or
   * after it. One try at the lock (the process is ending: never a wait, where an update waits LATE_WAIT_MS), else a
   * late file. Never throws: a history that cannot be written is said, once, as by the other events.
   */
  endNow(run: RunRecord, patch: Partial<RunRecord>): void {
    const line = `${JSON.stringify({ op: 'start', run: { ...run, ...patch, id: run.id, owner: currentOwner() } } satisfies RunEvent)}\n`;
    try {
      ensurePrivateDir(dirname(this.path), this.options.dedicatedDir);
      withLockOrLateNow(this.path, () => appendLine(this.path, line), line);
    } catch (err) {
      if (!this.warnedAppend) this.options.warn(`could not record the run in ${this.path}: ${messageOf(err)}`);
      this.warnedAppend = true;
    }
  }

  /** Removes a run. Throws INVALID_ARGUMENT when unknown, and what the append throws when the history cannot be written. */
  async delete(id: string): Promise<boolean> {
    const target = this.find(id);
    await this.append({ op: 'delete', id: target.id }, { late: false });
    return true;
  }

  /** Counts by status and workflow (see runStats). */
  stats(): RunStats {
    return runStats(this.read());
  }

  /**
   * Rewrites the history within its bounds, folding in the old runs.json.
   * One compaction at a time (its own lock; with `waitMs` 0, one already
   * under way is left to finish, and this returns at once); appends go on meanwhile, and the history's lock is
   * held only to take the lines they added and rename (see replaceHistory):
   * an append waits for it 2 s at most, a compaction of 50,000 runs takes longer.
   */
  async compact(waitMs?: number): Promise<void> {
    ensurePrivateDir(dirname(this.path), this.options.dedicatedDir);
    let began = false;
    await withFileLock(`${this.path}.compaction`, async () => {
      began = true;
      // The temp files of compactions killed mid-write (megabytes each): with both locks held, none is being written.
      await withFileLock(this.path, async () => removeOrphanTemps(this.path, false));
      const { runs, read, late } = this.fold(false);
      let taken: readonly string[] = [];
      // The late files written since the read (those read are in `runs`) go in after the lines appended meanwhile.
      const newer = () => {
        const { text, files } = lateEvents(this.path, this.options.warn, { except: late });
        taken = [...late, ...files];
        return text;
      };
      await replaceHistory(this.path, runs.map((run) => `${JSON.stringify({ op: 'start', run })}\n`), read, (swap) =>
        withFileLock(this.path, async (lock) => {
          const swapped = await swap(lock);
          if (swapped) {
            removeLate(taken);
            this.legacy.retire();
          }
          return swapped;
        }), newer,
      );
    }, { waitMs }).catch((err: unknown) => {
      if (!(waitMs === 0 && !began && err instanceof VaultError && err.code === 'PROFILE_LOCKED')) throw err;
    });
  }

  /**
   * Appends one event under the lock, after the late files (up to
   * TAKE_IN_MAX; all before a delete), then compacts when due: neither with
   * `compact` false. With `late` (a run's events), a lock held past
   * LATE_WAIT_MS sends the event to a late file. A history that cannot be
   * written (a foreign lock, a full disk) or compacted is said, never thrown:
   * the stage runs anyway; a delete that cannot be written throws. Returns where the line went: runs.jsonl (`{}`), a
   * late file, or nowhere (undefined).
   */
  private async append(event: RunEvent, options: { compact?: boolean; late?: boolean } = {}): Promise<{ late?: string } | undefined> {
    const { compact = true, late = true } = options;
    const line = `${JSON.stringify(event)}\n`;
    // Before the line: a late file read after an event appended later (a delete) would undo it.
    const write = () => {
      if (compact) takeInLate(this.path, event.op === 'delete' ? Infinity : TAKE_IN_MAX, this.options.warn);
      return appendLine(this.path, line);
    };
    let size: number;
    try {
      ensurePrivateDir(dirname(this.path), this.options.dedicatedDir);
      const result = late ? await withLockOrLate(this.path, write, line, this.wentLate ? 0 : LATE_WAIT_MS) : { done: await withFileLock(this.path, async () => write(), { waitMs: APPEND_WAIT_MS }) };
      this.wentLate = 'late' in result;
      if ('late' in result) return { late: result.late };
      size = result.done;
    } catch (err) {
      // A delete the user asked for fails with why: said as a run not recorded, it was followed by "Deleted", exit 0.
      if (event.op === 'delete') throw err;
      // Said once: a run's start and its end would otherwise say the same twice.
      if (!this.warnedAppend) this.options.warn(`could not record the run in ${this.path}: ${messageOf(err)}`);
      this.warnedAppend = true;
      return undefined;
    }
    if (!compact || size <= compactAt(this.options.bounds())) return {};
    try {
      await this.compact(0);
    } catch (err) {
      if (!this.warnedCompaction) this.options.warn(`could not compact ${this.path} (the run is recorded): ${messageOf(err)}`);
      this.warnedCompaction = true;
    }
    return {};
  }

  /**
   * Every run, oldest first by start, within the bounds, as shown (no owner): every string of it (a name, the
   * error text, the status, the signal, an id, a field's name, at any depth) holding control characters or
   * text-direction overrides (a hand-edited or planted history, a program named so) shown with "?" in their place,
   * by the CLI (its tables and its --json) and the app alike ("\u202Eevil" showed as "live"; only the names were,
   * and `runs show` printed an escape sequence in the error text as it was). By start, however recorded: the fold's order is
   * the order the bounds keep runs by, where a run recorded late (its late file folded after every line of runs.jsonl,
   * or taken in after the lines appended meanwhile) and a long stage's run ended past the bounds come after runs that
   * started later; a list in that order read as out of time.
   */
  private read(): RunRecord[] {
    return this.readAsRecorded().map(shown);
  }

  /** Every run as {@link read} lists them, its strings as recorded. */
  private readAsRecorded(): RunRecord[] {
    return byStart(this.fold(true).runs, (r) => r.started_at).map(({ owner: _owner, ...run }) => run);
  }

  /** Every run within the bounds, folded (see foldHistory); each kind of damaged line is said once per process. */
  private fold(unended: boolean): Folded {
    const folded = foldHistory(this.path, { legacy: this.legacy, bounds: this.options.bounds(), warn: this.options.warn, mine: this.mine, now: this.options.now }, unended);
    for (const [kind, message] of damageWarnings(folded.damaged, this.path)) {
      if (!this.warnedDamage.has(kind)) this.options.warn(message);
      this.warnedDamage.add(kind);
    }
    return folded;
  }
}

/**
 * A run as the CLI and the app show it: control characters as "?" (see RunHistory.read) and a key in its program name
 * redacted, as exec now records it (stageName): a run recorded before kept `HF_TOKEN=hf_...` there, typed as the shell
 * takes it, and `runs`, `runs show` and Activity showed the key.
 */
function shown(run: RunRecord): RunRecord {
  const clean = withoutControlCharsDeep(run);
  return typeof clean.program === 'string' ? { ...clean, program: redactProgram(clean.program) } : clean;
}

/** An error as a warning says it: with its fix line when it has one (a lock that is no lock file: the rm to run). */
function messageOf(err: unknown): string {
  const fix = (err as { fix?: unknown } | undefined)?.fix;
  return `${err instanceof Error ? err.message : String(err)}${typeof fix === 'string' && fix ? ` Fix: ${fix}` : ''}`;
}
