import { lstatSync, renameSync, rmSync } from 'node:fs';
import { redactDeep } from '../../core/redact';
import { AUDIT_EVENTS, type AuditEvent, type AuditEventName } from '../../core/records';
import { withFileLock } from '../profile/file-lock';
import { defaultWarn } from '../profile/default-warn';
import { isPrivateFile, readSecureFile } from '../profile/secure-fs';
import { ioError } from '../profile/file-access';
import { isoString } from '../../core/iso-time';
import { appendOwnLine } from './whole-line';

export { AUDIT_EVENTS, type AuditEvent, type AuditEventName } from '../../core/records';

export interface AuditLogOptions {
  /** Rotate when the file would grow past this (default 1 MiB). */
  maxBytes?: number;
  /** Rotated generations kept (audit.log.1 … .N). */
  keep?: number;
  /** A log written before this one's name (the first versions' beside a named profile): listed after it, never written. */
  older?: string | undefined;
  /** Receives what a user should see: a generation left out of {@link AuditLog.list} and why. Default: stderr. */
  warn?: (message: string) => void;
}

/** The most of an older log (see {@link AuditLogOptions.older}) read: the first versions did not rotate theirs. */
const OLDER_LOG_MAX_BYTES = 16 * 1024 * 1024;

const currentUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * Append-only JSON-lines audit log beside the profile (0600). Each line is
 * redacted before it is written. Rotation is bounded (maxBytes x keep) and
 * happens under a lock so two processes never rotate the same file twice.
 */
export class AuditLog {
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly older: string | undefined;
  private readonly warn: (message: string) => void;
  /** The files a warning was given for already: the app lists the trail again at every visit of its screen. */
  private readonly warned = new Set<string>();

  constructor(readonly path: string, options: AuditLogOptions = {}) {
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.keep = options.keep ?? 3;
    this.older = options.older;
    this.warn = options.warn ?? defaultWarn;
  }

  /** Appends one event (its folder must exist: it is the profile's). */
  async append(event: Omit<AuditEvent, 'ts'>, now = new Date()): Promise<void> {
    const line = `${JSON.stringify(redactDeep({ ts: isoString(now), ...event }))}\n`;
    if (this.size() + line.length > this.maxBytes) await withFileLock(this.path, async () => this.rotateIfFull(line.length));
    // Whole, or an error (a full disk): a line cut short no longer swallows the next event appended after it.
    appendOwnLine(this.path, line, false);
  }

  /** The current file's own size (a link planted at its name is not followed: the append refuses it anyway). */
  private size(): number {
    return lstatSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
  }

  /**
   * Shifts the generations (audit.log → .1 → … → .keep, the oldest dropped). Only this user's regular files are
   * moved or removed: a link, FIFO or another user's file planted at a generation's name in a shared folder is
   * never followed, nor moved into the trail; a generation of ours renamed onto its name replaces the entry
   * itself (a rename never follows its destination), or, where the sticky bit forbids that, fails.
   */
  private rotateIfFull(incoming: number): void {
    if (this.size() + incoming <= this.maxBytes) return; // another process rotated first
    if (!isOwnRegularFile(this.path)) return; // the append refuses it, and says so
    const name = (i: number) => (i === 0 ? this.path : `${this.path}.${i}`);
    if (isOwnRegularFile(name(this.keep))) rmSync(name(this.keep), { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (!isOwnRegularFile(name(i))) continue; // that generation does not exist yet, or is not ours
      try {
        renameSync(name(i), name(i + 1));
      } catch {
        // a name another user holds in a sticky folder: the next rename replaces this generation (one fewer kept)
      }
    }
    try {
      renameSync(this.path, name(1));
    } catch (err) {
      // Another user holds the first generation's name (a sticky shared folder): the trail keeps growing here rather
      // than losing every event from now on (each append failed), and says so once.
      this.warnOnce(name(1), `${ioError(err, name(1)).message} The audit log is not rotated and grows past its limit; remove that file to rotate it again.`);
    }
  }

  /** Events, newest first, across the current file and the rotated ones. Unparseable lines are skipped. */
  list(filter: { event?: AuditEventName; credential?: string; limit?: number } = {}): AuditEvent[] {
    const out: AuditEvent[] = [];
    const generations = (path: string) => [path, ...Array.from({ length: this.keep }, (_, i) => `${path}.${i + 1}`)];
    const files = [...generations(this.path), ...(this.older ? generations(this.older) : [])];
    for (const file of files) {
      const text = file.startsWith(this.path) ? this.readOwn(file) : this.readOlder(file);
      if (text === undefined) continue;
      const lines = text.split('\n').filter(Boolean).reverse();
      for (const line of lines) {
        // A line that does not name the event asked for is not parsed: doctor asks a full log (4 MiB) for the few
        // migration_applied lines at every run, and parsing each line cost it ~9 ms per MiB.
        if (filter.event && !line.includes(filter.event)) continue;
        let event: AuditEvent;
        try {
          event = JSON.parse(line) as AuditEvent;
        } catch {
          continue;
        }
        // Only cpw-vault's events: the older log's name (audit.log beside a named profile) is common in a project folder.
        if (event === null || typeof event !== 'object' || typeof event.ts !== 'string' || !(AUDIT_EVENTS as readonly unknown[]).includes(event.event)) continue;
        if (filter.event && event.event !== filter.event) continue;
        if (filter.credential && event.credential !== filter.credential) continue;
        out.push(event);
        if (filter.limit && out.length >= filter.limit) return out;
      }
    }
    return out;
  }

  /**
   * A file of this log: read only when it is a regular file of this user's that nobody else can write, within
   * bounds, never through a link, and never waiting on a FIFO (O_NOFOLLOW|O_NONBLOCK, checked on the open file).
   * In a shared folder (--profile in /tmp) another user can plant any of these names: a link to their forged
   * events, or a FIFO that blocked the listing (the app's Activity screen) for ever. Such a file is left out,
   * and said once.
   */
  private readOwn(file: string): string | undefined {
    try {
      return readSecureFile(file, { warn: (m) => this.warnOnce(file, m), maxBytes: Math.max(OLDER_LOG_MAX_BYTES, 2 * this.maxBytes) }).text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warnOnce(file, `${err instanceof Error ? err.message : String(err)} Its events are left out of the audit trail.`);
      return undefined;
    }
  }

  /**
   * The older log sits in a folder that is not cpw-vault's: only a regular file of this user's, of bounded size.
   * (cpw-vault wrote it 0600: one others may read, a repository's or a download, is not this user's audit trail.)
   */
  private readOlder(file: string): string | undefined {
    try {
      return isPrivateFile(file) ? readSecureFile(file, { warn: () => {}, maxBytes: OLDER_LOG_MAX_BYTES }).text : undefined;
    } catch {
      return undefined;
    }
  }

  private warnOnce(file: string, message: string): void {
    if (this.warned.has(file)) return;
    this.warned.add(file);
    this.warn(message);
  }
}

/** A regular file of this user's at `path` itself (a link there is not followed). */
function isOwnRegularFile(path: string): boolean {
  const s = lstatSync(path, { throwIfNoEntry: false });
  return !!s && s.isFile() && (currentUid === undefined || s.uid === currentUid);
}
