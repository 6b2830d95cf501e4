import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { splitCredentialId, valueProblem } from '../../shared/core/credential';
import { agreeing, counted } from '../../shared/core/plural';
import type { PlanRow, RowAction } from '../../shared/core/migration-plan';
import { sourceContent, type ParsedSource } from '../../shared/core/migration-sources';
import { VaultError, isVaultError, listedNames } from '../../shared/core/errors';
import type { MigrationRequest, MigrationSource } from '../../shared/core/ipc-contract';
import { outsideRowsKept } from '../../shared/node/migration/plaintext-removal';
import { isTheProfile } from '../../shared/node/migration/own-files';
import { foundAt, hfTokenPath, readSource } from '../../shared/node/migration/sources';
import { LEGACY_SECRETS_PATH } from '../../shared/node/profile/paths';
import type { MainDeps } from './handlers';
import { oneAtATime } from './one-at-a-time';
import { keptFix, SourceRegistry, backupsOf, checkDroppedPath, inAppTerms, refuseOwnFiles } from './source-registry';

/** Migration: sources as handles (found by main, picked in main's dialog, dropped and confirmed), plan, apply, remove plaintext. */
export function migrationHandlers(deps: MainDeps) {
  const { vault } = deps;
  const registry = new SourceRegistry();
  const own = vault.ownFiles;
  const choices = (request: MigrationRequest) => ({
    overwrite: request.overwrite === 'all' ? ('all' as const) : new Set(request.overwrite ?? []),
    includeUnknown: !!request.includeUnknown,
  });
  /** A seed 1.0 profile holding plaintext is a source; the user's own current profile never is. */
  const seedProfile = () => {
    try {
      vault.getProfile();
      return false;
    } catch (err) {
      return isVaultError(err, 'PROFILE_PLAINTEXT');
    }
  };
  const discover = (): MigrationSource[] => {
    const found = [resolve(deps.cwd, LEGACY_SECRETS_PATH), ...(seedProfile() ? [vault.profilePath] : []), hfTokenPath(deps.env, deps.env['HOME'] ?? homedir())];
    // Only the user's own files, as doctor reads them: another user's (a shared HF_HOME, a link planted in a home others
    // can write) was listed as found, and planning it was then refused as "belongs to another user"; a FIFO there was
    // listed too, then refused as "not a regular file". migrate with no --from passes over the same ones (foundAt).
    return found.flatMap((p) => {
      const f = foundAt(p);
      return f && f.passedOver === undefined ? [registry.grant(p, 'found')] : [];
    });
  };
  /** True when deleting this entry's file loses nothing: it is stored with the same value (an unknown key as its custom credential), or it was empty. */
  const heldInVault = async (row: PlanRow, value: unknown): Promise<boolean> => {
    if (row.action === 'identical' || valueProblem(value)?.rule === 'empty') return true;
    if (row.action !== 'unknown' || !row.target || typeof value !== 'string') return false;
    const { service, key } = splitCredentialId(row.target);
    return (await vault.findCredential(service, key))?.value === value.trim();
  };
  const parsed = (request: { source: string }) => {
    const source = registry.resolve(request.source);
    try {
      return { source, parsed: readSource(source.path, deps.env) };
    } catch (err) {
      throw inAppTerms(err, source.path);
    }
  };
  // What a plan was made from, as a tag the renderer hands back to apply: keyed per session, so it says nothing of the values.
  const tagKey = randomBytes(32);
  const contentTag = (p: ParsedSource) => createHmac('sha256', tagKey).update(sourceContent(p)).digest('hex');

  return {
    migrationSources: async () => discover(),
    migrationPickFile: async () => {
      const path = await deps.dialog.chooseSecretsFile();
      if (!path) return null;
      refuseOwnFiles(path, own);
      return registry.grant(path, 'picked');
    },
    migrationDrop: async (path: string) => {
      const full = checkDroppedPath(path, own);
      return (await deps.dialog.confirmSource(full)) ? registry.grant(full, 'dropped') : null;
    },
    migrationPlan: async (request: MigrationRequest) => {
      const { source, parsed: p } = parsed(request);
      return { source, plan: await vault.planMigration(p, choices(request)), reviewed: contentTag(p) };
    },
    // One at a time: the same reviewed plan fired three times at once (a hostile page) was applied three times, each
    // run "imported" and leaving its own plaintext backup; queued, the later ones find it all stored (identical).
    migrationApply: oneAtATime(async (request: MigrationRequest) => {
      const { source, parsed: p } = parsed(request);
      // Only what the user reviewed is written: a file changed since its plan was shown (other keys, other values) is refused.
      if (request.reviewed !== contentTag(p)) {
        throw new VaultError('INVALID_ARGUMENT', `${source.path} changed since its plan was shown (or no plan was shown); nothing was changed.`, 'Review the plan shown now, then press Migrate again.');
      }
      return vault.applyMigration(p, await vault.planMigration(p, choices(request)));
    }),
    migrationRemovePlaintext: async (request: { source: string }) => {
      const source = registry.resolve(request.source);
      const inPlace = isTheProfile(source.path, vault.profilePath);
      // A look-alike backup another user planted beside it (or a link) is not the user's to delete (nor a reason to stop).
      const backups = backupsOf(source.path);
      const files = [...(!inPlace && existsSync(source.path) ? [source.path] : []), ...backups];
      if (!files.length) return { cancelled: false, removed: [], left: [] };
      // Every file to delete is checked against the vault now (each backup too: an older one may hold other keys).
      const lost = new Set<string>();
      const lostActions = new Set<RowAction>();
      const outside: string[] = [];
      const checked = new Map<string, string>();
      if (!inPlace) refuseOwnFiles(source.path, own);
      for (const file of files) {
        const p = readSource(file, deps.env, source.path);
        checked.set(file, contentTag(p));
        const why = outsideRowsKept(p);
        if (why && !outside.includes(why)) outside.push(why);
        const plan = await vault.planMigration(p);
        for (const r of plan.rows) {
          if (await heldInVault(r, p.entries[r.index]?.value)) continue;
          lost.add(r.sourceKey);
          lostActions.add(r.action);
        }
      }
      if (lost.size) {
        const kept = `${counted(lost.size, 'entry', 'entries')} ${agreeing(lost.size, 'is', 'are')} not in the vault (${listedNames([...lost], String)}); the plaintext files were kept so nothing is lost.`;
        return { cancelled: false, removed: [], left: files, kept, fix: keptFix(lostActions) };
      }
      if (outside.length) return { cancelled: false, removed: [], left: files, kept: outside.join('\n') };
      // Deleting one name of a file with several frees nothing: a snapshot's hard link (cp -al) keeps the plaintext.
      const linked = files.filter((f) => (lstatSync(f, { throwIfNoEntry: false })?.nlink ?? 1) > 1); // one gone since its read: left to the check below
      if (linked.length) return { cancelled: false, removed: [], left: files, kept: `${linked.join(', ')}: another hard link to ${linked.length === 1 ? 'this file' : 'these files'} (a snapshot, cp -al) would keep the plaintext on disk after the delete; nothing was removed. Remove that link first (find it with: find MOUNT -xdev -samefile FILE).` };
      if (!(await deps.dialog.confirmRemovePlaintext(files))) return { cancelled: true, removed: [], left: files };
      // The dialog may have stayed open a while: a file changed meanwhile (a key added) may hold what the vault does not.
      const changed = files.filter((f) => {
        try {
          return contentTag(readSource(f, deps.env, source.path)) !== checked.get(f);
        } catch {
          return true;
        }
      });
      if (changed.length) return { cancelled: false, removed: [], left: files, kept: `${changed.join(', ')} changed while you answered (an entry added or edited); nothing was removed. Look at the plan again.` };
      for (const f of files) rmSync(f, { force: true });
      return { cancelled: false, removed: files, left: [] };
    },
  };
}
