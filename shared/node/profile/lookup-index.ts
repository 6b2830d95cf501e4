import { envVarOf } from '../../core/env-var-names';
import { indexedMeta, type IndexedMeta } from '../../core/profile-index';
import type { CredentialId } from '../../core/credential';
import { findSortedLine, sortKey } from './sorted-lines';
import { PROFILE_READ_LIMIT, readSecureBytes, sameStamp, type FileStamp, type writeSecureFile } from './secure-fs';

/**
 * A lookup copy of the profile's credential index, beside the profile, so a
 * read finds one credential without parsing the whole profile (at 10,000
 * credentials the profile is 2.4 MB and parsing it costs a `get` more than
 * everything else it does). Written by the profile writer after each write,
 * under the profile's lock, and only ever a shortcut: it names the stamp
 * (inode, size, mtime, ctime) of the profile it was made from, and a reader
 * uses it only while the profile still has exactly that stamp. An edit, a
 * restore, a writer killed between the two files, a damaged, foreign or
 * missing copy: the reader parses the profile, as it would without it.
 *
 * The text is UTF-8, one record per line (JSON escapes every newline and tab
 * inside its strings; the ids are ASCII, escaped if need be, so they sort by
 * their bytes):
 *   cpw-vault profile index 2 <ino> <size> <mtimeMs> <ctimeMs> <keychain count>
 *   <the profile without its credential_metadata, JSON>
 *   <the env var each custom credential carries, to its id, JSON>  (customEnvVars; parsed only by a custom `set`)
 *   <credential id, JSON string> TAB <its metadata, JSON>     (one line each, sorted by id)
 * so a lookup is a binary search of the bytes and one small JSON.parse. A
 * caller that needs every credential (list) parses the profile: JSON.parse
 * of the profile costs no more than reading them all from here would.
 */
const MAGIC = 'cpw-vault profile index 2';

/** A damaged line in a lookup copy: the caller reads the profile instead. */
export class DamagedLookup extends Error {
  constructor() {
    super('damaged lookup index line');
  }
}

function parsedOrDamaged(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DamagedLookup();
  }
}

/** The lookup text of a profile document written with `stamp`. */
export function lookupIndexText(doc: Record<string, unknown>, stamp: FileStamp): string {
  const metadata = (doc['credential_metadata'] ?? {}) as Record<string, unknown>;
  const lines: string[] = [];
  // Object.fromEntries-like, with own properties only ("__proto__" as a name of its own): JSON.parse reads them back so.
  const envVars: Record<string, string> = Object.create(null) as Record<string, string>;
  let keychain = 0;
  for (const id in metadata) {
    if (!Object.hasOwn(metadata, id)) continue;
    const meta = metadata[id];
    const indexed = indexedMeta(meta);
    if (indexed?.storage === 'keychain') keychain++;
    const name = indexed ? envVarOf(id, indexed) : undefined;
    if (name) envVars[name] = id;
    lines.push(`${sortKey(id)}\t${JSON.stringify(meta)}\n`);
  }
  // Sorted by key, so a reader finds one by binary search. Whole lines sort as their keys do: a key is a JSON
  // string (ASCII, its quotes inside escaped), so two keys differ at or before the closing quote of the shorter.
  lines.sort();
  const head = JSON.stringify({ ...doc, credential_metadata: {} });
  return `${MAGIC} ${stamp.ino} ${stamp.size} ${stamp.mtimeMs} ${stamp.ctimeMs} ${keychain}\n${head}\n${JSON.stringify(envVars)}\n${lines.join('')}`;
}

/** A lookup copy that matches the profile as it is now. */
export interface LookupIndex {
  /** The profile document without its credential metadata (credential_metadata is {}). */
  head: Record<string, unknown>;
  keychainCount: number;
  /** The metadata of `id` as stored; undefined when not indexed; throws when its line is damaged. */
  meta(id: CredentialId): IndexedMeta | undefined;
  /** The credential that carries env var `name` (as customEnvVars says), if any; throws when the copy is damaged. */
  envVarOwner(name: string): CredentialId | undefined;
}

