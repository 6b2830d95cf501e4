import { sha256Hex } from '../builtins';
import { isVaultError, type VaultError } from '../../core/errors';
import { lstatSync, mkdirSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { modeString } from '../profile/file-access';
import { unsafeSocketDir, vaultAgentElsewhere, vaultLocked } from '../secrets/vault-errors';
import { agentSocketsElsewhere, socketListening } from './silent-agent';
import { vaultFilesFor } from '../secrets/vault-files';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the unlock agent of one vault listens. */
export interface AgentSocket {
  /** A 0700 folder of this user. */
  dir: string;
  /** The Unix socket inside it, named after the identity file it serves. */
  path: string;
}

// sun_path holds 108 bytes on Linux, 104 on macOS: stay well below both.
const MAX_SOCKET_PATH = 100;

const uid = (): number => (typeof process.getuid === 'function' ? process.getuid() : 0);

/** The socket file name of the agent of the identity file at `path` (as spelled or as it really is). */
const socketName = (path: string) => `agent-${sha256Hex(path).slice(0, 16)}.sock`;

/**
 * The identity file's path with its folder as it really is (a profile
 * reached through a link to its folder names one vault, not two). A link at
 * the identity file itself is never followed: such a file is refused as
 * planted, and following it let `get` read through another vault's agent.
 */
function realIdentity(identityPath: string): string {
  const spelled = resolve(identityPath);
  try {
    return join(realpathSync(dirname(spelled)), basename(spelled));
  } catch {
    return spelled; // no such folder yet
  }
}

/** True when two paths name one identity file (as it really is: one spelled through a link to its folder is the same). */
export function sameIdentity(a: string, b: string): boolean {
  return a === b || realIdentity(a) === realIdentity(b);
}

/**
 * The socket names an agent of this vault may listen under: its own (from
 * the identity file as it really is), and the one an older cpw-vault gave it
 * when the path was spelled through a link (`lock` looks for both).
 */
export function agentSocketNames(identityPath: string): string[] {
  return [...new Set([socketName(realIdentity(identityPath)), socketName(resolve(identityPath))])];
}

/**
 * The socket of the agent for `identityPath`: in `$XDG_RUNTIME_DIR/cpw-vault`
 * when set (and short enough for a socket path), else in
 * `$TMPDIR/cpw-vault-<uid>`, else `/tmp/cpw-vault-<uid>`. One agent per
 * vault, so two profiles never share one, and a profile reached through a
 * link to its folder finds the agent of the real one (it started a second
 * agent that `lock` never saw). Reads only the links on the way.
 */
export function agentSocketFor(identityPath: string, env: Env): AgentSocket {
  const socket = socketNamed(socketName(realIdentity(identityPath)), env);
  // An agent an older cpw-vault started through a linked folder listens under the name of the path as spelled: found
  // there until it ends (at its time to live), so an upgrade neither locks reads nor starts a second agent.
  const spelled = socketNamed(socketName(resolve(identityPath)), env);
  // Listening, not a file there: a killed agent's file under the old name made unlock start the new agent under it.
  return spelled.path !== socket.path && !socketListening(socket.path) && socketListening(spelled.path) ? spelled : socket;
}

/**
 * Every socket path an unlock agent of `identityPath` may listen on (see {@link agentSocketNames}), in the folder
 * {@link agentSocketFor} picks (both names are of one length, so one folder), without asking which one listens.
 */
export function agentSocketPaths(identityPath: string, env: Env): string[] {
  return agentSocketNames(identityPath).map((name) => socketNamed(name, env).path);
}

/** The socket called `name` in the first folder that fits (see {@link agentSocketFor}). */
function socketNamed(name: string, env: Env): AgentSocket {
  const runtime = env['XDG_RUNTIME_DIR'];
  const tmp = env['TMPDIR'];
  const dirs = [
    runtime && isAbsolute(runtime) ? join(runtime, 'cpw-vault') : undefined,
    tmp && isAbsolute(tmp) ? join(tmp, `cpw-vault-${uid()}`) : undefined,
    `/tmp/cpw-vault-${uid()}`,
  ].filter((d): d is string => !!d);
  const dir = dirs.find((d) => Buffer.byteLength(join(d, name)) <= MAX_SOCKET_PATH) ?? dirs[dirs.length - 1]!;
  return { dir, path: join(dir, name) };
}

/**
 * Checks that `dir` is a private folder of this user: a real directory (not
 * a symlink), owned by this user, no access for group or others, inside a
 * parent others cannot rename it in (private, or sticky like /tmp). With
 * `create`, a missing folder is made 0700 first. Returns false when it does
 * not exist (and `create` is off). Throws VAULT_AGENT_UNSAFE otherwise —
 * a folder squatted by another user is never used, by the agent or a client.
 */
export function checkSocketDir(dir: string, create: boolean): boolean {
  // The folders above first when it may be made: cpw-vault/ was created inside another user's folder, then refused.
  if (create && !looked(dir, dir)) checkAllAbove(dir);
  let s = looked(dir, dir);
  if (!s && create) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unsafeSocketDir(dir, `it cannot be created (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    s = looked(dir, dir);
  }
  if (!s) return false;
  if (s.isSymbolicLink() || !s.isDirectory()) throw unsafeSocketDir(dir, 'it is not a plain directory (a symbolic link or a file is in its place)');
  if (s.uid !== uid()) throw unsafeSocketDir(dir, `it belongs to another user (uid ${s.uid})`);
  if (s.mode & 0o077) throw unsafeSocketDir(dir, `other users can reach it (mode ${modeString(s.mode)})`);
  checkAllAbove(dir);
  return true;
}

/**
 * Every folder above `dir`, as spelled and as it really is (a link of the user's own, ~/tmplink, can point into
 * another user's folder): another user who owns one (a sticky /tmp/theirs, TMPDIR pointed at it) can rename ours
 * away between our check and our connect, and put a socket of theirs in its place.
 */
function checkAllAbove(dir: string): void {
  const parent = dirname(resolve(dir));
  checkFoldersAbove(dir, parent);
  let real: string | undefined;
  try {
    real = realpathSync(parent);
  } catch {
    real = undefined;
  }
  if (real && real !== parent) checkFoldersAbove(dir, real);
}

/**
 * lstat of `path` (a folder on the way to socket folder `dir`), undefined
 * when absent; one this user may not look at (XDG_RUNTIME_DIR kept from
 * another user across `su`) is VAULT_AGENT_UNSAFE, never an internal error.
 */
function looked(dir: string, path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw unsafeSocketDir(dir, `${path} cannot be looked at (${code}); XDG_RUNTIME_DIR or TMPDIR may be another user's, kept across su`);
  }
}

/** The way out when the trouble is above the socket folder (it is the user's own; removing it would change nothing). */
const ABOVE_FIX = 'Point XDG_RUNTIME_DIR (or TMPDIR) at a private folder of yours, e.g.: export XDG_RUNTIME_DIR=/run/user/$(id -u)';

/**
 * The variable that named `above` when it is the folder right above socket folder `dir` (socketNamed makes
 * `$XDG_RUNTIME_DIR/cpw-vault` and `$TMPDIR/cpw-vault-<uid>`): the user set it, so the message names it and its fix.
 */
function variableNaming(dir: string, above: string): string | undefined {
  if (above !== dirname(resolve(dir))) return undefined;
  if (basename(dir) === 'cpw-vault') return 'XDG_RUNTIME_DIR';
  return basename(dir) === `cpw-vault-${uid()}` && above !== '/tmp' ? 'TMPDIR' : undefined;
}

/** The refusal of a folder above `dir` (`above`, for `why`): about the variable that named it, when one did. */
function unsafeAbove(dir: string, above: string, why: string): VaultError {
  const name = variableNaming(dir, above);
  if (!name) return unsafeSocketDir(dir, `a folder above it, ${above}, ${why}`, ABOVE_FIX);
  // "A folder above it" sent users looking at the wrong folder: the one at fault is the one their variable names.
  return unsafeSocketDir(
    dir,
    `${name} is ${above}, which ${why}: no unlock agent may listen there`,
    `Unset ${name} (cpw-vault then uses a private folder of its own), or point it at a private folder of yours: mkdir -m 700 -p ~/.cpw-run && export ${name}=~/.cpw-run`,
  );
}

/** Throws VAULT_AGENT_UNSAFE when `from` or a folder above it belongs to another user (not root) or others can change it without the sticky bit. */
function checkFoldersAbove(dir: string, from: string): void {
  for (let above = from; ; above = dirname(above)) {
    const a = looked(dir, above);
    if (a && a.uid !== uid() && a.uid !== 0) throw unsafeAbove(dir, above, `belongs to another user (uid ${a.uid}), who could put a socket of theirs in its place`);
    if (a && a.isDirectory() && a.mode & 0o022 && !(a.mode & 0o1000)) {
      throw unsafeAbove(dir, above, `other users can change (mode ${modeString(a.mode)}, not sticky), so they could put a socket of theirs in its place`);
    }
    if (above === dirname(above)) break;
  }
}

/**
 * Why no unlock agent may listen in socket folder `dir` (the VAULT_AGENT_UNSAFE that `unlock` would meet), or
 * undefined when one may. For a read that finds no agent: "no agent is running, unlock it" sent users to an
 * unlock that could only refuse (a 0777 XDG_RUNTIME_DIR, where the socket folder was never made).
 */
export function socketDirRefusal(dir: string): VaultError | undefined {
  try {
    if (!checkSocketDir(dir, false)) checkAllAbove(dir);
    return undefined;
  } catch (err) {
    if (isVaultError(err, 'VAULT_AGENT_UNSAFE')) return err;
    throw err;
  }
}

/**
 * The error of a read of vault file `identityPath`'s values that found no unlock agent: the folder's refusal
 * (VAULT_AGENT_UNSAFE) when no agent may listen there, else VAULT_LOCKED (unlock it), naming the folder an agent of
 * this vault listens in when one was started under another XDG_RUNTIME_DIR or TMPDIR. The store's reads, and list's
 * and which's note, say the same.
 */
export function noAgentError(identityPath: string, env: Env): VaultError {
  const socket = agentSocketFor(identityPath, env);
  const refusal = socketDirRefusal(socket.dir);
  if (refusal) return refusal;
  // Only on this failing path (one /proc scan): "no unlock agent is running" while one served the vault sent users to
  // unlock again from each cron job or CI step.
  const elsewhere = agentSocketsElsewhere(agentSocketNames(identityPath), socket.path)[0];
  return elsewhere ? vaultAgentElsewhere(dirname(elsewhere), socket.dir) : vaultLocked();
}

/**
 * Whether an unlock agent of the vault beside `profilePath` listens, without
 * connecting to it (a stopped agent held a connect 5 s): what `list`, `which`
 * and `setup` say about a locked vault file.
 */
export function vaultAgentListening(profilePath: string, env: Env): boolean {
  return socketListening(agentSocketFor(vaultFilesFor(profilePath).identity, env).path);
}
