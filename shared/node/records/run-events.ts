// The lines of runs.jsonl: appended one at a time, read as a stream and
// folded into runs in bounded memory. A history of any size (past the 256
// MiB a whole read allowed, a hand-copied one) can be listed and compacted,
// instead of refused for ever.
import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { overDeepAt, parseOwnJson } from '../../core/json-depth';
import type { RunRecord } from '../../core/records';
import { assertPrivateFile, readSecureBytes } from '../profile/secure-fs';
import { READ_DATA_NOFOLLOW, readError } from '../profile/file-access';
import { isLive } from './run-liveness';
import { appendOwnLine } from './whole-line';
import { MAX_SPARED, MAX_SPARED_BYTES } from './history-compaction';

/** One line of the history file. */
export type RunEvent = { op: 'start'; run: RunRecord } | { op: 'update'; id: string; patch: Partial<RunRecord> } | { op: 'delete'; id: string };

/** Bytes read at a time. */
const CHUNK = 1024 * 1024;

/** Where a read of the history stopped: the end of its last whole line, in the file `ino`. */
export interface ReadEnd {
  ino: number;
  end: number;
}

/**
 * Calls `onLine` with each whole line of `path` from byte `from` (0600, this
 * user's, never through a link; a missing file has none), and returns where
 * it stopped: after the last newline. A last line without one (a write cut
 * short, an append landing as we read, a hand edit) is read too with
 * `unended`; otherwise it is left for the next read. `utf8` is false for a line whose bytes are not UTF-8 text (its
 * text then holds U+FFFD in their place).
 */
export function readLines(path: string, from: number, onLine: (line: string, utf8: boolean) => void, warn: (message: string) => void, unended = true): ReadEnd | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // A link: the whole-file read throws the same refusal, with its fix.
    if (code === 'ELOOP') readSecureBytes(path, { warn });
    throw readError(err, path);
  }
  try {
    const s = fstatSync(fd);
    assertPrivateFile(s, path, { warn, maxBytes: Number.MAX_SAFE_INTEGER });
    let pos = from;
    // A line longer than a chunk is kept as its pieces and joined once, at its end: joined at every chunk (and
    // searched again from its start), a 64 MiB line (a hand-copied file, a write that lost its newlines) took 12 s.
    const carry = new LineParts();
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, pos);
      if (n === 0) break;
      const buf = chunk.subarray(0, n);
      pos += n;
      let start = 0;
      for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
        if (carry.bytes) onLine(...lineText(carry.take(buf.subarray(start, nl))));
        else if (nl > start) onLine(...lineText(buf.subarray(start, nl)));
        start = nl + 1;
      }
      // Copied: the chunk is read into again.
      if (start < n) carry.add(Buffer.from(buf.subarray(start)));
    }
    const rest = carry.bytes;
    if (unended && rest) onLine(...lineText(carry.take(Buffer.alloc(0))));
    return { ino: s.ino, end: pos - rest };
  } finally {
    closeSync(fd);
  }
}

/** The start of a line read so far, in pieces. */
class LineParts {
  private parts: Buffer[] = [];
  bytes = 0;

  add(part: Buffer): void {
    this.parts.push(part);
    this.bytes += part.length;
  }

  /** The whole line (these pieces, then `last`); empties the pieces. */
  take(last: Buffer): Buffer {
    const line = Buffer.concat([...this.parts, last]);
    this.parts = [];
    this.bytes = 0;
    return line;
  }
}

/**
 * A line's text, and whether its bytes are UTF-8 (checked only when the text holds U+FFFD: a clean line costs no second
 * pass). One cut short in the middle of a character (a full disk) counts as UTF-8: it is said as a line cut short.
 */
function lineText(bytes: Buffer): [string, boolean] {
  const text = bytes.toString('utf8');
  return [text, !text.includes('\uFFFD') || isUtf8(bytes) || cutInACharacter(bytes)];
}

/** True when `bytes` are UTF-8 but for their last character, which is the start of one, cut short. */
function cutInACharacter(bytes: Buffer): boolean {
  let at = bytes.length - 1;
  while (at > 0 && bytes.length - at < 4 && (bytes[at]! & 0xc0) === 0x80) at--;
  const lead = bytes[at] ?? 0;
  const length = lead >= 0xf5 ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  return length > bytes.length - at && isUtf8(bytes.subarray(0, at));
}

