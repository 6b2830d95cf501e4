import { agreeing } from '../../core/plural';
import { sha256Hex } from '../../node/builtins';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cancelledError, VaultError } from '../../core/errors';
import { checkMemberName, checkRecipient, NEVER_SHARED_ID, nextDocument, plantedIdentityReason, type TeamCredential, type TeamDocument } from '../../core/team-document';
import { canEncryptTo, readRepoFile, readRecipientsFile, updateTeamFile, writeRecipientsFile } from '../../node/team/team-file';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { shellWord, shownText, withoutControlChars } from '../../core/control-chars';
import { counted } from '../../core/plural';
import { table } from '../format';
import { interruptible } from '../signals';
import { DEFAULT_TEAM_FILE, filesOf, idsOf, identityOf, membersOf, openTeam, selfName, type TeamTarget } from './team-common';
import { pushedDocument, withheldText, type PushReport } from '../../node/team/team-service';
import type { TeamKey } from '../../node/team/identity';
import { plantedRows, plantedWarnings, removedReason, removedText } from '../../core/team-planted';
import { namesText } from '../../core/team-shared-keys';
import { addMissingFromList, listedUnderOtherName, removeLeftInList, seenByRemoved } from './team-interrupted';

/**
 * `cpw-vault team ...`: the team vault (see shared/core/team-document.ts and
 * shared/node/team/). Every command that changes the team file re-encrypts
 * it whole to the member list and replaces it atomically; the values never
 * touch the disk decrypted. Identity commands are in team-identity.ts, pull
 * in team-pull.ts, the read-through of get/exec/which in team-read.ts.
 */

/**
 * Runs a team file change so that Ctrl-C / SIGTERM before the rename cancels it cleanly (the old file stays); also
 * while it waits for another's lock of the team file (held for the 30 s, it then failed PROFILE_LOCKED, exit 1).
 */
function change(ctx: CliContext, args: TeamTarget, make: (signal: AbortSignal) => Promise<TeamDocument | undefined>): Promise<TeamDocument | undefined> {
  return interruptible((signal) =>
    updateTeamFile(filesOf(ctx, args), () => make(signal), {
      signal,
      beforeRename: () => {
        if (signal.aborted) throw cancelledError(signal.reason);
      },
    }));
}

/**
 * The planted team identity rows (TeamDocument.planted) a write of the team file removed: `read` is the document
 * the write was made from, `written` whether it wrote. nextDocument never copies them (removing the tampering is
 * right), but never unsaid: one line on stderr, and the rows for --json (`planted_removed`).
 */
function removedPlanted(ctx: CliContext, file: string, read: { doc: TeamDocument; key: TeamKey } | undefined, written: boolean): { id: string; row: number; own: boolean; reason: string }[] {
  const rows = read && written ? plantedRows(read.doc, read.key.identity) : [];
  if (rows.length) ctx.io.err(removedText(file, rows));
  return rows.map((r) => ({ ...r, reason: removedReason(file, r) }));
}

/** The values of `ids` from the user's personal vault (never env vars): the team file only carries what was stored on purpose. */
async function personalValues(ctx: CliContext, ids: string[]): Promise<Map<string, string | undefined>> {
  if (!ids.length) return new Map();
  const vault = await ctx.vault();
  return vault.storedValues(ids);
}

