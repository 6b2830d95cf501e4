/**
 * The team vault, pure half: the document inside `cpw-team.age` (an age file
 * encrypted to every member) and the plain recipients file beside it
 * (`cpw-team.age.recipients`, age's own `-R` format).
 *
 *   {
 *     "format": "cpw-vault-team", "version": 1, "updated_at": "...",
 *     "members":     [ { "name": "alice", "recipient": "age1...", "seen": ["tmdb.api_key"] } ],
 *     "credentials": [ { "id": "tmdb.api_key", "value": "...", "meta": { "updated_at": "...", "updated_by": "alice" } } ],
 *     "rotate":      [ { "name": "bob", "removed_at": "...", "ids": ["tmdb.api_key"] } ]
 *   }
 *
 * `seen` is every key a member could decrypt in some version; `rotate` lists,
 * per removed member, the keys they saw whose value has not changed since.
 * Errors never quote the text (it holds secrets).
 */
import { KEY_NAME, looksLikeKey, SERVICE_NAME, splitCredentialId, type CredentialId } from './credential';
import { VaultError } from './errors';
import { hasControlChars, shellWord } from './control-chars';
import { AGE_RECIPIENT, isAgeRecipient } from './age-recipient';

/** The `format` marker of a team document. */
export const TEAM_FORMAT = 'cpw-vault-team';
/** Version of the team document this build writes and reads. */
export const TEAM_VERSION = 1;
/** Most members and credentials one team file may list (sanity bounds for a hostile file). */
export const MAX_TEAM_MEMBERS = 1_000;
export const MAX_TEAM_CREDENTIALS = 10_000;
/**
 * A member's own team identity (the credential `cpw-vault.team_identity`): never in a team file. A row a
 * hostile teammate plants under that id is kept out of `credentials` on read (into `planted`), so `team push`
 * never sends a member's private key to everyone and `team pull` never replaces it with one the teammate
 * knows; the pull's plan shows it refused (see plantedIdentityReason).
 */
export const NEVER_SHARED_ID = 'cpw-vault.team_identity';
/** A member name: what `# name` says in the recipients file. */
export const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export interface TeamMember {
  name: string;
  recipient: string;
  /** Every credential id this member could decrypt in some version of the file. */
  seen: CredentialId[];
}

export interface TeamCredential {
  id: CredentialId;
  value: string;
  meta: { updated_at: string; updated_by?: string; label?: string; env_var?: string };
}

export interface RotateReminder {
  name: string;
  removed_at: string;
  /** Keys the removed member saw whose value has not changed since. */
  ids: CredentialId[];
}

export interface TeamDocument {
  format: typeof TEAM_FORMAT;
  version: typeof TEAM_VERSION;
  updated_at: string;
  members: TeamMember[];
  credentials: TeamCredential[];
  rotate: RotateReminder[];
  /**
   * The `cpw-vault.team_identity` rows of the file as read (cpw-vault never writes one): `row` is the 1-based
   * place in its credentials list, `value` the text (undefined when it is none). Never written back.
   */
  planted?: { row: number; value: string | undefined }[];
}

/**
 * Why a pull refuses the team identity planted as credential `row` of `file`: `own` when it holds the identity
 * the run decrypted the file with (then every member has read it: a new one is needed), else one its writer
 * knows. Never quotes the value.
 */
export function plantedIdentityReason(file: string, row: number, own: boolean): string {
  if (own) return `your own team identity is in the team file (credential ${row}), where every member can read it: not taken; make a new one (age-keygen -o NEW; cpw-vault team identity --import NEW --force) and ask a member to remove you and add you with its key`;
  return `a team identity planted in the team file (credential ${row}; cpw-vault never puts one there): not taken, since whoever wrote it knows it and could read every team file encrypted to you; see who changed it: git log -- ${shellWord(file)}`;
}

/** Throws INVALID_ARGUMENT unless `name` can be a member name. */
export function checkMemberName(name: string): string {
  // A key typed as the name would be printed, and written in plain text to the recipients list in git.
  if (looksLikeKey(name)) throw new VaultError('INVALID_ARGUMENT', 'That member name has the shape of a key, so it is refused and not shown.', 'Name the member (e.g. --name alice).');
  if (!MEMBER_NAME.test(name)) throw new VaultError('INVALID_ARGUMENT', 'A member name is 1-64 letters, digits or . _ @ + - (starting with a letter or digit).', 'Example: cpw-vault team add alice age1...');
  return name;
}

