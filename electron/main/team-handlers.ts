/**
 * The Team section's handlers (the team vault, issue 17). A team file is
 * named by an opaque handle main minted when the user chose the file in
 * main's own dialog; the renderer never hands main a path. Nothing here
 * returns a value: names, members and comparisons only.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { VaultError } from '../../shared/core/errors';
import type { TeamFileRef } from '../../shared/core/ipc-contract';
import { teamIdentity, teamPull, teamPullPlan, teamPush, teamView } from '../../shared/node/team/team-service';
import type { Vault } from '../../shared/node/vault/vault';
import type { DialogPort } from './ports';
import { oneAtATime } from './one-at-a-time';

/** The team-file handles of one app session. */
class TeamFiles {
  private readonly byHandle = new Map<string, TeamFileRef>();

  grant(path: string): TeamFileRef {
    const full = resolve(path);
    for (const ref of this.byHandle.values()) if (ref.path === full) return ref;
    const ref = { handle: randomBytes(16).toString('hex'), path: full };
    this.byHandle.set(ref.handle, ref);
    return ref;
  }

  path(handle: string): string {
    const ref = this.byHandle.get(handle);
    if (!ref) throw new VaultError('INVALID_ARGUMENT', 'That team file is not one cpw-vault offered.', 'Choose the team file with "Open a team file…".');
    return ref.path;
  }
}

/** The handlers of the team channels. */
export function teamHandlers(deps: { vault: Vault; dialog: DialogPort }) {
  const files = new TeamFiles();
  const { vault } = deps;
  // What a pull plan was made from, as a tag the renderer hands back to pull: keyed per session, so it says nothing of the values.
  const tagKey = randomBytes(32);
  const tag = (content: string) => createHmac('sha256', tagKey).update(content).digest('hex');
  return {
    teamPickFile: async () => {
      const path = await deps.dialog.chooseTeamFile();
      return path ? files.grant(path) : null;
    },
    teamStatus: async ({ handle }: { handle: string }) => teamView(vault, files.path(handle)),
    // Created on first use: two calls at once (a double click, a looping page) would each create a key and the
    // first caller's would be overwritten, so calls run one after the other.
    teamIdentity: oneAtATime(() => teamIdentity(vault)),
    teamPullPlan: async ({ handle }: { handle: string }) => {
      const { plan, content } = await teamPullPlan(vault, files.path(handle));
      return { plan, reviewed: tag(content) };
    },
    // One at a time, as migrationApply: two pulls of one reviewed plan at once (a double click) were both planned before
    // either wrote, and the second was refused "changed since the plan was made"; queued, it finds the keys stored.
    teamPull: oneAtATime(async ({ handle, reviewed }: { handle: string; reviewed: string }) => teamPull(vault, files.path(handle), (content) => tag(content) === reviewed)),
    teamPush: async ({ handle }: { handle: string }) => teamPush(vault, files.path(handle)),
  };
}
