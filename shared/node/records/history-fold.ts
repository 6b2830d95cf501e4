/**
 * The read side of the run history (run-history.ts): its events folded into runs, within the bounds the preferences
 * set, with the runs whose exec is gone marked interrupted.
 */
import type { RunRecord } from '../../core/records';
import { keptBytes, lineBytes, sparedWithin, withinBytes, type HistoryBounds } from './history-compaction';
import { lateEvents } from './late-events';
import type { LegacyHistory } from './legacy-history';
import { counted } from '../../core/plural';
import { EventFold, readLines, type LineDamage, type ReadEnd } from './run-events';
import { isInterrupted, isLive } from './run-liveness';
import { byStart, startTime } from './run-order';

/** What {@link foldHistory} reads besides runs.jsonl. */
export interface FoldSources {
  /** The old runs.json, read first. */
  legacy: LegacyHistory;
  bounds: HistoryBounds;
  warn: (message: string) => void;
  /** Ids of the runs this process recorded: its clock dates them, so they never date the others (see ageFrom). */
  mine: ReadonlySet<string>;
  now?: (() => Date) | undefined;
}

/**
 * What a line of the history is that is not read as cpw-vault wrote it (see LineDamage), and 'not-utf8-late': a run
 * event of a late file (see late-events.ts) holding bytes that are not UTF-8, read as runs.jsonl's 'not-utf8-read' is.
 */
export type HistoryDamage = LineDamage | 'not-utf8-late';

/** The runs folded, where the read of runs.jsonl stopped, the late files read, and how many lines were damaged, by kind. */
export interface Folded {
  runs: RunRecord[];
  read: ReadEnd | undefined;
  late: string[];
  damaged: Readonly<Record<HistoryDamage, number>>;
}

/**
 * The warning for each kind of line skipped (or read with bytes that are not UTF-8) in the history at `path`, none of
 * it quoted. A line not UTF-8, not JSON, or JSON that is no run event (hand-edited, planted, another program's) was
 * said to be "damaged (a write cut short)", sending the user to look for a crash that never was.
 */
export function damageWarnings(damaged: Folded['damaged'], path: string): Array<[HistoryDamage, string]> {
  const notUtf8 = (n: number) => `${n === 1 ? 'holds' : 'hold'} bytes that are not UTF-8 text, so not written by cpw-vault (edited in another encoding, or written by another program): listed, those bytes shown as U+FFFD`;
  const said: Record<HistoryDamage, (n: number) => string> = {
    'cut-short': (n) => `${counted(n, 'damaged line')} in ${path} skipped (a write cut short)`,
    'not-json': (n) => `${counted(n, 'line')} in ${path} skipped: not a run event (not JSON, nor the start of a line cpw-vault wrote, cut short: edited by hand, or written by another program)`,
    'not-utf8': (n) => `${counted(n, 'line')} in ${path} skipped: not UTF-8 text, so not written by cpw-vault (edited in another encoding, or written by another program)`,
    'not-utf8-read': (n) => `${counted(n, 'run event')} in ${path} ${notUtf8(n)}`,
    // A late file was decoded without the check: its run listed with U+FFFD, and no word.
    'not-utf8-late': (n) => `${counted(n, 'run event')} recorded late beside ${path} (in its .late- files) ${notUtf8(n)}`,
    'not-an-event': (n) => `${counted(n, 'line')} in ${path} skipped: JSON that is no run event cpw-vault writes (a field missing or of another type, or nested too deep: edited by hand, or written by another program)`,
  };
  const kinds = (Object.keys(said) as HistoryDamage[]).filter((kind) => damaged[kind] > 0);
  return kinds.map((kind) => [kind, `${said[kind](damaged[kind])}; the rest of the history is intact.`]);
}

/**
 * Every run of the history at `path`, oldest first as the bounds count it (by its first start line; a run set aside
 * by the bounds while running that ended since takes its place among the newest, so they keep it), within the
 * bounds: the old runs.json and the events of runs.jsonl folded (read as a stream: any size), then those of the late
 * files, with where the read stopped (`unended`, a read a user asked for: a last line without its newline read too,
 * late files skipped said) and the late files read. A run not ended whose exec is certainly gone (its pid dead on
 * this host and boot, or an earlier boot) is interrupted: nothing will record its end. One on another host (a shared
 * home) cannot be seen and stays as recorded. One still running here (its exec alive) is kept past the bounds, within
 * MAX_SPARED.
 */
export function foldHistory(path: string, sources: FoldSources, unended: boolean): Folded {
  const { bounds, warn } = sources;
  const { maxRuns, maxAgeDays } = bounds;
  // Twice the bytes kept: the lines of a run not yet compacted (its start, its end) take more than its one line after.
  const fold = new EventFold(maxRuns, 2 * keptBytes(bounds));
  const legacy = sources.legacy.read();
  for (const run of legacy) fold.addRun(run, lineBytes(run));
  const read = readLines(path, 0, (line, utf8) => fold.apply(line, utf8), warn, unended);
  // Skipped late files are said by the reads a user asked for (unended: runs, the app), not by exec's compaction.
  const late = lateEvents(path, warn, { saySkipped: unended });
  for (const line of late.text.split('\n')) if (line) fold.apply(line);
  const folded = [...fold.runs.values()];
  const oldest = ageFrom(folded.map((f) => f.run), sources) - maxAgeDays * 86_400_000;
  // A start that is no date (hand-written, or set so by an update) has no age: listed (with "-" as its start, first
  // as the oldest), left to the count and size bounds, never dropped unseen as NaN >= oldest would.
  let kept = folded.filter((f) => !(startTime(f.run.started_at) < oldest));
  // The old file's runs come first, but an older cpw-vault run again after an upgrade adds newer ones to it: by start.
  if (legacy.length) kept = byStart(kept, (f) => f.run.started_at);
  kept = withinBytes(kept.slice(Math.max(0, kept.length - maxRuns)), keptBytes(bounds));
  // A stage still running is never dropped by the bounds (within caps): its exec will record its end on it.
  const within = new Set(kept);
  const spared = sparedWithin([...fold.spared, ...folded.filter((f) => !within.has(f) && isLive(f.run))]);
  const runs = [...spared, ...kept].map(({ run: r }) => (isInterrupted(r) ? { ...r, status: 'interrupted' as const } : r));
  return { runs, read, late: late.read, damaged: { ...fold.damaged, 'not-utf8-late': late.notUtf8 } };
}

/**
 * The time runs' ages are counted from: now, but never later than the
 * newest start recorded by another process. A clock run ahead (200 days)
 * would otherwise make every run "old" and the compaction it triggers
 * delete the whole history for good; the other processes' starts are
 * dated by their own clocks, and this process's runs (dated by the clock
 * in question) do not count. A clock behind prunes nothing early. The
 * price: after months unused, the old runs go with the first compaction
 * after a new run rather than at once.
 */
function ageFrom(runs: RunRecord[], { mine, now }: Pick<FoldSources, 'mine' | 'now'>): number {
  let newest = -Infinity;
  for (const r of runs) if (!mine.has(r.id)) newest = Math.max(newest, startTime(r.started_at) || -Infinity);
  const at = (now?.() ?? new Date()).getTime();
  return newest === -Infinity ? at : Math.min(at, newest);
}