/** Throws INVALID_ARGUMENT unless `recipient` is an age X25519 recipient. */
export function checkRecipient(recipient: string): string {
  if (AGE_RECIPIENT.test(recipient) && !isAgeRecipient(recipient)) {
    throw new VaultError('INVALID_ARGUMENT', 'That is not a valid age recipient: its checksum does not match (a character mistyped or lost in copying).', 'Ask the member to send the age1... line again, copied whole (cpw-vault team identity, or age-keygen -y KEYFILE).');
  }
  if (!AGE_RECIPIENT.test(recipient)) {
    const ssh = /^ssh-(ed25519|rsa) /.test(recipient);
    throw new VaultError('INVALID_ARGUMENT', ssh ? 'SSH public keys are not supported as team recipients (the age library cpw-vault uses reads only age X25519 keys).' : 'That is not an age public key (age1 followed by 58 characters).', 'Ask the member for the age1... line of their identity (age-keygen -y KEYFILE prints it too). They print it with: cpw-vault team identity');
  }
  return recipient;
}

/** Members sorted by name, then recipient: the order of both files, so two writers of the same set write the same bytes. */
export function sortMembers<T extends { name: string; recipient: string }>(members: readonly T[]): T[] {
  return [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
}

/**
 * Builds the next document: `members` and `credentials` as given (sorted),
 * every member's `seen` grown by the ids now in the file, and reminders of
 * removed members cut to the keys whose value changed since. `storedAt`: when
 * a pushed value was stored in the pusher's vault (ISO time); one stored
 * before a member's removal is no rotation for them (they may have seen it:
 * pulled, or in the file then), and their reminder keeps it.
 */
export function nextDocument(previous: TeamDocument | undefined, members: readonly { name: string; recipient: string }[], credentials: readonly TeamCredential[], now: Date, removed: readonly string[] = [], storedAt: ReadonlyMap<string, string> = new Map()): TeamDocument {
  const ids = credentials.map((c) => c.id).sort();
  const before = new Map(previous?.credentials.map((c) => [c.id, c.value]));
  const unchanged = new Set(credentials.filter((c) => before.get(c.id) === c.value).map((c) => c.id));
  const oldSeen = new Map(previous?.members.map((m) => [m.name, m.seen]));
  const stale = (id: string, removedAt: string) => unchanged.has(id) || (storedAt.get(id) ?? '\uffff') <= removedAt;
  const rotate = (previous?.rotate ?? []).map((r) => ({ ...r, ids: r.ids.filter((id) => stale(id, r.removed_at)) })).filter((r) => r.ids.length);
  for (const name of removed) {
    const seen = (oldSeen.get(name) ?? []).filter((id) => unchanged.has(id));
    if (seen.length) rotate.push({ name, removed_at: now.toISOString(), ids: seen });
  }
  return {
    format: TEAM_FORMAT,
    version: TEAM_VERSION,
    updated_at: now.toISOString(),
    members: sortMembers(members).map((m) => ({ name: m.name, recipient: m.recipient, seen: [...new Set([...(oldSeen.get(m.name) ?? []), ...ids])].sort() })),
    credentials: [...credentials].sort((a, b) => (a.id < b.id ? -1 : 1)),
    rotate,
  };
}

/** The recipients file: a header, then `# name` above each `age1...` line, sorted by name. `age -R` reads it. */
export function recipientsText(members: readonly { name: string; recipient: string }[]): string {
  const lines = ['# cpw-vault team recipients: one age public key per member (age -R reads this file).', '# Change it with cpw-vault team add / team remove, which re-encrypt the team file to the new list.'];
  for (const m of sortMembers(members)) lines.push(`# ${m.name}`, m.recipient);
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a recipients file: each `age1...` line, named by the `# name`
 * comment just above it (unnamed ones get `member-N`). Throws TEAM_CONFLICT
 * for git conflict markers, TEAM_INVALID for a line that is no age recipient.
 */
export function parseRecipients(text: string, file: string): { name: string; recipient: string }[] {
  if (hasConflictMarkers(text)) throw teamConflict(file);
  const out: { name: string; recipient: string }[] = [];
  let name: string | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const candidate = line.slice(1).trim();
      name = MEMBER_NAME.test(candidate) ? candidate : undefined;
      continue;
    }
    if (!isAgeRecipient(line)) throw new VaultError('TEAM_INVALID', `${file} line ${i + 1} is not an age public key.`, 'Each member is a "# name" line then an age1... line. Restore the file from git, or rewrite it: cpw-vault team recipients --write');
    out.push({ name: name ?? `member-${out.length + 1}`, recipient: line });
    name = undefined;
  }
  return out;
}

/** True when `text` holds git merge conflict markers (a merge of two pushes). */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7}( |$)/m.test(text) && /^>{7}( |$)/m.test(text);
}

/** Two members pushed and git could not merge the file: take one side, then push again. */
export function teamConflict(file: string): VaultError {
  return new VaultError(
    'TEAM_CONFLICT',
    `${file} holds a git merge conflict (two members changed the team file at the same time); an encrypted file cannot be merged line by line.`,
    `Take one side (--theirs as below, or --ours), then push, and run your team add or team remove again if you changed members:\n  git checkout --theirs -- ${file}${file.endsWith('.recipients') ? '' : ` ${file}.recipients`}\n  cpw-vault team push`,
  );
}