/** `team init --add ID...`: a new team file with this user as its one member. */
export async function teamInit(args: TeamTarget & { add?: string[]; name?: string }, ctx: CliContext): Promise<ExitCode> {
  const files = filesOf(ctx, args);
  const ids = idsOf(args.add);
  // A folder was taken for a team file there: "no team identity here to open it with ... ask a member to add you".
  if (statSync(files.file, { throwIfNoEntry: false })?.isDirectory()) throw new VaultError('INVALID_ARGUMENT', `${files.file} is a folder: --file names the team file itself.`, `Give the file's path: --file ${shellWord(join(files.file, DEFAULT_TEAM_FILE))}`);
  // Not only "already exists": an init killed between its two writes is finished by the same init (team-init-again.ts).
  if (existsSync(files.file)) return (await import('./team-init-again')).initAgain(args, ctx, files, ids);
  const name = checkMemberName(selfName(ctx, args.name));
  // Checked before a first team identity is made: a refused init made one (stored in the vault, shown by list) anyway.
  const values = await personalValues(ctx, ids);
  const missing = ids.filter((id) => values.get(id) === undefined);
  if (missing.length) throw new VaultError('CREDENTIAL_MISSING', `Not in your vault: ${missing.join(', ')}.`, `Store them first (cpw-vault set ${missing[0]!.replace('.', ' ')}), or leave them out.`);
  const key = args.identityFile || args.identityFd !== undefined ? await identityOf(ctx, args) : await (await import('../../node/team/identity')).ensureIdentity(await ctx.vault());
  const now = new Date();
  const credentials = ids.map((id): TeamCredential => ({ id, value: values.get(id)!, meta: { updated_at: now.toISOString(), updated_by: name } }));
  await change(ctx, args, async () => {
    if (existsSync(files.file)) throw new VaultError('INVALID_ARGUMENT', `${files.file} appeared meanwhile.`, 'Run cpw-vault team push instead.');
    return nextDocument(undefined, [{ name, recipient: key.recipient }], credentials, now);
  });
  await (await ctx.vault()).markTeamShared(ids);
  ctx.io.err(`${paint(ctx.io).green('✓')} Created ${files.file} (${counted(ids.length, 'key')}, encrypted to you as ${name}) and ${files.recipients}.\n`);
  ctx.io.err(`Next: git add ${shellWord(files.file)} ${shellWord(files.recipients)} && git commit; add members with cpw-vault team add NAME age1...\n`);
  if (ctx.globals.json) printJson(ctx.io, { file: files.file, recipients: files.recipients, member: name, recipient: key.recipient, credentials: ids });
  return EXIT.ok;
}

/** `team add NAME age1...`: re-encrypts the team file to one more member (all or nothing). */
export async function teamAdd(args: TeamTarget & { name: string; recipient: string }, ctx: CliContext): Promise<ExitCode> {
  const name = checkMemberName(args.name);
  const recipient = checkRecipient(args.recipient.trim());
  if (!(await canEncryptTo(recipient))) throw new VaultError('INVALID_ARGUMENT', 'That is not a valid age recipient: age cannot encrypt to that key.', 'Ask the member to send the age1... line that cpw-vault team identity (or age-keygen -y KEYFILE) prints.');
  let unchanged = false;
  let finished = false;
  let read: Awaited<ReturnType<typeof openTeam>> | undefined;
  const files = filesOf(ctx, args);
  const written = await change(ctx, args, async () => {
    // Tolerated: this very member in the list alone (a hand edit), or in the team file alone (an add killed between the two writes).
    const { doc } = (read = await openTeam(ctx, args, { strict: true, tolerate: (d, doc) => (!d.onlyInFile.length && d.onlyInList.length === 1 && readRecipientsFile(files)?.some((m) => m.recipient === recipient) === true) || addMissingFromList(doc, readRecipientsFile(files), name, recipient) }));
    const same = doc.members.find((m) => m.name === name);
    // The same add run again after a kill between its writes: the list is rewritten to name them too.
    if (same?.recipient === recipient && addMissingFromList(doc, readRecipientsFile(files), name, recipient)) return ((finished = true), nextDocument(doc, doc.members, doc.credentials, new Date()));
    if (same?.recipient === recipient) return void (unchanged = true);
    if (same) throw new VaultError('INVALID_ARGUMENT', `${name} is already a member with another key.`, `To give ${name} a new key: cpw-vault team remove ${name}, then team add ${name} age1...`);
    // Refused, never warned: one key under two names makes a later remove of one name revoke nothing (team-shared-keys.ts).
    const other = doc.members.find((m) => m.recipient === recipient);
    if (other) throw new VaultError('INVALID_ARGUMENT', `That key already belongs to member ${other.name}; nothing was changed.`, `Each member has a key of their own: ask ${name} for the age1... line their own cpw-vault team identity prints.`);
    return nextDocument(doc, [...doc.members, { name, recipient }], doc.credentials, new Date());
  });
  const done = finished ? `finished an add that was interrupted (${files.file} was already encrypted to them; now ${files.recipients} lists them too)` : `${files.file} re-encrypted`;
  ctx.io.err(unchanged ? `${name} is already a member with that key; nothing changed.\n` : `${paint(ctx.io).green('✓')} ${name} added; ${done}. Commit and push both files.\n`);
  const planted = removedPlanted(ctx, files.file, read, !!written);
  if (ctx.globals.json) printJson(ctx.io, { added: unchanged ? null : name, planted_removed: planted, ...read?.notes });
  return EXIT.ok;
}

