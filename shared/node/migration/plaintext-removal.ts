import { lstatSync, unlinkSync } from 'node:fs';
import type { ApplyResult, MigrationPlan } from '../../core/migration-plan';
import { listedNames } from '../../core/errors';
import { agreeing, counted } from '../../core/plural';
import { sourceContent, type ParsedSource } from '../../core/migration-sources';
import { shellWord } from '../../core/control-chars';
import type { ApplyOptions } from './apply';
import { isTheProfile } from './own-files';
import { readSource } from './sources';
import { isPlainFile } from './backups';
import { leftOutWays } from './left-out';

// What becomes of the plaintext after a migration: the files --remove-plaintext may delete, and the checks before any
// is (every entry in the vault, each file still as read, no second hard link); without it, whether the summary may
// offer the rm line.

/**
 * The files --remove-plaintext may delete: the ones this run created
 * (`created`: its backup) and the source the user gave, never a file found
 * by a name pattern. The source is not deleted when it is the profile itself
 * (migrated in place) or the HuggingFace CLI's token file found by default.
 */
export function removable(source: ParsedSource, options: ApplyOptions & { profilePath: string }, created: string[]): Removable {
  const keep = new Map<string, string>();
  const files: string[] = [];
  if (!isTheProfile(source.path, options.profilePath)) {
    if (source.kind === 'hf-token-file' && !options.sourceNamed) {
      keep.set(source.path, 'it is the HuggingFace CLI\'s login token, found by default; name it to delete it: cpw-vault migrate --from ' + source.path + ' --remove-plaintext (or huggingface-cli logout)');
    } else {
      files.push(source.path);
    }
  }
  return { files: [...files, ...created], keep, source };
}

/** What --remove-plaintext may delete, and what it keeps and why. */
export interface Removable {
  files: string[];
  keep: Map<string, string>;
  /** The source as read for the plan: each file is read again, and must still hold exactly that, before any is deleted. */
  source: ParsedSource;
}

/**
 * Whether `file` (the source, or this run's backup of it) holds what the
 * plan was made from: a key added to it while the confirmation waited, or
 * while the backup was made, would be deleted with it otherwise.
 */
function stillAsRead(file: string, source: ParsedSource): boolean {
  try {
    const now = readSource(file, process.env, source.path);
    return sourceContent(now) === sourceContent(source);
  } catch {
    return false;
  }
}

/**
 * Why the plaintext files are kept although every row was migrated: what the
 * source holds outside its rows would be lost with the file. A .env's
 * comments that may hold keys (never migrated), and a key given twice: only
 * its last value is a row, so an earlier one (an old key kept aside, or the
 * real key before an empty `KEY=`) was neither migrated nor checked. Undefined when neither.
 */
export function outsideRowsKept(source: Pick<ParsedSource, 'commentedKeys' | 'duplicateKeys'>): string | undefined {
  const commented = source.commentedKeys ?? [];
  const reasons: string[] = [];
  if (commented.length) reasons.push(`${counted(commented.length, 'comment')} ${agreeing(commented.length, 'holds', 'hold')} a value or what looks like a key (${listedNames(commented, String)}): comments are not migrated`);
  if (source.duplicateKeys.length) reasons.push(`${listedNames(source.duplicateKeys, String)} ${agreeing(source.duplicateKeys.length, 'appears', 'appear')} more than once: only the last value was migrated, and an earlier one was not checked against the vault`);
  if (!reasons.length) return undefined;
  const lost = commented.length + source.duplicateKeys.length;
  return `${reasons.join('; ')}. ${agreeing(lost, 'It', 'They')} would be lost with the file, so the plaintext files were kept. Check ${agreeing(lost, 'it', 'them')}, then delete the files yourself.`;
}

/**
 * Without --remove-plaintext the summary offers the rm line that deletes the
 * plaintext: not when --remove-plaintext would have kept it (a key given
 * twice, a commented-out key, a source edited while the confirmation waited),
 * or pasted it loses what the vault never got.
 */