/**
 * Reads a decrypted team document. Throws TEAM_INVALID naming what is wrong
 * (never a value): not JSON, not a team file, a newer version, a malformed
 * member or credential, a repeated name or id, too many entries.
 */
export function parseTeamDocument(text: string, file: string): TeamDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw invalid(file, 'it is not JSON');
  }
  if (!isObject(doc) || doc['format'] !== TEAM_FORMAT) throw invalid(file, 'it is not a cpw-vault team file');
  if (typeof doc['version'] === 'number' && doc['version'] > TEAM_VERSION) throw new VaultError('TEAM_INVALID', `${file} was written by a newer cpw-vault (team format ${doc['version']}).`, 'Update cpw-vault on this machine.');
  if (doc['version'] !== TEAM_VERSION) throw invalid(file, 'it has no known format version');
  const members = list(doc['members'], MAX_TEAM_MEMBERS, file, 'members');
  const credentials = list(doc['credentials'], MAX_TEAM_CREDENTIALS, file, 'credentials');
  const names = new Set<string>();
  const ids = new Set<string>();
  const planted: NonNullable<TeamDocument['planted']> = [];
  const parsed: TeamDocument = {
    format: TEAM_FORMAT,
    version: TEAM_VERSION,
    updated_at: str(doc['updated_at']) ?? '',
    members: members.map((m, i) => {
      if (!isObject(m) || typeof m['name'] !== 'string' || !MEMBER_NAME.test(m['name']) || typeof m['recipient'] !== 'string' || !AGE_RECIPIENT.test(m['recipient'])) throw invalid(file, `member ${i + 1} has no valid name and age recipient`);
      // Read then, not when the next add or push fails for every member on a key age cannot use.
      if (!isAgeRecipient(m['recipient'])) throw invalid(file, `member ${i + 1} (${m['name']}) has an age recipient whose checksum does not match`);
      if (names.has(m['name'])) throw invalid(file, `member ${i + 1} repeats a name given before`);
      names.add(m['name']);
      return { name: m['name'], recipient: m['recipient'], seen: idList(m['seen']) };
    }),
    credentials: credentials.flatMap((c, i): TeamCredential[] => {
      if (isObject(c) && c['id'] === NEVER_SHARED_ID) return (planted.push({ row: i + 1, value: typeof c['value'] === 'string' ? c['value'] : undefined }), []);
      if (!isObject(c) || typeof c['id'] !== 'string' || !isCredentialId(c['id']) || typeof c['value'] !== 'string') throw invalid(file, `credential ${i + 1} has no valid id and text value`);
      if (ids.has(c['id'])) throw invalid(file, `credential ${i + 1} repeats an id given before`);
      ids.add(c['id']);
      const meta = isObject(c['meta']) ? c['meta'] : {};
      const by = typeof meta['updated_by'] === 'string' && MEMBER_NAME.test(meta['updated_by']) ? { updated_by: meta['updated_by'] } : {};
      return [{ id: c['id'], value: c['value'], meta: { updated_at: str(meta['updated_at']) ?? '', ...by, ...opt('label', meta['label']), ...opt('env_var', meta['env_var']) } }];
    }),
    // A reminder's name is printed like a member's: only a member name (never escape sequences from a hostile file).
    rotate: (Array.isArray(doc['rotate']) ? doc['rotate'] : []).filter(isObject).filter((r) => typeof r['name'] === 'string' && MEMBER_NAME.test(r['name'])).slice(0, MAX_TEAM_MEMBERS)
      .map((r) => ({ name: r['name'] as string, removed_at: str(r['removed_at']) ?? '', ids: idList(r['ids']) })),
  };
  return planted.length ? { ...parsed, planted } : parsed;
}

/** True for `service.key` with valid parts. */
export function isCredentialId(id: string): boolean {
  if (!id.includes('.')) return false;
  const { service, key } = splitCredentialId(id);
  return SERVICE_NAME.test(service) && KEY_NAME.test(key);
}

function list(v: unknown, max: number, file: string, what: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(file, `it has no ${what} list`);
  if (v.length > max) throw invalid(file, `it lists ${v.length} ${what}, over the ${max} limit`);
  return v;
}

function idList(v: unknown): CredentialId[] {
  return Array.isArray(v) ? [...new Set(v.filter((x): x is string => typeof x === 'string' && isCredentialId(x) && x !== NEVER_SHARED_ID))].slice(0, MAX_TEAM_CREDENTIALS).sort() : [];
}

/** A text field of a teammate's file that is printed or stored: at most 200 characters, no control characters. */
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length <= 200 && !hasControlChars(v) ? v : undefined;
}

function opt<K extends string>(key: K, v: unknown): Partial<Record<K, string>> {
  const s = str(v);
  return s === undefined ? {} : ({ [key]: s } as Record<K, string>);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function invalid(file: string, why: string): VaultError {
  return new VaultError('TEAM_INVALID', `${file} decrypts, but ${why}.`, `Restore it from git (git log -- ${shellWord(file)}), or ask the member who wrote it to push again.`);
}