/** `team remove NAME`: re-encrypts the team file without a member, and says which keys to rotate. Rerun after a kill, it finishes. */
export async function teamRemove(args: TeamTarget & { name: string }, ctx: CliContext): Promise<ExitCode> {
  const files = filesOf(ctx, args);
  let seen: string[] = [];
  let also: string[] = [];
  let how = 'removed' as RemoveOutcome;
  let read: Awaited<ReturnType<typeof openTeam>> | undefined;
  const written = await change(ctx, args, async () => {
    // Tolerated: the member already gone from the list alone (a hand edit), or from the team file alone (a remove killed between the two writes).
    const { doc } = (read = await openTeam(ctx, args, { strict: true, tolerate: (d, doc) => (!d.onlyInList.length && d.onlyInFile.length === 1 && d.onlyInFile[0] === args.name) || !!removeLeftInList(doc, readRecipientsFile(files), args.name) }));
    const member = doc.members.find((m) => m.name === args.name);
    if (!member) {
      // The same remove run again: killed between its writes (the list still names them: rewrite it), or after both.
      const left = removeLeftInList(doc, readRecipientsFile(files), args.name);
      seen = seenByRemoved(doc, left ?? [args.name]);
      if (left) return ((how = 'finished'), (also = left.filter((n) => n !== args.name)), nextDocument(doc, doc.members, doc.credentials, new Date()));
      // Not "nor in the list" when the list names them: by hand, with a member's key (which removing that member revokes).
      const owner = listedUnderOtherName(doc, readRecipientsFile(files), args.name);
      if (owner) throw new VaultError('INVALID_ARGUMENT', `${shownText(args.name, 64)} is not a member of this team file: ${files.recipients} names them by hand, with the key of member ${owner.name} (${owner.recipient}); nothing was changed.`, `To revoke that key: cpw-vault team remove ${owner.name}. To rewrite the list from the team file: cpw-vault team recipients --write`);
      if (!doc.rotate.some((r) => r.name === args.name)) throw new VaultError('INVALID_ARGUMENT', `${shownText(args.name, 64)} is not a member of this team file, nor in ${files.recipients}; nothing was changed.`, 'Re-running a remove of them that was interrupted? It had finished: nothing is left to do. See the members: cpw-vault team status');
      return void (how = 'already');
    }
    // Removing is revoking a key: every name the key has goes (a file team add did not write may give it several),
    // or the file stays encrypted to it and "not encrypted to them" below would be false.
    const gone = doc.members.filter((m) => m.recipient === member.recipient);
    also = gone.filter((m) => m !== member).map((m) => m.name);
    seen = [...new Set(gone.flatMap((m) => m.seen))].sort();
    return nextDocument(doc, doc.members.filter((m) => !gone.includes(m)), doc.credentials, new Date(), gone.map((m) => m.name));
  });
  const p = paint(ctx.io);
  const who = [args.name, ...also].join(' and ');
  ctx.io.err(removeDoneText(p.green('✓'), how, args.name, also, files.recipients));
  if (seen.length) {
    ctx.io.err(`${p.yellow('Rotate these keys:')} ${who} ${also.length ? 'have' : 'has'} seen ${seen.join(', ')}, and ${also.length ? 'keep' : 'keeps'} every old version of the file in git history.\n`);
    ctx.io.err('  Issue new keys at each provider, cpw-vault set them, then cpw-vault team push. (cpw-vault team rotate-reminder lists what is left.)\n');
  }
  const planted = removedPlanted(ctx, files.file, read, !!written);
  if (ctx.globals.json) printJson(ctx.io, { removed: args.name, already_removed: how === 'already', also_removed: also, rotate: seen, planted_removed: planted, ...read?.notes });
  return EXIT.ok;
}

/** What a `team remove` did: removed the member now, finished a remove killed between its two writes, or found it done. */
type RemoveOutcome = 'removed' | 'finished' | 'already';

/** The line `team remove` ends with. */
function removeDoneText(tick: string, how: RemoveOutcome, name: string, also: string[], recipients: string): string {
  if (how === 'already') return `${name} was already removed: the team file is not encrypted to them. Nothing changed.\n`;
  if (how === 'finished') return `${tick} ${[name, ...also].join(' and ')} removed: finished a remove that was interrupted (the team file was already not encrypted to them; now ${recipients} no longer lists them either). Commit and push both files.\n`;
  return also.length
    ? `${tick} ${name} removed, and ${also.join(', ')}, who had the same age key (removing ${name} alone would have left the file encrypted to it); new versions of the team file are not encrypted to that key. Commit and push both files.\n`
    : `${tick} ${name} removed; new versions of the team file are not encrypted to them. Commit and push both files.\n`;
}