function withKeepWhy(result: ApplyResult, which: Removable): ApplyResult {
  const src = which.source.path;
  // Only a source the user could delete: one migrated in place was rewritten by this run (its slots emptied).
  const mine = which.files.includes(src) || which.keep.has(src);
  const changed = mine && isPlainFile(src) && !stillAsRead(src, which.source);
  const why = outsideRowsKept(which.source) ?? (changed ? `${src} changed since it was read for the plan (an entry added or edited meanwhile), so it may hold what the vault does not. Run migrate again.` : undefined);
  return why ? { ...result, keepWhy: why } : result;
}

/**
 * --remove-plaintext: deletes exactly `which.files` (never by pattern), and
 * only when every entry of the source is now verified in the vault
 * (imported or identical): skipped conflicts, unknown or invalid entries
 * would be lost with the file. Every file is checked to be a plain file
 * before any is deleted. Whatever stays is listed in `keptFiles`, with why
 * in `kept` (the CLI then exits non-zero).
 */
export function removeIfAllMigrated(result: ApplyResult, plan: MigrationPlan, which: Removable, options: ApplyOptions): ApplyResult {
  if (!options.removePlaintext) return withKeepWhy(result, which);
  const reasons: string[] = [];
  const keptFiles = new Set<string>();
  const keep = (file: string, why: string) => {
    keptFiles.add(file);
    reasons.push(`${file}: ${why}.`);
  };
  const leftAt = result.rows.flatMap((r, i) => (r.status !== 'imported' && r.status !== 'identical' ? [i] : []));
  const left = leftAt.map((i) => result.rows[i]!);
  if (left.length) {
    const way = leftOutWays(leftAt.map((i) => plan.rows[i]!));
    result.kept = `${counted(left.length, 'entry', 'entries')} ${agreeing(left.length, 'was', 'were')} not migrated (${listedNames(left, (r) => r.sourceKey)}); the plaintext files were kept so nothing is lost: ${result.plaintextLeft.join(', ')}.${way}`;
    result.keptFiles = [...result.plaintextLeft];
    return result;
  }
  const outside = outsideRowsKept(which.source);
  if (outside) {
    result.kept = outside;
    result.keptFiles = [...result.plaintextLeft];
    return result;
  }
  for (const [file, why] of which.keep) keep(file, why);
  for (const file of result.plaintextLeft) {
    if (!which.files.includes(file) && !which.keep.has(file)) keep(file, `an earlier run made this backup; cpw-vault deletes only the files this run created or was given. Check it, then remove it yourself (rm -- ${shellWord(file)})`);
  }
  const odd = which.files.filter((f) => !isPlainFile(f));
  const changed = odd.length ? [] : which.files.filter((f) => !stillAsRead(f, which.source));
  // Deleting one name of a file with several frees nothing: "Removed plaintext" would be untrue.
  const linked = odd.length || changed.length ? [] : which.files.filter((f) => lstatSync(f).nlink > 1);
  if (odd.length) {
    for (const f of which.files) keep(f, odd.includes(f) ? 'not a regular file any more (a folder or a link took its place); nothing was deleted' : 'kept because another file could not be deleted safely; nothing was deleted');
  } else if (changed.length) {
    for (const f of which.files) keep(f, changed.includes(f) ? 'it changed since it was read for the plan (an entry added or edited meanwhile), so it may hold what the vault does not; nothing was deleted. Run migrate again' : 'kept with the file that changed; nothing was deleted');
  } else if (linked.length) {
    for (const f of which.files) keep(f, linked.includes(f) ? `another hard link to this file (a snapshot, cp -al) would keep its plaintext on disk after the delete; nothing was deleted. Find it: find "$(df -P -- ${shellWord(f)} | awk 'END {print $NF}')" -xdev -samefile ${shellWord(f)}; remove it, then run again` : 'kept with the file that has another hard link; nothing was deleted');
  } else {
    for (const file of which.files) {
      unlinkSync(file);
      result.removed.push(file);
    }
  }
  result.plaintextLeft = result.plaintextLeft.filter((f) => !result.removed.includes(f));
  if (result.backup && result.removed.includes(result.backup)) delete result.backup;
  if (keptFiles.size) {
    result.kept = reasons.join('\n');
    result.keptFiles = [...keptFiles];
  }
  return result;
}

