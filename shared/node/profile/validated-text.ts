import { version } from '../../../package.json';
import { sha256Hex } from '../builtins';
import { PROFILE_SCHEMA_REVISION } from '../../core/profile-version';
import { readSecureFile, type writeSecureFile } from './secure-fs';

/**
 * From this size on (~250 credentials) a validated text is remembered by its
 * digest; a shorter one by the text itself. node:crypto costs a command that
 * needs it for nothing else ~3.7 ms to load (a plain `doctor` was 3 ms slower
 * with a digest of a small profile), while a copy of the text costs nothing to
 * compare, and a small file to keep.
 */
export const DIGEST_FROM_BYTES = 64 * 1024;

/** What a record names: a small text itself, a large one by its SHA-256. */
type Known = { text: string } | { sha256: string };

/**
 * Which exact profile text this vault last wrote, after validating it, in a
 * small file beside the profile with the schema revision it was validated
 * against: the text itself below {@link DIGEST_FROM_BYTES}, its SHA-256 from
 * there on. A full read of that exact text is the writer's own output — a
 * fixed point of the schema — and skips the schema pass: at 10,000
 * credentials it costs more than the rest of a command, and for a small
 * profile making the schema alone (~110 zod schemas, ~3.5 ms) is a third of
 * what a plain `doctor` adds to a `get`. Why the content and not the file's
 * stamp: an edit, a restore or a copy from elsewhere is always validated
 * again, whatever its times (on coarse timestamps, an edit in place of the
 * same size within the write's second keeps the stamp). The profile holds
 * no secret (a text holding one is refused, never recorded), and the record
 * is written as the profile is (0600, in its folder).
 * Only ever a shortcut: a missing, foreign, damaged or stale record means
 * "validate", never an error. Stale includes another build's: the record
 * names the cpw-vault version that validated the text besides the schema's
 * revision, since a revision bumped by hand was missed by schema changes
 * (and a text another build took, with a field this one fills in, read
 * unchecked, failed later with INTERNAL errors).
 */
export class ValidatedText {
  private known: Known | undefined;

  constructor(
    private readonly path: string,
    private readonly dedicatedDir: boolean,
    private readonly write: typeof writeSecureFile,
    /** Texts from this size on are remembered by their digest (see {@link DIGEST_FROM_BYTES}). */
    private readonly fromBytes = DIGEST_FROM_BYTES,
  ) {}

  /** True when `text` is exactly what the last validated write produced. */
  matches(text: string): boolean {
    let digest: string | undefined;
    // A small text is never digested (node:crypto is not loaded for it); a large one only against a digest. Large in
    // UTF-8 bytes, as remember() decides: a text of multi-byte characters has fewer UTF-16 units than bytes.
    const names = (k: Known | undefined) => !!k && ('text' in k ? k.text === text : Buffer.byteLength(text) >= this.fromBytes && k.sha256 === (digest ??= sha256Hex(text)));
    if (names(this.known)) return true;
    this.known = this.record();
    return names(this.known);
  }

  /**
   * Records `text` (just written, validated) as the current one: below
   * `fromBytes` as it is (bytes as the UTF-8 text a reader decodes), else by
   * its digest (its UTF-8 bytes digest as the string does). A failure only
   * costs the next reader a schema pass.
   */
  async remember(text: string | Uint8Array): Promise<void> {
    const known: Known = text.length < this.fromBytes ? { text: typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8') } : { sha256: sha256Hex(text) };
    try {
      await this.write(this.path, `${JSON.stringify({ revision: PROFILE_SCHEMA_REVISION, build: version, ...known })}\n`, this.dedicatedDir);
      this.known = known;
    } catch {
      this.known = undefined;
    }
  }

  /** The record as this build wrote it; undefined for none, another build's, a damaged or foreign one, or one too large to be ours. */
  private record(): Known | undefined {
    try {
      // A text below fromBytes, escaped in JSON (\u00XX at worst), and the rest of the line.
      const record = JSON.parse(readSecureFile(this.path, { warn: () => {}, maxBytes: 6 * this.fromBytes + 1024 }).text) as unknown;
      if (record === null || typeof record !== 'object') return undefined;
      const { revision, build, text, sha256 } = record as { revision?: unknown; build?: unknown; text?: unknown; sha256?: unknown };
      if (revision !== PROFILE_SCHEMA_REVISION || build !== version) return undefined;
      return typeof text === 'string' ? { text } : typeof sha256 === 'string' ? { sha256 } : undefined;
    } catch {
      return undefined;
    }
  }
}
