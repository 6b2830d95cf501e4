import { version } from '../../package.json';
import type { EnvVarClash } from '../core/env-var-names';
import type { CredentialView } from '../core/views';
import { lstatSync, unlinkSync } from 'node:fs';
import { removeOwnFile } from '../node/profile/file-access';
import { PROFILE_READ_LIMIT, readSecureBytes, writeSecureFile } from '../node/profile/secure-fs';
import { orphanTemps } from '../node/profile/temp-files';
import { findSortedLine, sortKey } from '../node/profile/sorted-lines';
import type { ListingState } from '../node/vault/read-sources';

/**
 * What `cpw-vault list` printed, kept beside the profile (`profile.listing`,
 * 0600) so that a list of 10,000 credentials reads one file instead of
 * parsing the 2.4 MB profile and building 10,000 rows (190 ms where a list
 * of 10 takes 48). Only ever a shortcut: a list that finds none, or one that
 * does not match, makes its rows as it would without it, then keeps them.
 *
 * Made from, and used only while they have the same stamps (inode, size,
 * mtime, ctime): the profile, its index overlay, the usage marks' folder
 * (a read that marks a credential used moves the folder's times too) and the
 * credential journal. What a row depends on besides those files is checked
 * at each use: which credentials the environment's variables carry (a row
 * then says `env NAME`; the cache keeps, by variable name, the credentials
 * each may carry, found by binary search). The values shown in full (those
 * that are no secret) live in the profile itself. The notes after the table
 * (a locked or unreachable store) are never cached.
 *
 * A stamp can hide a change made within the same tick of a file system's
 * clock (as git's index knows: "racily clean"): a cache whose own
 * modification time is not RACY_MS past the newest of those files' times is
 * not used, and none is written then.
 *
 * The text is UTF-8:
 *   cpw-vault list cache 1 <cpw-vault version>
 *   <the files' stamps, as ListingState.key>
 *   <JSON: the clash warnings, the env rows it was made with, the lengths of the names block and of the table>
 *   <names block: sortKey(NAME) TAB JSON [[credential id, NAME's rank among its variables], ...], one line per name, sorted>
 *   <the table, as printed>
 */
const MAGIC = `cpw-vault list cache 1 ${version}`;
/** Coarser than any clock a home folder sits on (FAT's 2 s): a change this close to the cache's making may be unseen. */
export const RACY_MS = 2_000;

/** What list prints from its rows: the table (kept: its bytes, as printed), and the env var clash warnings said after it. */
export interface Listing {
  table: string | Buffer;
  clashes: EnvVarClash[];
}

const NL = 0x0a;
const TAB = 0x09;

class DamagedCache extends Error {}

/** The listing kept for `state`, when it matches the files and this environment; undefined otherwise (then list makes it). */
export function readListing(state: ListingState, env: Readonly<Record<string, string | undefined>>): Listing | undefined {
  try {
    let loose = false;
    const { bytes, stamp } = readSecureBytes(state.cachePath, { warn: () => void (loose = true), maxBytes: PROFILE_READ_LIMIT });
    if (loose || stamp.mtimeMs - state.newestMs <= RACY_MS) return undefined;
    const ends = [bytes.indexOf(NL)];
    for (let i = 1; i < 3 && ends[i - 1]! >= 0; i++) ends.push(bytes.indexOf(NL, ends[i - 1]! + 1));
    const [head, keyEnd, metaEnd] = ends as [number, number, number];
    if (metaEnd < 0 || bytes.toString('utf8', 0, head) !== MAGIC || bytes.toString('utf8', head + 1, keyEnd) !== state.key) return undefined;
    const meta = JSON.parse(bytes.toString('utf8', keyEnd + 1, metaEnd)) as { clashes: EnvVarClash[]; fromEnv: string[]; names: number; table: number };
    const namesEnd = metaEnd + 1 + meta.names;
    if (!wellFormed(meta) || namesEnd + meta.table !== bytes.length) return undefined;
    if (envRows(bytes, metaEnd + 1, namesEnd, env).join('\n') !== meta.fromEnv.join('\n')) return undefined;
    // Bytes, as they go out: decoding 800 KB of rows to encode them again cost a list of 10,000 3 ms.
    return { table: bytes.subarray(namesEnd), clashes: meta.clashes };
  } catch {
    return undefined; // none, not ours, damaged: list makes its rows
  }
}

