import { uniqueHex } from '../builtins';
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hasControlChars, withoutControlChars } from '../../core/control-chars';
import { VaultError } from '../../core/errors';
import { parseOwnJson } from '../../core/json-depth';
import { RUN_STATUSES, type RunRecord, type RunStats, type RunStatus } from '../../core/records';
import { withFileLock } from '../profile/file-lock';
import { currentOwner } from '../profile/owner';
import { isInterrupted } from './run-liveness';
import { assertOwnFile, ensurePrivateDir, ioError, isPrivateFile, readSecureFile, stampOf, writeSecureFile } from '../profile/secure-fs';
import { isoNow, isoString } from '../../core/iso-time';

export { RUN_STATUSES, type RunRecord, type RunStats, type RunStatus } from '../../core/records';

/** How much history is kept: the newest `maxRuns`, none older than `maxAgeDays` (the profile's preferences). */
export interface HistoryBounds {
  maxRuns: number;
  maxAgeDays: number;
}

/** One line of the history file. */
type RunEvent = { op: 'start'; run: RunRecord } | { op: 'update'; id: string; patch: Partial<RunRecord> } | { op: 'delete'; id: string };

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

/** Longest wait for the history's lock: a stage is never held up for its history. */
const APPEND_WAIT_MS = 2_000;
/** Largest history read (a run is a few hundred bytes; this is far past any bound). */
const MAX_READ_BYTES = 256 * 1024 * 1024;

/**
 * The run history beside the profile: append-only JSON lines (`runs.jsonl`,
 * 0600). Recording a run never reads or rewrites the history: each event
 * (start, update, delete) is one line appended under the history's lock, so
 * `exec` costs the same with 0 or 50,000 runs recorded. When the file grows
 * past twice its bounds, the append that notices compacts it (newest
 * `maxRuns`, none older than `maxAgeDays`). A damaged line is skipped (said
 * once); a damaged old `runs.json` is set aside and a new history started;
 * neither ever stops a stage.
 */
export class RunHistory {
  private warnedDamage = false;
  private warnedAppend = false;
  /** Whether the legacy file read last was a list of runs (only then is it renamed once folded in). */
  private legacyIsRuns = false;

  constructor(readonly path: string, private readonly options: RunHistoryOptions) {}

  /** All runs, newest first. */
  list(filter: { status?: string; workflow?: string } = {}): RunRecord[] {
    if (filter.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(filter.status)) {
      throw new VaultError('INVALID_ARGUMENT', 'Unknown run status.', `Use one of: ${RUN_STATUSES.join(', ')}.`);
    }
    return this.read()
      .filter((r) => (!filter.status || r.status === filter.status) && (!filter.workflow || r.workflow === filter.workflow))
      .reverse();
  }

  /** One run by id (or unique id prefix). Throws INVALID_ARGUMENT when unknown. */
  get(id: string): RunRecord {
    const matches = this.read().filter((r) => r.id === id || (id.length >= 4 && r.id.startsWith(id)));
    if (matches.length !== 1) throw new VaultError('INVALID_ARGUMENT', matches.length ? 'That run id prefix matches several runs.' : 'No run with that id.', 'List runs with: cpw-vault runs');
    return matches[0]!;
  }

  /**
   * Records the start of a run (status pending unless the caller says, e.g.
   * running) by this process, which is to record its end, and returns it.
   */
  async start(run: Pick<RunRecord, 'workflow' | 'program' | 'credentials'> & Partial<Pick<RunRecord, 'inherited' | 'stripped' | 'masked' | 'status'>>, now: Date): Promise<RunRecord> {
    const record: RunRecord = { id: uniqueHex(6), status: 'pending', ...run, exit_code: null, signal: null, started_at: isoString(now), finished_at: null, duration_ms: null };
    await this.append({ op: 'start', run: { ...record, owner: currentOwner() } });
    return record;
  }

  /** Updates a record's fields (one appended line). */
  async update(id: string, patch: Partial<RunRecord>): Promise<void> {
    await this.append({ op: 'update', id, patch });
  }

  /** Removes a run. Throws INVALID_ARGUMENT when unknown. */
  async delete(id: string): Promise<boolean> {
    const target = this.get(id);
    await this.append({ op: 'delete', id: target.id });
    return true;
  }

