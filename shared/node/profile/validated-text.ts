import { sha256Hex } from '../builtins';
import { PROFILE_SCHEMA_REVISION } from '../../core/profile-version';
import { readSecureFile, type writeSecureFile } from './secure-fs';

/**
 * From this size on (~250 credentials) a validated text is remembered by its
 * digest. Below it the schema pass is cheaper than the digest: measured, it
 * validates 250 credentials in ~1-2 ms, while node:crypto costs a command that
 * needs it for nothing else ~3.7 ms to load (a plain `doctor` was 3 ms slower).
 */
export const DIGEST_FROM_BYTES = 64 * 1024;

/**
 * Which exact profile text this vault last wrote, after validating it: the
 * SHA-256 of the text (and the schema revision it was validated against) in
 * a small file beside the profile. A full read whose text has that digest
 * is the writer's own output — a fixed point of the schema — and skips the
 * schema pass, which at 10,000 credentials costs more than the rest of a
 * command. Why a digest and not the file's stamp: it names the content, so
 * an edit, a restore or a copy from elsewhere is always validated again,
 * whatever its times (on coarse timestamps, an edit in place of the same size
 * within the write's second keeps the stamp).
 * Only ever a shortcut: a missing, foreign, damaged or stale record means
 * "validate", never an error.
 */
export class ValidatedText {
  private known: string | undefined;

  constructor(
    private readonly path: string,
    private readonly dedicatedDir: boolean,
    private readonly write: typeof writeSecureFile,
    /** Texts shorter than this are always validated (see {@link DIGEST_FROM_BYTES}). */
    private readonly fromBytes = DIGEST_FROM_BYTES,
  ) {}

  /** True when `text` is exactly what the last validated write produced (never for a text below `fromBytes`). */
  matches(text: string): boolean {
    if (text.length < this.fromBytes) return false;
    const digest = digestOf(text);
    if (this.known === digest) return true;
    try {
      const record = JSON.parse(readSecureFile(this.path, { warn: () => {}, maxBytes: 1024 }).text) as unknown;
      this.known = isRecord(record) && record.revision === PROFILE_SCHEMA_REVISION ? record.sha256 : undefined;
    } catch {
      this.known = undefined;
    }
    return this.known === digest;
  }

  /**
   * Records `text` (just written, validated; its UTF-8 bytes digest as the
   * string does) as the current one, from `fromBytes` on (a shorter one is
   * validated by the next reader: a record it left names other text).
   * A failure only costs the next reader a schema pass.
   */
  async remember(text: string | Uint8Array): Promise<void> {
    if (text.length < this.fromBytes) return;
    const digest = digestOf(text);
    try {
      await this.write(this.path, `${JSON.stringify({ revision: PROFILE_SCHEMA_REVISION, sha256: digest })}\n`, this.dedicatedDir);
      this.known = digest;
    } catch {
      this.known = undefined;
    }
  }
}

function digestOf(text: string | Uint8Array): string {
  return sha256Hex(text);
}

function isRecord(v: unknown): v is { revision: number; sha256: string } {
  return v !== null && typeof v === 'object' && typeof (v as { sha256?: unknown }).sha256 === 'string';
}
