import { closeSync, constants, fchmodSync, openSync, readFileSync, renameSync, rmSync, writeSync, statSync } from 'node:fs';
import { redactDeep } from '../../core/redact';
import { AUDIT_EVENTS, type AuditEvent, type AuditEventName } from '../../core/records';
import { withFileLock } from '../profile/file-lock';
import { assertOwnFile, ioError, isPrivateFile, readSecureFile } from '../profile/secure-fs';
import { VaultError } from '../../core/errors';
import { isoString } from '../../core/iso-time';

export { AUDIT_EVENTS, type AuditEvent, type AuditEventName } from '../../core/records';

export interface AuditLogOptions {
  /** Rotate when the file would grow past this (default 1 MiB). */
  maxBytes?: number;
  /** Rotated generations kept (audit.log.1 … .N). */
  keep?: number;
  /** A log written before this one's name (the first versions' beside a named profile): listed after it, never written. */
  older?: string | undefined;
}

/** The most of an older log (see {@link AuditLogOptions.older}) read: the first versions did not rotate theirs. */
const OLDER_LOG_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Append-only JSON-lines audit log beside the profile (0600). Each line is
 * redacted before it is written. Rotation is bounded (maxBytes x keep) and
 * happens under a lock so two processes never rotate the same file twice.
 */
export class AuditLog {
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly older: string | undefined;

  constructor(readonly path: string, options: AuditLogOptions = {}) {
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.keep = options.keep ?? 3;
    this.older = options.older;
  }

  /** Appends one event (its folder must exist: it is the profile's). */
  async append(event: Omit<AuditEvent, 'ts'>, now = new Date()): Promise<void> {
    const line = `${JSON.stringify(redactDeep({ ts: isoString(now), ...event }))}\n`;
    if (this.size() + line.length > this.maxBytes) await withFileLock(this.path, async () => this.rotateIfFull(line.length));
    let fd: number | undefined;
    try {
      // O_NONBLOCK: a fifo planted at this name fails the open (ENXIO) or the check below, instead of hanging it.
      fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
      // Another user's file planted at this name is never written to nor chmod-ed.
      if ((assertOwnFile(fd, this.path).mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
      writeSync(fd, line);
    } catch (err) {
      if (err instanceof VaultError) throw err;
      throw ioError(err, this.path);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private size(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  private rotateIfFull(incoming: number): void {
    if (this.size() + incoming <= this.maxBytes) return; // another process rotated first
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    renameSync(this.path, `${this.path}.1`);
  }

  /** Events, newest first, across the current file and the rotated ones. Unparseable lines are skipped. */
  list(filter: { event?: AuditEventName; credential?: string; limit?: number } = {}): AuditEvent[] {
    const out: AuditEvent[] = [];
    const generations = (path: string) => [path, ...Array.from({ length: this.keep }, (_, i) => `${path}.${i + 1}`)];
    const files = [...generations(this.path), ...(this.older ? generations(this.older) : [])];
    for (const file of files) {
      let text: string;
      try {
        // The older log sits in a folder that is not cpw-vault's: only a regular file of this user's, of bounded size.
        // (cpw-vault wrote it 0600: one others may read, a repository's or a download, is not this user's audit trail.)
        if (file.startsWith(this.path)) text = readFileSync(file, 'utf8');
        else if (isPrivateFile(file)) text = readSecureFile(file, { warn: () => {}, maxBytes: OLDER_LOG_MAX_BYTES }).text;
        else continue;
      } catch {
        continue;
      }
      const lines = text.split('\n').filter(Boolean).reverse();
      for (const line of lines) {
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
}