  stats(): RunStats {
    const runs = this.read();
    const by_status = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    const by_workflow: RunStats['by_workflow'] = {};
    for (const r of runs) {
      by_status[r.status] = (by_status[r.status] ?? 0) + 1;
      const w = (by_workflow[r.workflow] ??= { total: 0, succeeded: 0, failed: 0 });
      w.total++;
      if (r.status === 'succeeded') w.succeeded++;
      if (r.status === 'failed') w.failed++;
    }
    const finished = by_status.succeeded + by_status.failed;
    return { total: runs.length, by_status, by_workflow, success_rate: finished ? by_status.succeeded / finished : null };
  }

  /** Rewrites the history within its bounds (under its lock), folding in the old runs.json. */
  async compact(): Promise<void> {
    ensurePrivateDir(dirname(this.path), this.options.dedicatedDir);
    await withFileLock(this.path, async (lock) => {
      const runs = this.fold();
      lock.assertHeld();
      await writeSecureFile(this.path, runs.map((run) => `${JSON.stringify({ op: 'start', run })}\n`).join(''), this.options.dedicatedDir);
      const legacy = this.options.legacyPath;
      if (legacy && this.legacyIsRuns && stampOf(legacy)) renameSync(legacy, `${legacy}.imported`);
    });
  }

