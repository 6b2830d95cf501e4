import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readConfigText, TOO_LARGE } from './config-text';
import { shownText } from '../../core/control-chars';

type Env = Readonly<Record<string, string | undefined>>;

/** A credential helper git would run for https://huggingface.co, and where it is configured. */
export interface GitHelper {
  /** Its first word only (`store`, `osxkeychain`, `!/path/to/script`): a helper line can carry anything, a token included. */
  name: string;
  /** git's scope: system, global, local, worktree or command. */
  scope: string;
  /** git's origin: `file:<path>` (a local path relative to the repository), or `command line:`. */
  origin: string;
}

/** The URL whose helpers are checked: git's credential request for a clone from the Hub, without a path. */
export const HF_URL = 'https://huggingface.co';

const HELPER_KEY = /^credential\.(?:(.+)\.)?helper$/s;

/** The user name in a credential section's URL (`https://ada@huggingface.co`): its scheme, then the name. */
const USER_IN_URL = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]+)@/i;

/** cpw-vault's own helper, in every form `git-credential config` prints (`!cpw-vault …`, absolute paths, --profile). */
export function isCpwVaultHelper(command: string): boolean {
  return /^!.*cpw-vault.* git-credential$/s.test(command);
}

function git(args: string[], cwd: string, env: Env, input = ''): string | undefined {
  const r = spawnSync('git', args, { cwd, env: env as NodeJS.ProcessEnv, input, encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout : undefined;
}

/** Every config entry git reads here, in its reading order (system, global, local, worktree, command line; includes in place). */
function configEntries(cwd: string, env: Env): Array<{ scope: string; origin: string; key: string; value: string | undefined }> | undefined {
  const out = git(['config', '--list', '--null', '--show-scope', '--show-origin'], cwd, env);
  if (out === undefined) return undefined;
  const fields = out.split('\0');
  const entries = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [scope, origin, item] = [fields[i]!, fields[i + 1]!, fields[i + 2]!];
    const nl = item.indexOf('\n');
    entries.push({ scope, origin, key: nl < 0 ? item : item.slice(0, nl), value: nl < 0 ? undefined : item.slice(nl + 1) });
  }
  return entries;
}

/**
 * Which `credential.<url>` subsections apply to `url` (https://huggingface.co, with a user name or not), as git
 * itself matches them (wildcard hosts, default ports, case): each becomes a key of its own in a config read from
 * stdin, and git names the keys that match.
 */
function matchingSubsections(subsections: string[], url: string, cwd: string, env: Env): Set<string> {
  const text = subsections.map((s, i) => `[credential "${s.replace(/[\\"]/g, (c) => `\\${c}`)}"]\n\tk${i} = x\n`).join('');
  const out = git(['config', '--file', '-', '--get-urlmatch', 'credential', url], cwd, env, text) ?? '';
  return new Set([...out.matchAll(/^credential\.k(\d+) /gm)].map((m) => subsections[Number(m[1])]!));
}

/**
 * The helpers other than cpw-vault's that git would run for https://huggingface.co from `cwd` (or for it with a
 * user name that a credential section names), when cpw-vault's is among them: git asks them for the token before or after it, and after a clone or fetch succeeds it hands the token
 * to every one to store (`store` writes it to ~/.git-credentials in plaintext). An empty helper value empties the
 * list, as in git. Empty when cpw-vault's helper is not installed, or git could not be asked (too old for
 * --show-scope, not installed).
 */
export function hfHelperLeaks(cwd: string, env: Env): GitHelper[] {
  if (!mayRunOurHelper(env)) return [];
  const helpers = (configEntries(cwd, env) ?? []).flatMap((e) => {
    const m = HELPER_KEY.exec(e.key);
    return m && e.value !== undefined ? [{ ...e, value: e.value, subsection: m[1] }] : [];
  });
  const subsections = [...new Set(helpers.flatMap((h) => (h.subsection === undefined ? [] : [h.subsection])))];
  // A section for one user name (credential.https://ada@huggingface.co) applies only to remotes with it, so each
  // user name a section gives is a URL of its own: each has its own chain, and its own resets. git compares the user
  // name on its own, so such a section can apply only if it does without it: asked with the rest in one git, a user
  // name for another host (20 accounts at github.com) starts no git of its own (it took one each, ~6 ms).
  const bare = subsections.map((s) => s.replace(USER_IN_URL, '$1'));
  const forHub = subsections.length ? matchingSubsections([...subsections, ...bare], HF_URL, cwd, env) : new Set<string>();
  const users = [...new Set(subsections.flatMap((s, i) => (forHub.has(bare[i]!) ? (USER_IN_URL.exec(s)?.[2] ?? []) : [])))];
  const leaks = new Set<(typeof helpers)[number]>();
  for (const url of [HF_URL, ...users.map((u) => HF_URL.replace('://', `://${u}@`))]) {
    const applies = url === HF_URL ? forHub : matchingSubsections(subsections, url, cwd, env);
    let chain: typeof helpers = [];
    for (const h of helpers) {
      if (h.subsection !== undefined && !applies.has(h.subsection)) continue;
      chain = h.value === '' ? [] : [...chain, h];
    }
    if (!chain.some((h) => isCpwVaultHelper(h.value))) continue;
    for (const h of chain) if (!isCpwVaultHelper(h.value)) leaks.add(h);
  }
  // The first word as doctor shows it (shownText): cut through an emoji's pair, it printed U+FFFD.
  return [...leaks].map((h) => ({ name: shownText(h.value.trim().split(/\s/)[0]!, 80), scope: h.scope, origin: h.origin }));
}

/** Largest git config file read to look for the helper; a larger one is left to git to read. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Whether git may run cpw-vault's helper at all, without starting git (asking it costs doctor two processes, ~15 ms,
 * 1.37x `get` where issue 16 allows 1.3x): `git-credential config` installs it in the global config, so it is there
 * or in the system config; a config git is told of by the environment (-c, GIT_CONFIG_*), or one that includes
 * others, is left to git to read. A helper set only in a repository's own config is not looked for.
 */
function mayRunOurHelper(env: Env): boolean {
  if (Object.keys(env).some((k) => k.startsWith('GIT_CONFIG'))) return true;
  const home = env['HOME'] || homedir();
  const files = [env['GIT_CONFIG_SYSTEM'] ?? '/etc/gitconfig', join(home, '.gitconfig'), join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'git', 'config')];
  return files.some((file) => {
    // Not a regular file (a FIFO, a device): nothing to find in it.
    const text = readConfigText(file, MAX_CONFIG_BYTES);
    if (text === TOO_LARGE) return true; // left to git
    return text !== undefined && (text.includes('git-credential') || /\[\s*include/i.test(text));
  });
}