/** `team push [--add ID]`: the team file's values (the keys this vault shares, and the added ones) from the user's vault. */
export async function teamPush(args: TeamTarget & { add?: string[] }, ctx: CliContext): Promise<ExitCode> {
  const added = idsOf(args.add);
  const report: PushReport = { updated: [], unchanged: [], kept: [], withheld: [], to_rotate: [] };
  const vault = await ctx.vault();
  let read: Awaited<ReturnType<typeof openTeam>> | undefined;
  const written = await change(ctx, args, async () => {
    const { doc, key } = (read = await openTeam(ctx, args, { strict: true, usesVault: true }));
    return pushedDocument(vault, doc, key.recipient, added, report);
  });
  // Named on purpose: shared from now on, whether or not the file changed (its value may be the same already).
  await vault.markTeamShared(added.filter((id) => !report.kept.includes(id)));
  const files = filesOf(ctx, args);
  if (report.kept.length) ctx.io.err(`warning: not in your vault, the team's value kept: ${report.kept.join(', ')}\n`);
  if (report.withheld.length) ctx.io.err(`warning: ${withheldText(report.withheld)}\n`);
  ctx.io.err(written ? `${paint(ctx.io).green('✓')} Pushed ${report.updated.join(', ')} to ${files.file}. Commit and push it.\n` : `Nothing to push: ${files.file} already has your values.\n`);
  const left = report.to_rotate;
  if (left.length) ctx.io.err(`warning: ${left.join(', ')} ${agreeing(left.length, 'is', 'are')} still to rotate: the value pushed was in your vault before a member was removed, who may have seen it. Issue a new key at the provider, cpw-vault set it, then cpw-vault team push (cpw-vault team rotate-reminder lists what is left).\n`);
  const planted = removedPlanted(ctx, files.file, read, !!written);
  if (ctx.globals.json) printJson(ctx.io, { ...report, planted_removed: planted, ...read?.notes });
  return EXIT.ok;
}

/** `team status`: members, keys (names only), you are / are not a recipient, which local values differ. */
export async function teamStatus(args: TeamTarget, ctx: CliContext): Promise<ExitCode> {
  const files = filesOf(ctx, args);
  const key = await identityOf(ctx, args);
  let opened: Awaited<ReturnType<typeof openTeam>>;
  try {
    opened = await openTeam(ctx, args);
  } catch (err) {
    if (!(err instanceof VaultError) || err.code !== 'TEAM_NOT_RECIPIENT') throw err;
    const listed = readRecipientsFile(files) ?? [];
    if (ctx.globals.json) printJson(ctx.io, { file: files.file, recipient: false, you: key.recipient, members: listed.map((m) => ({ name: m.name, recipient: m.recipient })) });
    else ctx.io.out(`${withoutControlChars(files.file)}: you are NOT a recipient (your key ${key.recipient}).\nMembers listed in ${withoutControlChars(files.recipients)}: ${listed.map((m) => m.name).join(', ') || 'none'}\n`);
    ctx.io.err(`fix: ${err.fix}\n`);
    return EXIT.failure;
  }
  const { doc, notes } = opened;
  // Kept out of the keys below (pull refuses them): said here too, or a member who only looks at status never learns of them.
  const planted = plantedRows(doc, key.identity);
  for (const line of plantedWarnings(files.file, planted)) ctx.io.err(`${line}\n`);
  const values = await localValues(ctx, doc);
  // A vault that could not be read (no keychain on CI) proves nothing about each key: unknown, never "not in your vault".
  const local = (id: string, team: string) => (!values ? 'unknown' : values.get(id) === undefined ? 'not in your vault' : values.get(id) === team ? 'same' : 'differs');
  const rows = doc.credentials.map((c) => ({ id: c.id, local: local(c.id, c.value), updated_at: c.meta.updated_at, updated_by: c.meta.updated_by ?? null }));
  // Every name of the user's key, not the first alone: the file gives whoever holds it each of them (team-shared-keys.ts).
  const me = membersOf(doc, key.recipient);
  if (ctx.globals.json) {
    printJson(ctx.io, { file: files.file, recipient: true, you: me[0] ?? null, your_names: me, members: doc.members.map((m) => ({ name: m.name, recipient: m.recipient })), credentials: rows, rotate: doc.rotate, planted: planted.map((r) => ({ ...r, reason: plantedIdentityReason(files.file, r.row, r.own) })), ...notes });
    return EXIT.ok;
  }
  ctx.io.out(`${withoutControlChars(files.file)}: you are a recipient (${me.length ? `as ${namesText(me)}` : 'under no member name of it'}). Last change ${doc.updated_at}.\n\n`);
  ctx.io.out(table(['MEMBER', 'AGE KEY'], doc.members.map((m) => [m.name + (me.includes(m.name) ? ' (you)' : ''), m.recipient])));
  ctx.io.out('\n');
  ctx.io.out(table(['KEY', 'YOUR VAULT', 'UPDATED', 'BY'], rows.map((r) => [r.id, r.local, r.updated_at.slice(0, 16).replace('T', ' '), r.updated_by ?? '-'])));
  if (doc.rotate.length) ctx.io.out(`\nTo rotate (seen by removed members): ${doc.rotate.map((r) => `${r.ids.join(', ')} (${r.name})`).join('; ')}\n`);
  return EXIT.ok;
}