  /**
   * Appends one event under the lock. A history that cannot be written (a
   * busy or foreign lock, a full disk) is said, never thrown: the stage runs anyway.
   */
  private async append(event: RunEvent): Promise<void> {
    try {
      ensurePrivateDir(dirname(this.path), this.options.dedicatedDir);
      const size = await withFileLock(this.path, async () => appendLine(this.path, `${JSON.stringify(event)}\n`), APPEND_WAIT_MS);
      if (size > compactAt(this.options.bounds())) await this.compact();
    } catch (err) {
      // Said once: a run's start and its end would otherwise say the same twice.
      if (this.warnedAppend) return;
      this.warnedAppend = true;
      this.options.warn(`could not record the run in ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Every run, oldest first, within the bounds, as shown (no owner): a name
   * holding control characters or text-direction overrides (a hand-edited or
   * planted history, a program named so) shown with "?" in their place, by
   * the CLI and the app alike ("\u202Eevil" showed as "live").
   */
  private read(): RunRecord[] {
    return this.fold().map(({ owner: _owner, ...run }) => (shownFields(run).some(hasControlChars) ? defused(run) : run));
  }

  /**
   * Every run, oldest first (by start), within the bounds: the old runs.json
   * and the events of runs.jsonl folded. A run not ended whose exec is certainly gone
   * (its pid dead on this host and boot, or an earlier boot) is interrupted:
   * nothing will record its end. One on another host (a shared home) cannot
   * be seen and stays as recorded.
   */
  private fold(): RunRecord[] {
    const runs = new Map<string, RunRecord>();
    const legacy = this.readLegacy();
    for (const run of legacy) runs.set(run.id, run);
    let damaged = 0;
    for (const line of this.readText(this.path).split('\n')) {
      if (!line) continue;
      const event = parseEvent(line);
      if (!event) damaged++;
      else if (event.op === 'start') runs.set(event.run.id, event.run);
      else if (event.op === 'delete') runs.delete(event.id);
      else {
        const run = runs.get(event.id);
        if (run) runs.set(event.id, { ...run, ...event.patch, id: run.id });
      }
    }
    if (damaged && !this.warnedDamage) {
      this.warnedDamage = true;
      this.options.warn(`${damaged} damaged line(s) in ${this.path} skipped (a write cut short); the rest of the history is intact.`);
    }
    const { maxRuns, maxAgeDays } = this.options.bounds();
    const oldest = (this.options.now?.() ?? new Date()).getTime() - maxAgeDays * 86_400_000;
    let kept = [...runs.values()].filter((r) => Date.parse(r.started_at) >= oldest);
    // The old file's runs come first, but an older cpw-vault run again after an upgrade adds newer ones to it: by start.
    if (legacy.length) kept = kept.map((r) => ({ r, at: Date.parse(r.started_at) })).sort((a, b) => a.at - b.at).map(({ r }) => r);
    return kept.slice(Math.max(0, kept.length - maxRuns)).map((r) => (isInterrupted(r) ? { ...r, status: 'interrupted' } : r));
  }

  private readText(path: string): string {
    if (!stampOf(path)) return '';
    return readSecureFile(path, { warn: this.options.warn, maxBytes: MAX_READ_BYTES }).text;
  }

  /** The old JSON-array history; a damaged one is set aside (0600, renamed) with a warning, and a new history starts. */
  private readLegacy(): RunRecord[] {
    this.legacyIsRuns = false;
    const legacy = this.options.legacyPath;
    if (!legacy || !stampOf(legacy)) return [];
    if (this.options.legacyMayBeForeign) {
      // cpw-vault wrote it 0600: a file others may read (a repository's, a download) is not a history of this user's runs.
      if (!isPrivateFile(legacy)) return [];
      let parsed: unknown;
      try {
        parsed = parseOwnJson(this.readText(legacy));
      } catch {
        return [];
      }
      this.legacyIsRuns = Array.isArray(parsed) && parsed.length > 0 && parsed.every(isRun);
      return this.legacyIsRuns ? (parsed as RunRecord[]) : [];
    }
    const parsed = parseOwnJson(this.readText(legacy));
    this.legacyIsRuns = true;
    if (Array.isArray(parsed)) return (parsed as unknown[]).filter(isRun);
    const aside = `${legacy}.damaged-${isoNow().replace(/[-:.]/g, '')}`;
    try {
      renameSync(legacy, aside);
      this.options.warn(`${legacy} was damaged; it is kept as ${aside} and a new history started.`);
    } catch {
      // another process set it aside first
    }
    return [];
  }
}

/**
 * Appends `line` (O_APPEND, never following a link, 0600); returns the file's size after. Called under the
 * history's lock. A last line cut short (a full disk) gets its newline first: the event appended after it
 * would otherwise join it, and a run whose start joined it would be lost with it.
 */
function appendLine(path: string, line: string): number {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a fifo planted at this name fails the open (ENXIO) or the check below, instead of hanging it.
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    const { size } = assertOwnFile(fd, path);
    const last = Buffer.alloc(1);
    const cut = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    writeSync(fd, cut ? `\n${line}` : line);
    return fstatSync(fd).size;
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw ioError(err, path);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The size past which the history is compacted: twice what its bounds need (a run is ~3 lines of ~200 bytes). */
function compactAt(bounds: HistoryBounds): number {
  return Math.max(256 * 1024, bounds.maxRuns * 1200);
}

function isRun(v: unknown): v is RunRecord {
  const r = v as Partial<RunRecord> | null;
  return !!r && typeof r === 'object' && typeof r.id === 'string' && typeof r.started_at === 'string' && typeof r.workflow === 'string';
}

/**
 * One event, or undefined for a damaged line: cut short by a crash, or (a
 * hand edit) nested deeper than MAX_JSON_DEPTH, which would overflow the
 * stack of what writes it out again (a list as JSON, the compaction).
 */
function parseEvent(line: string): RunEvent | undefined {
  const e = parseOwnJson(line) as (Partial<RunEvent> & { op?: string }) | null | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.op === 'start' && isRun((e as { run?: unknown }).run)) return e as RunEvent;
  if ((e.op === 'update' || e.op === 'delete') && typeof (e as { id?: unknown }).id === 'string') return e as RunEvent;
  return undefined;
}

/** A run's names as shown (workflow, program, credentials). */
function shownFields(run: RunRecord): string[] {
  return [run.workflow, run.program, ...(Array.isArray(run.credentials) ? run.credentials : [])].filter((v): v is string => typeof v === 'string');
}

/** `run` with its shown names defused (see RunHistory.read). */
function defused(run: RunRecord): RunRecord {
  const clean = (v: unknown) => (typeof v === 'string' ? withoutControlChars(v) : v);
  return { ...run, workflow: clean(run.workflow) as string, program: clean(run.program) as string, ...(Array.isArray(run.credentials) ? { credentials: run.credentials.map(clean) as RunRecord['credentials'] } : {}) };
}
