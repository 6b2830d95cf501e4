// The history of cpw-vault before it was append-only: one JSON array of runs
// (`runs.json`), read and folded in by the first compaction, then renamed.
import { renameSync } from 'node:fs';
import { parseOwnJson } from '../../core/json-depth';
import { isoNow } from '../../core/iso-time';
import type { RunRecord } from '../../core/records';
import { isPrivateFile, readSecureFile, stampOf } from '../profile/secure-fs';
import { isRun } from './run-events';

/** Largest old runs.json read (a whole JSON array). */
const MAX_READ_BYTES = 256 * 1024 * 1024;

/** The old JSON-array history at `path` (none: no such history). */
export class LegacyHistory {
  /** Whether the file read last was a list of runs (only then is it renamed once folded in). */
  private isRuns = false;
  private warned = false;

  /**
   * `mayBeForeign`: the file's name is common outside cpw-vault's folder (the first versions' `runs.json` beside a
   * named profile, in a project): used only when it is a list of runs, and otherwise left alone (never set aside or renamed).
   */
  constructor(readonly path: string | undefined, private readonly mayBeForeign: boolean, private readonly warn: (message: string) => void, private readonly messageOf: (err: unknown) => string) {}

  /**
   * Its runs; a damaged one is set aside (0600, renamed) with a warning, and
   * a new history starts. One that cannot be trusted or read (a link, a fifo,
   * writable by others, another user's) is skipped, said once: runs.jsonl,
   * intact, is still listed and compacted.
   */
  read(): RunRecord[] {
    this.isRuns = false;
    const legacy = this.path;
    if (!legacy || !stampOf(legacy)) return [];
    if (this.mayBeForeign) {
      // cpw-vault wrote it 0600: a file others may read (a repository's, a download) is not a history of this user's runs.
      if (!isPrivateFile(legacy)) return [];
      let parsed: unknown;
      try {
        parsed = parseOwnJson(this.readText(legacy));
      } catch {
        return [];
      }
      this.isRuns = Array.isArray(parsed) && parsed.length > 0 && parsed.every(isRun);
      return this.isRuns ? (parsed as RunRecord[]) : [];
    }
    let text: string;
    try {
      text = this.readText(legacy);
    } catch (err) {
      if (!this.warned && (err as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`the old history ${legacy} was skipped: ${this.messageOf(err)}`);
      this.warned = true;
      return [];
    }
    const parsed = parseOwnJson(text);
    this.isRuns = true;
    if (Array.isArray(parsed)) return (parsed as unknown[]).filter(isRun);
    const aside = `${legacy}.damaged-${isoNow().replace(/[-:.]/g, '')}`;
    try {
      renameSync(legacy, aside);
      this.warn(`${legacy} was damaged; it is kept as ${aside} and a new history started.`);
    } catch {
      // another process set it aside first
    }
    return [];
  }

  /** Renames the file read last, once a compaction folded it in (a list of runs only: see `mayBeForeign`). */
  retire(): void {
    if (this.path && this.isRuns && stampOf(this.path)) renameSync(this.path, `${this.path}.imported`);
  }

  private readText(path: string): string {
    if (!stampOf(path)) return '';
    return readSecureFile(path, { warn: this.warn, maxBytes: MAX_READ_BYTES }).text;
  }
}