/**
 * What a line is that is not read as cpw-vault wrote it, each said in a warning of its own: cut short (a crash, a full
 * disk: the start of an event line, its newline maybe added by the next append), not JSON at all, not UTF-8 text, JSON
 * that is no run event (a field missing or of another type, or nested deeper than MAX_JSON_DEPTH), or a run event read
 * whose strings hold bytes that are not UTF-8 (listed, those bytes as U+FFFD). All but the first are never written by
 * cpw-vault (JSON.stringify writes UTF-8 JSON), but by hand or by another program.
 */
export type LineDamage = 'cut-short' | 'not-json' | 'not-utf8' | 'not-utf8-read' | 'not-an-event';

/** What the line `line` (which {@link parseEvent} refused) is; `utf8` as {@link readLines} says it. */
function damageOf(line: string, utf8: boolean): LineDamage {
  if (!utf8) return 'not-utf8';
  // Not parsed when too deep: JSON.parse of 5 million `[` takes half a minute.
  if (overDeepAt(line) >= 0) return 'not-an-event';
  const text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line; // a BOM an editor put first
  try {
    JSON.parse(text);
    return 'not-an-event';
  } catch {
    // Every line that did not parse was "a write cut short": a line typed by hand sent the user looking for a crash.
    return cutShort(text) ? 'cut-short' : 'not-json';
  }
}

/** How every line cpw-vault appends starts: JSON.stringify of a RunEvent, `op` its first field. */
const EVENT_START = '{"op":"';

/** Whether a line (its BOM off) that is not JSON is one of cpw-vault's appends cut short (a crash, a full disk): an event line's start. */
function cutShort(text: string): boolean {
  return text.startsWith(EVENT_START) || (text !== '' && EVENT_START.startsWith(text));
}

/**
 * Appends `line` (O_APPEND, never following a link, 0600); returns the file's size after. Called under the
 * history's lock. A last line cut short (by an older version on a full disk, or by hand) gets its newline first:
 * the event appended after it would otherwise join it, and a run whose start joined it would be lost with it. A
 * line that cannot be written whole is taken back (see appendWholeLine): the run is "not recorded", said once,
 * never a damaged line warned about at every later read.
 */
export function appendLine(path: string, line: string): number {
  return appendOwnLine(path, line, true);
}

/** A run as folded, with the bytes of the lines that made it (what it costs to keep, before it is compacted). */
interface Folded {
  run: RunRecord;
  bytes: number;
}

/**
 * Runs folded from events, oldest first (by first start line). Keeps at most
 * `maxRuns` and about `maxBytes` of lines, dropping the oldest as newer ones
 * come: memory stays bounded whatever the file's size. A run the bounds reach
 * before it ended is set aside instead (within MAX_SPARED): its end may be
 * further on. If it comes, the run takes its place among the newest (its end
 * is recent: a long stage must not vanish as it ends); if not, the run is
 * kept (`spared`) only while its exec is alive: a stage still running is
 * never dropped for the runs started after it.
 */
export class EventFold {
  readonly runs = new Map<string, Folded>();
  /** The lines damaged, by what each is (all skipped but the events read with bytes that are not UTF-8). */
  readonly damaged: Record<LineDamage, number> = { 'cut-short': 0, 'not-json': 0, 'not-utf8': 0, 'not-utf8-read': 0, 'not-an-event': 0 };
  private bytes = 0;
  /** Runs set aside, oldest first: their exec alive when they were, or not (dropped first when over the caps). */
  private readonly aside = { live: new Map<string, Folded>(), gone: new Map<string, Folded>() };
  private asideBytes = 0;

  constructor(private readonly maxRuns: number, private readonly maxBytes: number) {}

  /** The runs past the bounds still running (their exec alive), oldest first. */
  get spared(): Folded[] {
    return [...this.aside.live.values()];
  }

  /** Adds the runs of the old JSON-array history (before any line). */
  addRun(run: RunRecord, bytes: number): void {
    this.set(run.id, { run, bytes });
  }

