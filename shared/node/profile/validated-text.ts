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
 * does: a file with exactly that stamp is that very file (every write renames
 * a new inode in; any change in place moves the ctime), so its text need not
 * be hashed (at 10,000 credentials, ~15 ms). Only ever a shortcut: a
 * missing, foreign, damaged or stale record means "validate", never an error.
 */
export class ValidatedText {
  private known: { sha256: string; stamp: FileStamp | undefined } | undefined;

  constructor(
    private readonly path: string,
    private readonly dedicatedDir: boolean,
    private readonly write: typeof writeSecureFile,
  ) {}

  /** True when `text` (read from a file with `stamp`) is exactly what the last validated write produced. */
  matches(text: string, stamp?: FileStamp): boolean {
    if (stamp && this.known?.stamp && sameStamp(stamp, this.known.stamp)) return true;
    try {
      const record = JSON.parse(readSecureFile(this.path, { warn: () => {}, maxBytes: 1024 }).text) as unknown;
      this.known = isRecord(record) && record.revision === PROFILE_SCHEMA_REVISION ? { sha256: record.sha256, stamp: stampIn(record.stamp) } : undefined;
    } catch {
      this.known = undefined;
    }
    if (!this.known) return false;
    if (stamp && this.known.stamp && sameStamp(stamp, this.known.stamp)) return true;
    return this.known.sha256 === digestOf(text);
  }

  /**
   * Records `text` (just written, validated, as the file with `stamp`; its
   * UTF-8 bytes digest as the string does) as the current one. A failure
   * only costs the next reader a schema pass.
   */
  async remember(text: string | Uint8Array, stamp: FileStamp | undefined): Promise<void> {
    const digest = digestOf(text);
    try {
      await this.write(this.path, `${JSON.stringify({ revision: PROFILE_SCHEMA_REVISION, sha256: digest, ...(stamp ? { stamp } : {}) })}\n`, this.dedicatedDir);
      this.known = { sha256: digest, stamp };
    } catch {
      this.known = undefined;
    }
  }
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

function isRecord(v: unknown): v is { revision: number; sha256: string; stamp?: unknown } {
  return v !== null && typeof v === 'object' && typeof (v as { sha256?: unknown }).sha256 === 'string';
}
