import { isVaultError, VaultError } from '../../core/errors';
import type { TeamDocument } from '../../core/team-document';
import { counted } from '../../core/plural';
import { readRecipientsFile, readTeamFile, recipientsDiffer, writeRecipientsFile, type TeamFiles } from '../../node/team/team-file';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint } from '../io';
import { identityOf, type TeamTarget } from './team-common';

/**
 * `team init` run where the team file already is. Init writes the team file, then its recipients list: killed
 * between the two (a list was there already, committed alone or left by an init killed earlier), it left a team
 * file that every later init refused as "already exists", with `rm` the only way on. When the file is provably
 * this init's, a team file only this identity can read, nobody but this identity in it and nothing but the very
 * keys and values asked for, the run finishes it: the list is written from it, the keys marked shared. The team
 * file itself is never rewritten or removed; anything else is refused, saying what it is and what to do.
 */
export async function initAgain(args: TeamTarget, ctx: CliContext, files: TeamFiles, ids: string[]): Promise<ExitCode> {
  const key = await identityOf(ctx, args).catch(() => undefined);
  if (!key) throw exists(files, 'and there is no team identity here to open it with', 'Pull the repository and ask a member to add you (cpw-vault team identity prints your key), or choose another --file.');
  const doc = await readTeamFile(files.file, key.identity, key.recipient).catch((err: unknown) => {
    if (!isVaultError(err, 'TEAM_NOT_RECIPIENT')) throw err;
    throw exists(files, `and it is not encrypted to your key (${key.recipient}): another team's file, or yours under another key`, `To join that team, ask a member to run: cpw-vault team add <you> ${key.recipient}. Else choose another --file.`);
  });
  const [me] = doc.members;
  if (doc.members.length !== 1 || me?.recipient !== key.recipient || doc.rotate.length) {
    const names = doc.members.map((m) => m.name).join(', ');
    throw exists(files, `a team file of ${counted(doc.members.length, 'member')} (${names})`, 'Update it with cpw-vault team push --add SERVICE.KEY, or choose another --file.');
  }
  const listed = readRecipientsFile(files);
  const finished = !!recipientsDiffer(doc, listed);
  // The second write of the init that was killed; the list is derived from the team file, so nothing is lost by it.
  if (finished) await writeRecipientsFile(files, doc);
  const same = await sameKeys(ctx, doc, ids);
  const keys = doc.credentials.map((c) => c.id).join(', ');
  const what = `encrypted to you alone as ${me.name}, ${counted(doc.credentials.length, 'key')}${keys ? `: ${keys}` : ''}`;
  const listNow = finished ? `; ${files.recipients} now lists you` : '';
  if (!same) {
    throw new VaultError('INVALID_ARGUMENT', `${files.file} already exists (${what}), but not with the keys asked for (${ids.join(', ') || 'none'}) and your values${listNow}. The team file was not changed.`, 'Put keys in it with cpw-vault team push --add SERVICE.KEY (it replaces their values with yours).');
  }
  await (await ctx.vault()).markTeamShared(ids);
  ctx.io.err(finished ? `${paint(ctx.io).green('✓')} Finished an init that was interrupted: ${files.file} was already written (${what})${listNow}.\n` : `${files.file} already is this init's team file (${what}). Nothing to do.\n`);
  return EXIT.ok;
}

/** Whether the team file holds exactly `ids`, each with the value the personal vault has (what this init would write). */
async function sameKeys(ctx: CliContext, doc: TeamDocument, ids: string[]): Promise<boolean> {
  if (doc.credentials.length !== ids.length || !doc.credentials.every((c) => ids.includes(c.id))) return false;
  if (!ids.length) return true;
  const values = await (await ctx.vault()).storedValues(ids);
  return doc.credentials.every((c) => values.get(c.id) === c.value);
}

function exists(files: TeamFiles, what: string, fix: string): VaultError {
  return new VaultError('INVALID_ARGUMENT', `${files.file} already exists, ${what}; it was left as it is.`, fix);
}
