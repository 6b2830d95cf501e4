/**
 * Migration sources as opaque handles. Main mints a handle only for a file
 * it found itself, one the user chose in main's own dialog, or a dropped
 * file the user confirmed in main's dialog; the renderer can only name a
 * handle, never a path, so a compromised page cannot make main read, reveal
 * or delete any other file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { refuseOwnFiles, type OwnFiles } from '../../shared/node/migration/own-files';
import { refuseKernelFiles } from '../../shared/node/migration/system-files';
import { hasControlChars } from '../../shared/core/control-chars';
import { hasLoneSurrogate } from '../../shared/core/credential';
import { VaultError, isVaultError } from '../../shared/core/errors';
import type { MigrationSource } from '../../shared/core/ipc-contract';
import type { RowAction } from '../../shared/core/migration-plan';
import { MAX_SOURCE_BYTES } from '../../shared/core/migration-sources';

const unknownHandle = () =>
  new VaultError('INVALID_ARGUMENT', 'That migration source is not one cpw-vault offered.', 'Choose the file with "Choose a file…", or drop it on the Migration screen.');

/** The handles of one app session. */
export class SourceRegistry {
  private readonly byHandle = new Map<string, MigrationSource>();
  private readonly byPath = new Map<string, string>();

  /** The handle of `path` (the same one every time), minted if new. */
  grant(path: string, origin: MigrationSource['origin']): MigrationSource {
    const full = resolve(path);
    const known = this.byPath.get(full);
    if (known) return this.byHandle.get(known)!;
    const source: MigrationSource = { handle: randomBytes(16).toString('hex'), path: full, origin };
    this.byHandle.set(source.handle, source);
    this.byPath.set(full, source.handle);
    return source;
  }

  /** The source of a handle main minted; INVALID_ARGUMENT for anything else. */
  resolve(handle: string): MigrationSource {
    const source = this.byHandle.get(handle);
    if (!source) throw unknownHandle();
    return source;
  }
}

/**
 * Checks a path the preload says was dropped, before main asks the user
 * about it: absolute, shown as it is (no control or broken characters), a
 * regular file (not a link, folder or device) on a real file system (not
 * /proc or /sys), at most the migration size limit, and not one of
 * cpw-vault's own files.
 */
export function checkDroppedPath(path: string, own: OwnFiles): string {
  if (!isAbsolute(path) || path.includes('\0')) throw new VaultError('INVALID_ARGUMENT', 'That dropped item is not a file on this computer.', 'Drop a secrets.json, .env or token file from your file manager.');
  // main's dialog shows the path as it is, and it is what guards the read: a name with a line break or a text-direction
  // override ("secrets\u202Etxt.env") would make it show another file, and every message below would echo it too.
  if (hasControlChars(path) || hasLoneSurrogate(path)) {
    throw new VaultError('INVALID_ARGUMENT', 'The dropped file\'s path holds control characters (a line break, an escape sequence, a text-direction override) or a broken character, so cpw-vault cannot show you which file it is; nothing was read.', 'Rename the file (or its folder), then drop it again.');
  }
  const full = resolve(path);
  refuseOwnFiles(full, own);
  const s = lstatSync(full, { throwIfNoEntry: false });
  if (!s) throw new VaultError('INVALID_ARGUMENT', `${full} does not exist.`, 'Drop the file again from your file manager.');
  if (s.isSymbolicLink()) throw new VaultError('INVALID_ARGUMENT', `${full} is a symbolic link; refusing to follow it.`, 'Drop the real file.');
  if (!s.isFile()) throw new VaultError('INVALID_ARGUMENT', `${full} is not a regular file.`, 'Drop a secrets.json, .env or token file.');
  // /proc/self/environ passes as a regular file of size 0, and main would have asked the user about it as a source.
  refuseKernelFiles(full, 'Drop a secrets.json, .env or token file.');
  if (s.size > MAX_SOURCE_BYTES) throw new VaultError('INVALID_ARGUMENT', `${full} is ${s.size} bytes; migration sources are at most ${MAX_SOURCE_BYTES} bytes.`, 'Check that this is the right file.');
  return full;
}

/**
 * What to do in the app when entries are not in the vault yet (the CLI says it with flags), by what kept them out
 * (`actions`: their plan rows'). An invalid entry (a key's shape for a name, a value no credential takes) is one
 * migration cannot take: "Migrate them" sent the user back to a plan that offered nothing to migrate.
 */
export function keptFix(actions: ReadonlySet<RowAction>): string {
  const invalid = actions.has('invalid');
  const migratable = [...actions].some((a) => a !== 'invalid');
  const ways = [
    migratable ? `Store each of ${invalid ? 'the others' : 'them'} first: Migrate them (tick Overwrite on a conflict, or "Import unknown keys as custom credentials"), or add one on the Credentials screen` : '',
    invalid ? `${migratable ? 'An invalid entry' : 'Invalid entries'} cannot be migrated (the plan's note on each says why): correct it in the file and look at the plan again, or store its key on the Credentials screen under a name of its own` : '',
  ].filter(Boolean);
  return `${ways.join('. ')}; or take out of the file what you do not need. Then remove the files again.`;
}

/** What the app says instead of a command-line step: the Migration screen's own ways to give a file. */
export const APP_SOURCE_FIX = 'Choose another file with "Choose a file…", or drop one on this window.';

/**
 * A source read's error in the app's terms. readSource speaks to the CLI (its fixes name --from, the one way to give a
 * file there); in the app a file is chosen or dropped. A file gone since it was listed (removed, moved) says so.
 */
export function inAppTerms(err: unknown, path: string): unknown {
  if (!isVaultError(err) || !/--from\b/.test(err.fix)) return err;
  const gone = !existsSync(path);
  const message = gone ? `${path} is no longer there (removed or moved since cpw-vault listed it); nothing was read.` : err.message;
  // A fix with a step of its own before the flag (convert the file first) keeps it, naming the app's way instead.
  const converted = /^(.*), then --from (\S+)$/.exec(err.fix);
  const fix = converted ? `${converted[1]}, then choose ${converted[2]} with "Choose a file…".` : APP_SOURCE_FIX;
  return new VaultError(err.code, message, fix, err.fields ? { fields: err.fields } : undefined);
}

export { refuseOwnFiles, type OwnFiles };

export { backupsOf } from '../../shared/node/migration/backups';