  /** Applies one line of runs.jsonl (`utf8`: see {@link readLines}). */
  apply(line: string, utf8 = true): void {
    const event = parseEvent(line);
    if (!event) {
      // A blank line (a `\r` left by an editor that wrote CRLF) is skipped as an empty one is: no run, no damage.
      if (/^[ \t\r]*$/.test(line)) return;
      this.damaged[damageOf(line, utf8)]++;
      return;
    }
    // Read (its run listed, those bytes as U+FFFD) and counted: it was listed without a word that the history holds
    // text cpw-vault never wrote.
    if (!utf8) this.damaged['not-utf8-read']++;
    const bytes = Buffer.byteLength(line) + 1;
    if (event.op === 'start') {
      // A start of a run already ended is one read again (a late file taken in, then read before its removal): it
      // never takes the run back to running. A later end (a run judged interrupted, then ended by its exec) does replace it.
      const known = this.runs.get(event.run.id);
      if (known && ended(known.run) && !ended(event.run)) return;
      this.takeAside(event.run.id);
      this.set(event.run.id, { run: event.run, bytes });
    } else if (event.op === 'delete') {
      this.takeAside(event.id);
      this.drop(event.id);
    } else {
      const aside = this.aside.live.has(event.id) ? this.aside.live : this.aside.gone.has(event.id) ? this.aside.gone : undefined;
      const known = aside?.get(event.id) ?? this.runs.get(event.id);
      if (!known) return;
      const folded = { run: { ...known.run, ...event.patch, id: known.run.id }, bytes: known.bytes + bytes };
      if (!aside) {
        // Map.set of a known key keeps its place: the run stays in start order.
        this.set(event.id, folded);
      } else if (ended(folded.run)) {
        this.takeAside(event.id);
        this.set(event.id, folded);
      } else {
        aside.set(event.id, folded);
        this.asideBytes += bytes;
        this.capAside();
      }
    }
  }

  private set(id: string, folded: Folded): void {
    this.bytes += folded.bytes - (this.runs.get(id)?.bytes ?? 0);
    this.runs.set(id, folded);
    for (const [oldest, f] of this.runs) {
      if (this.runs.size <= this.maxRuns && this.bytes <= this.maxBytes) break;
      this.drop(oldest);
      if (!ended(f.run)) this.setAside(oldest, f);
    }
  }

  private drop(id: string): void {
    this.bytes -= this.runs.get(id)?.bytes ?? 0;
    this.runs.delete(id);
  }

  /** Sets aside a run the bounds reached before it ended. */
  private setAside(id: string, f: Folded): void {
    (isLive(f.run) ? this.aside.live : this.aside.gone).set(id, f);
    this.asideBytes += f.bytes;
    this.capAside();
  }

  /** Keeps the runs set aside within the caps: the oldest whose exec was gone go first, then the oldest. */
  private capAside(): void {
    while (this.aside.live.size + this.aside.gone.size > MAX_SPARED || this.asideBytes > MAX_SPARED_BYTES) {
      const [oldest] = this.aside.gone.size ? this.aside.gone.keys() : this.aside.live.keys();
      this.takeAside(oldest!);
    }
  }

  /** Removes `id` from the runs set aside; returns it if it was. */
  private takeAside(id: string): Folded | undefined {
    const f = this.aside.live.get(id) ?? this.aside.gone.get(id);
    if (!f) return undefined;
    this.aside.live.delete(id);
    this.aside.gone.delete(id);
    this.asideBytes -= f.bytes;
    return f;
  }
}

/** Whether `run` has ended (its end recorded, or judged interrupted by a compaction). */
function ended(run: RunRecord): boolean {
  return run.status !== 'pending' && run.status !== 'running';
}

/** Whether `v` has what a run needs to be listed. */
export function isRun(v: unknown): v is RunRecord {
  const r = v as Partial<RunRecord> | null;
  return !!r && typeof r === 'object' && typeof r.id === 'string' && typeof r.started_at === 'string' && typeof r.workflow === 'string';
}

/**
 * One event, or undefined for a damaged line: cut short by a crash, or (a
 * hand edit) nested deeper than MAX_JSON_DEPTH, which would overflow the
 * stack of what writes it out again (a list as JSON, the compaction).
 */
export function parseEvent(line: string): RunEvent | undefined {
  const e = parseOwnJson(line) as (Partial<RunEvent> & { op?: string }) | null | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.op === 'start' && isRun((e as { run?: unknown }).run)) return e as RunEvent;
  if ((e.op === 'update' || e.op === 'delete') && typeof (e as { id?: unknown }).id === 'string') return e as RunEvent;
  return undefined;
}
