import { sha256Hex } from '../builtins';
import { PROFILE_SCHEMA_REVISION } from '../../core/profile-version';
import { readSecureFile, sameStamp, type FileStamp, type writeSecureFile } from './secure-fs';

/**
 * Which exact profile text this vault last wrote, after validating it: the
 * SHA-256 of the text (and the schema revision it was validated against) in
 * a small file beside the profile. A full read whose text has that digest
 * is the writer's own output — a fixed point of the schema — and skips the
 * schema pass, which at 10,000 credentials costs more than the rest of a
 * command. Why a digest: it names the content, so an edit, a restore or a
 * copy from elsewhere is always validated again. The record also names the
 * stamp (inode, size, mtime, ctime) the written file had, as the lookup copy
 * does. Once a reader has hashed that very file, read when it had been
 * unchanged for RACY_MS, and found the written text, the record says the
 * stamp is settled: a file with exactly that stamp is then that very text
 * (any change since moves a time past it), so it need not be hashed (at
 * 10,000 credentials, ~15 ms). Before that the stamp proves nothing: on
 * coarse timestamps an edit in place of the same size within the write's
 * tick keeps it. Only ever a shortcut: a missing, foreign, damaged or stale
 * record means "validate", never an error.
 */
export class ValidatedText {
  private known: { sha256: string; stamp: FileStamp | undefined; settled: boolean } | undefined;

  constructor(
    private readonly path: string,
    private readonly dedicatedDir: boolean,
    private readonly write: typeof writeSecureFile,
  ) {}

  /**
   * True when `text` (read at `readAtMs` from a file with `stamp`) is exactly
   * what the last validated write produced. The stamp alone decides only once
   * it is settled: a reader hashed that very file, read when it had been
   * unchanged for RACY_MS, and found the text written. Before that, an edit
   * in place within the write's timestamp tick (a second on HFS+ or ext4 with
   * small inodes, a jiffy on Linux before 6.13) could have kept the stamp.
   */
  matches(text: string, stamp?: FileStamp, readAtMs?: number): boolean {
    const same = (known: ValidatedText['known']) => !!stamp && !!known?.stamp && sameStamp(stamp, known.stamp);
    if (same(this.known) && this.known!.settled) return true;
    try {
      const record = JSON.parse(readSecureFile(this.path, { warn: () => {}, maxBytes: 1024 }).text) as unknown;
      this.known = isRecord(record) && record.revision === PROFILE_SCHEMA_REVISION ? { sha256: record.sha256, stamp: stampIn(record.stamp), settled: record.settled === true } : undefined;
    } catch {
      this.known = undefined;
    }
    const known = this.known;
    if (!known) return false;
    if (same(known) && known.settled) return true;
    if (known.sha256 !== digestOf(text)) return false;
    if (same(known) && stamp && readAtMs !== undefined && settledWhenRead(stamp, readAtMs)) {
      // From now on this file's stamp names this text: any change gives another stamp. A failure only costs a hash.
      known.settled = true;
      try {
        this.write(this.path, recordText(known.sha256, stamp, true), this.dedicatedDir).catch(() => {});
      } catch {
        // a read never fails for its shortcut
      }
    }
    return true;
  }

  /**
   * Records `text` (just written, validated, as the file with `stamp`; its
   * UTF-8 bytes digest as the string does) as the current one. A failure
   * only costs the next reader a schema pass.
   */
  async remember(text: string | Uint8Array, stamp: FileStamp | undefined): Promise<void> {
    const digest = digestOf(text);
    try {
      await this.write(this.path, recordText(digest, stamp, false), this.dedicatedDir);
      this.known = { sha256: digest, stamp, settled: false };
    } catch {
      this.known = undefined;
    }
  }
}

/** How long a file must have been unchanged when read for its stamp to name its content: past the coarsest timestamps (FAT's 2 s). */
export const RACY_MS = 2_500;

/** True when the file with `stamp` had not changed for RACY_MS when read at `readAtMs`: any later change gives another stamp. */
export function settledWhenRead(stamp: FileStamp, readAtMs: number): boolean {
  return readAtMs - Math.max(stamp.mtimeMs, stamp.ctimeMs) >= RACY_MS;
}

function recordText(sha256: string, stamp: FileStamp | undefined, settled: boolean): string {
  return `${JSON.stringify({ revision: PROFILE_SCHEMA_REVISION, sha256, ...(stamp ? { stamp } : {}), ...(settled ? { settled } : {}) })}\n`;
}

function digestOf(text: string | Uint8Array): string {
  return sha256Hex(text);
}

/** A stamp as recorded, or undefined when the record has none that is whole. */
function stampIn(v: unknown): FileStamp | undefined {
  const s = v as Partial<FileStamp> | null;
  if (!s || typeof s !== 'object') return undefined;
  const fields = [s.ino, s.size, s.mtimeMs, s.ctimeMs];
  return fields.every((n) => typeof n === 'number' && Number.isFinite(n)) ? { ino: s.ino!, size: s.size!, mtimeMs: s.mtimeMs!, ctimeMs: s.ctimeMs! } : undefined;
}

function isRecord(v: unknown): v is { revision: number; sha256: string; stamp?: unknown; settled?: unknown } {
  return v !== null && typeof v === 'object' && typeof (v as { sha256?: unknown }).sha256 === 'string';
}