/** The user's stored values of the team's keys; undefined (with a warning) when the vault cannot be read (no keychain on CI). */
async function localValues(ctx: CliContext, doc: TeamDocument): Promise<Map<string, string | undefined> | undefined> {
  try {
    return await personalValues(ctx, doc.credentials.map((c) => c.id));
  } catch (err) {
    ctx.io.err(`warning: cannot compare with your vault: ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  }
}

/** `team rotate-reminder`: the keys removed members have seen and that were not changed since. */
export async function teamRotateReminder(args: TeamTarget, ctx: CliContext): Promise<ExitCode> {
  const { doc, notes } = await openTeam(ctx, args);
  if (ctx.globals.json) printJson(ctx.io, { rotate: doc.rotate, ...notes });
  else if (!doc.rotate.length) ctx.io.err('Nothing to rotate: no removed member has seen a key that is still in use.\n');
  else ctx.io.out(table(['REMOVED MEMBER', 'REMOVED AT', 'KEYS TO ROTATE'], doc.rotate.map((r) => [r.name, r.removed_at.slice(0, 16).replace('T', ' '), r.ids.join(', ')])));
  return EXIT.ok;
}

/** `team recipients [--write]`: the members inside the team file; --write rewrites the recipients file from them. */
export async function teamRecipients(args: TeamTarget & { write?: boolean }, ctx: CliContext): Promise<ExitCode> {
  const { doc, files, notes } = await openTeam(ctx, args, args.write ? { tolerate: () => true } : {});
  if (args.write) {
    await writeRecipientsFile(files, doc);
    ctx.io.err(`${paint(ctx.io).green('✓')} Rewrote ${files.recipients} from ${files.file} (${counted(doc.members.length, 'member')}).\n`);
  }
  if (ctx.globals.json) printJson(ctx.io, { members: doc.members.map((m) => ({ name: m.name, recipient: m.recipient })), ...notes });
  else ctx.io.out(doc.members.map((m) => `# ${m.name}\n${m.recipient}\n`).join(''));
  return EXIT.ok;
}

/**
 * `team diff FILE`: a git textconv. Prints member names and keys, and each
 * credential's name with a short fingerprint of its value (so a diff shows
 * which key changed), never a value. Never fails: a file it cannot open is
 * described instead, with a fingerprint of its encrypted bytes.
 */
export async function teamDiff(args: TeamTarget & { path: string }, ctx: CliContext): Promise<ExitCode> {
  const out = ['# cpw-vault team file (values not shown; fingerprint = first 8 hex of sha256 of the value)'];
  try {
    // Read wherever it is: names and fingerprints only, nothing taken, and a planted file is better seen than hidden.
    const { doc } = await openTeam({ ...ctx, io: { ...ctx.io, err: () => undefined } }, { ...args, file: args.path }, { anyPlace: true });
    out.push(`updated_at ${doc.updated_at}`);
    for (const m of doc.members) out.push(`member ${m.name} ${m.recipient}`);
    for (const c of doc.credentials) out.push(`key ${c.id} sha256:${sha256Hex(c.value).slice(0, 8)} ${c.meta.updated_by ?? ''}`.trimEnd());
    for (const r of doc.rotate) out.push(`rotate ${r.name}: ${r.ids.join(' ')}`);
    // No fingerprint: the value is not the team's, and may be a member's own identity.
    for (const p of doc.planted ?? []) out.push(`planted ${NEVER_SHARED_ID} (credential ${p.row}; cpw-vault never writes one: not taken, and the next change of the file removes it)`);
  } catch (err) {
    // A fingerprint of the encrypted bytes (as public as the file in git): two versions described alike made git
    // diff show no change at all while the vault was locked or the keychain out of reach.
    const bytes = readRepoFile(args.path);
    const print = bytes ? `, file sha256:${sha256Hex(bytes).slice(0, 8)}` : '';
    out.push(`(cannot decrypt: ${err instanceof VaultError ? err.code : 'error'}; ${bytes?.length ?? 0} bytes${print})`);
  }
  ctx.io.out(`${out.join('\n')}\n`);
  return EXIT.ok;
}
