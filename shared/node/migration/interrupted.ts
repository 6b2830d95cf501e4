import { isPlainFile } from './backups';
import { basename, dirname, join } from 'node:path';
import { shellWord } from '../../core/control-chars';
import type { Transaction } from '../../core/journal';
import { ABANDONED_AFTER_MS, isCurrentProcess, ownerIsGone, ownerName, shown } from '../profile/owner';

/**
 * A migration a crash (`kill -9`, a power cut) left unfinished: its journal
 * entry still names the plaintext backup it made. The next start that can
 * ask the secret store rolls it forward (each credential as the store holds
 * it) and deletes that backup; until then the backup is a copy of every key
 * of the source, and only the journal knew of it (doctor looked for backups
 * of ./config/secrets.json and of the profile only).
 */
export interface InterruptedMigration {
  backup: string;
  /** The file it copied: beside the backup, by the backup's name (not found when --backup-dir put the backup elsewhere). */
  source: string | undefined;
  /** The copied file's name, to say which file to migrate again when `source` is not found. */
  sourceName: string;
  started_at: string;
  owner: string;
}

/**
 * The migrations in `journal` whose writer is gone (due for recovery, as the
 * credential store judges it), one per backup they name. Read before the
 * vault opens: its start rolls them forward and leaves no trace of them.
 */
export function interruptedMigrations(journal: readonly Transaction[], now = Date.now()): InterruptedMigration[] {
  return journal.flatMap((tx) => {
    if (!tx.files?.length || isCurrentProcess(tx.owner) || !ownerIsGone(tx.owner, Date.parse(tx.started_at), ABANDONED_AFTER_MS, now)) return [];
    return tx.files.map((backup) => {
      const sourceName = basename(backup).replace(/\.backup-[^.]*$/, '');
      const beside = join(dirname(backup), sourceName);
      return { backup, source: isPlainFile(beside) ? beside : undefined, sourceName, started_at: shown(tx.started_at), owner: ownerName(tx.owner) };
    });
  });
}

/** What doctor says of an interrupted migration, after the vault's start had its chance to roll it forward. */
export interface InterruptedMigrationNote {
  backup: string;
  source: string | null;
  started_at: string;
  owner: string;
  /** The backup is still on disk: the change is not finished (the secret store could not be asked). */
  backup_left: boolean;
  message: string;
  fix: string;
}

/**
 * Doctor's words for each migration in `found` (see interruptedMigrations),
 * names and paths only, never a value. A backup still there: the change is
 * unfinished, and `doctor --repair` (once the store answers: `storeOk`)
 * finishes it and deletes the backup. One rolled forward by this start: the
 * migration stands half done, and the source still holds every key.
 */
export function interruptedMigrationNotes(found: readonly InterruptedMigration[], storeOk: boolean): InterruptedMigrationNote[] {
  return found.map((m) => {
    const left = isPlainFile(m.backup);
    const again = `cpw-vault migrate --from ${m.source ? shellWord(m.source) : `<your ${m.sourceName}>`} (with the options the first run had, such as --include-unknown)`;
    const base = { backup: m.backup, source: m.source ?? null, started_at: m.started_at, owner: m.owner, backup_left: left };
    if (left) {
      const first = storeOk ? '' : 'Make the keychain usable first (see above), then run: ';
      return {
        ...base,
        message: `${m.backup} is the backup a migration killed midway made (started at ${m.started_at} by ${m.owner}): it holds in plaintext every key it copied, and that change is not finished yet (some credentials may be in the keychain and not in the index).`,
        fix: `${first}${storeOk ? 'Run: ' : ''}cpw-vault doctor --repair (it finishes the change, keeping each credential as the keychain holds it, and deletes this backup); then migrate the rest again: ${again}`,
      };
    }
    return {
      ...base,
      message: `A migration killed midway (started at ${m.started_at} by ${m.owner}) was finished as far as it got: the credentials it had stored are indexed, the rest were not migrated, and its backup ${m.backup} was deleted. ${m.source ?? `Your ${m.sourceName}`} still holds every key in plaintext.`,
      fix: `Migrate the rest again: ${again}`,
    };
  });
}

/** How the line a start says of a migration it finished begins (doctor, which reports it in its own words, mutes it). */
export const FINISHED_MIGRATION = 'finished a migrate killed midway';

/**
 * The one line the command whose start rolled migration `m` forward says of
 * it: which migration, that the source still holds the keys not migrated,
 * and the command that finishes the job. Paths and names only, never a value.
 */
export function finishedMigrationLine(m: InterruptedMigration): string {
  const source = m.source ? shellWord(m.source) : `<your ${m.sourceName}>`;
  return `${FINISHED_MIGRATION} (started at ${m.started_at} by ${m.owner}) as far as it got, and deleted its backup ${shellWord(m.backup)}: ${m.source ?? `your ${m.sourceName}`} still holds the keys it did not migrate, in plaintext. To finish: cpw-vault migrate --from ${source}`;
}