const NL = 0x0a;

/** Parses the lookup copy `bytes`, or undefined when it is not one made from a profile with `stamp`. */
export function parseLookupIndex(bytes: Buffer, stamp: FileStamp): LookupIndex | undefined {
  const first = bytes.indexOf(NL);
  const headEnd = first < 0 ? -1 : bytes.indexOf(NL, first + 1);
  // `second`: the end of the env var line, where the credential lines start.
  const second = headEnd < 0 ? -1 : bytes.indexOf(NL, headEnd + 1);
  if (second < 0) return undefined;
  const fields = bytes.toString('latin1', 0, first).split(' ');
  const numbers = fields.slice(MAGIC.split(' ').length).map(Number);
  if (fields.slice(0, MAGIC.split(' ').length).join(' ') !== MAGIC || numbers.length !== 5) return undefined;
  const [ino, size, mtimeMs, ctimeMs, keychainCount] = numbers as [number, number, number, number, number];
  if (!sameStamp({ ino, size, mtimeMs, ctimeMs }, stamp) || !Number.isInteger(keychainCount)) return undefined;
  let head: unknown;
  try {
    head = JSON.parse(bytes.toString('utf8', first + 1, headEnd));
  } catch {
    return undefined;
  }
  if (head === null || typeof head !== 'object' || Array.isArray(head)) return undefined;
  const entry = (start: number): [CredentialId, IndexedMeta] => {
    const end = bytes.indexOf(NL, start);
    const line = bytes.toString('utf8', start, end < 0 ? bytes.length : end);
    const tab = line.indexOf('\t');
    const meta = tab < 0 ? undefined : indexedMeta(parsedOrDamaged(line.slice(tab + 1)));
    if (!meta) throw new DamagedLookup();
    return [parsedOrDamaged(line.slice(0, tab)) as CredentialId, meta];
  };
  let envVars: Record<string, string> | undefined;
  return {
    head: head as Record<string, unknown>,
    keychainCount,
    envVarOwner(name) {
      if (!envVars) {
        const parsed = parsedOrDamaged(bytes.toString('utf8', headEnd + 1, second));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DamagedLookup();
        // Checked whole on first use: a damaged line throws here, never later for one name.
        for (const id of Object.values(parsed)) if (typeof id !== 'string') throw new DamagedLookup();
        envVars = parsed as Record<string, string>;
      }
      return Object.hasOwn(envVars, name) ? envVars[name] : undefined;
    },
    meta(id) {
      const start = findSortedLine(bytes, second + 1, bytes.length, sortKey(id), () => new DamagedLookup());
      return start < 0 ? undefined : entry(start)[1];
    },
  };
}

/** The lookup copy beside a profile: written after each profile write, read while it matches. */
export class LookupIndexFile {
  constructor(
    readonly path: string,
    private readonly dedicatedDir: boolean,
    private readonly write: typeof writeSecureFile,
  ) {}

  /** Records `doc`, just written as the file with `stamp` (none: nothing recorded). A failure only costs the next reader a full parse. */
  async remember(doc: Record<string, unknown>, stamp: FileStamp | undefined): Promise<void> {
    try {
      if (stamp) await this.write(this.path, lookupIndexText(doc, stamp), this.dedicatedDir);
    } catch {
      // the stale copy names the old stamp: no reader will use it
    }
  }

  /** The copy, when it was made from the profile that has `stamp` now; undefined otherwise (missing, stale, damaged, not ours). */
  read(stamp: FileStamp): LookupIndex | undefined {
    try {
      return parseLookupIndex(readSecureBytes(this.path, { warn: () => {}, maxBytes: PROFILE_READ_LIMIT }).bytes, stamp);
    } catch {
      return undefined;
    }
  }
}