const isText = (x: unknown): x is string => typeof x === 'string';
const isTexts = (x: unknown): x is string[] => Array.isArray(x) && x.every(isText);

/** The meta line as keepListing writes it (a damaged one must not throw where its parts are printed). */
function wellFormed(meta: { clashes: unknown; fromEnv: unknown; names: unknown; table: unknown }): boolean {
  const isSize = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  return (
    Array.isArray(meta.clashes) &&
    meta.clashes.every((c: Partial<EnvVarClash> | null) => c !== null && typeof c === 'object' && isText(c.id) && isText(c.name) && isTexts(c.others) && (c.own === undefined || c.own === true)) &&
    isTexts(meta.fromEnv) &&
    isSize(meta.names) &&
    isSize(meta.table)
  );
}

/**
 * The rows a list shows from an env var here ("<id> <NAME>", sorted): each credential whose variables include one
 * set (not blank), by the first of its variables that is, as the read side picks it (env-reads.ts).
 */
function envRows(bytes: Buffer, from: number, to: number, env: Readonly<Record<string, string | undefined>>): string[] {
  const picked = new Map<string, { rank: number; name: string }>();
  for (const name in env) {
    if (!env[name]?.trim()) continue;
    const start = findSortedLine(bytes, from, to, sortKey(name), () => new DamagedCache());
    if (start < 0) continue;
    const carried = JSON.parse(bytes.toString('utf8', bytes.indexOf(TAB, start) + 1, bytes.indexOf(NL, start))) as Array<[string, number]>;
    for (const [id, rank] of carried) {
      const had = picked.get(id);
      if (!had || rank < had.rank) picked.set(id, { rank, name });
    }
  }
  return [...picked].map(([id, { name }]) => `${id} ${name}`).sort();
}

/**
 * Keeps `listing`, made from `creds` read while the files had the stamps of `before`, when they still have them
 * (`after`) and none changed too recently to tell (see RACY_MS); else removes the cache there (list makes its rows
 * only when none matched): it shows what the profile held before (a deleted credential's hint, an organization ID
 * since replaced, in full), and a list within the racy margin of the change would leave it until a later list
 * replaced it. A failure only costs the next list its rows.
 */
export async function keepListing(before: ListingState, after: ListingState | undefined, listing: Listing & { table: string }, creds: readonly CredentialView[]): Promise<void> {
  if (after?.key !== before.key || Date.now() - after.newestMs <= RACY_MS) return removeOwnFile(before.cachePath);
  const carriers = new Map<string, Array<[string, number]>>();
  for (const c of creds) c.envVars.forEach((name, rank) => (carriers.get(name) ?? carriers.set(name, []).get(name)!).push([c.id, rank]));
  const names = [...carriers].map(([name, ids]) => `${sortKey(name)}\t${JSON.stringify(ids)}\n`).sort().join('');
  const fromEnv = creds.flatMap((c) => (c.source?.kind === 'env' ? [`${c.id} ${c.source.name}`] : [])).sort();
  const meta = JSON.stringify({ clashes: listing.clashes, fromEnv, names: Buffer.byteLength(names), table: Buffer.byteLength(listing.table) });
  try {
    removeKilledWrites(after.cachePath);
    await writeSecureFile(after.cachePath, `${MAGIC}\n${after.key}\n${meta}\n${names}${listing.table}`, after.dedicatedDir);
  } catch {
    // only a shortcut
  }
}

/**
 * Removes the temp files of lists killed while they wrote the cache (`profile.listing.tmp-<hex>`, ours, regular
 * files): the profile's cleanup does not know this name, so each kill left a copy of the table (up to megabytes)
 * for good. Only those older than RACY_MS: a list writing one now (in milliseconds) keeps it.
 */
function removeKilledWrites(cachePath: string): void {
  for (const file of orphanTemps(cachePath, false)) {
    try {
      if (Date.now() - lstatSync(file).mtimeMs > RACY_MS) unlinkSync(file);
    } catch {
      // gone already (another list removed it)
    }
  }
}
