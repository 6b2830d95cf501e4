import { fchmodSync, fstatSync, lstatSync, readFileSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from '../core/errors';
import { shellWord, withoutControlChars } from '../core/control-chars';
import { procStatFields } from '../node/builtins';
import { descriptorTarget } from './descriptors';

/**
 * Before `get` or `env` writes values to stdout: when stdout is a regular
 * file other users can open (`cpw-vault env ... > .env.local` under the
 * usual umask 022 makes it 0644), the file is made 0600 first, as every
 * file cpw-vault writes a secret to, and the user is told. When other users
 * can also reach it (every folder above it lets them through), one of them
 * may have opened it between the shell's create and that chmod, and keeps
 * reading what is written: refused, nothing written. So is a file in a
 * folder of another user (a link planted in /tmp led there). A file of
 * another user (one planted in /tmp under the name the user redirects to)
 * is refused before anything is written; one of the user's own whose
 * filesystem keeps its mode (a Windows drive under WSL) gets a warning. A
 * named FIFO is judged as a file (another user's is refused: it would hand
 * the values to its reader). A terminal, a pipe or /dev/null is left alone.
 * `example` makes the calling command redirected to a file of the user's own,
 * for the fix line (get's named env's, a command the user never ran): only
 * for a refusal.
 * Returns the line to print on stderr, if any.
 */
export function protectSecretOutput(fd = 1, example: () => string = () => 'cpw-vault env --workflow W --format dotenv > ~/.env.local'): string | undefined {
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch {
    return undefined; // no stdout: nothing is written anywhere
  }
  const me = process.getuid?.();
  const sudoer = me === undefined ? undefined : sudoUid(me);
  // A terminal of another user (a link planted to their /dev/pts/N, opened to all): refused as their file is. Root's
  // devices (a console, /dev/tty, the terminal `su` was run from) are not theirs.
  if (st.isCharacterDevice() && me !== undefined && st.uid !== me && st.uid !== 0 && st.uid !== sudoer) {
    throw new VaultError('INVALID_ARGUMENT', `Refusing to write secret values to ${fileName(fd)}: it is a device of another user (uid ${st.uid}).`, 'Write them to your own terminal or a file of your own, or pipe them.');
  }
  // A named FIFO is a file too: another user's, planted under the name the user redirects to (mkfifo in /tmp),
  // hands every value to whoever reads it. A pipe the shell made (`| consumer`) has no name and is left alone.
  const fifo = st.isFIFO() && isNamedFifo(fd);
  if (!st.isFile() && !fifo) return undefined;
  const mode = st.mode & 0o777;
  const owner = st.uid;
  // Another user's file first, whatever its mode: its owner can chmod it back or read it already (0600 or
  // 0666 alike). Root can write to any file, so this is the only check between root (a container, CI) and
  // a file planted in /tmp; under sudo, the file the invoking user's shell made is theirs to read.
  if (me !== undefined && owner !== me && owner !== sudoer) {
    throw new VaultError('INVALID_ARGUMENT', `Refusing to write secret values to ${fileName(fd)}: it belongs to another user (uid ${owner}), who can read it whatever its mode (${mode.toString(8).padStart(4, '0')}).`, `Write them to a file of your own (e.g. umask 077; ${example()}), or pipe them.`);
  }
  // A FIFO of the user's that others can open: the open for writing returned once a reader was there, maybe theirs
  // (a chmod now comes too late). Refused; made private before any reader opens it, it is fine.
  if (fifo && mode & 0o077) {
    throw new VaultError('INVALID_ARGUMENT', `Refusing to write secret values to ${fileName(fd)}: it is a FIFO other users can open (mode ${mode.toString(8).padStart(4, '0')}), so its reader may be theirs.`, `Make it private before any reader opens it (mkfifo -m 600, or chmod 600 ${shellWord(descriptorTarget(fd) ?? 'stdout')}), or use a pipe.`);
  }
  const path = filePath(fd);
  const folder = path === undefined ? undefined : statSync(dirname(path), { throwIfNoEntry: false });
  if (me !== undefined && folder && folder.uid !== me && folder.uid !== 0 && folder.uid !== sudoer) {
    throw new VaultError('INVALID_ARGUMENT', `Refusing to write secret values to ${fileName(fd)}: it is in a folder of another user (uid ${folder.uid}), who controls what is there (a link planted under the name you redirected to may have led there).`, 'Write them to a file in a folder of your own (e.g. ~/.env.local), or pipe them.');
  }
  if ((mode & 0o077) === 0) return undefined;
  const name = fileName(fd);
  const was = mode.toString(8).padStart(4, '0');
  // The file's group counts as other users unless it is the user's own primary group (a setgid team folder
  // makes new files its group's: 0660 under umask 007 is readable by every member).
  const othersRead = (mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && st.gid !== process.getgid?.());
  if (othersRead && path !== undefined && othersCanReach(path)) {
    // A reader may hold it open already: made 0600 and left there, the next run (the fix's umask 077, then the
    // same redirect) would write into it, accepted. An empty file this command's shell just created (`> file`) is
    // removed, so that run makes a new one. Any other is left as it is: one with content (`>>`), and an empty one
    // that was there before, which may be a file of the user's that a link planted in /tmp led the redirect to
    // (`>>` leaves it untouched: removing it was this command's doing alone).
    const left = st.size === 0 ? createdByThisCommand(path, st) : undefined;
    const removed = left === true && removeIfSame(path, st);
    const why = left === true ? 'it could not be removed' : left === false ? 'it was there before this command ran (the redirect of a { ...; } group or a loop makes it first; or a link led the redirect to it)' : 'cpw-vault cannot tell that this command made it';
    const kept = st.size === 0 && !removed ? `; the empty file was left in place, as ${why}` : '';
    throw new VaultError('INVALID_ARGUMENT', `Refusing to write secret values to ${name}: it is readable by other users (${was}) in a folder they can reach, so one of them may have opened it before it could be made private, and would read what is written. Nothing was written${removed ? '; the empty file was removed, so whoever holds it open gets nothing' : kept}.`, `Make new files private first: umask 077, then redirect again${removed ? '' : ` to a new file (rm ${shellWord(name)} first: who opened it may still hold it)`}; or write under a folder only you can enter (chmod 700 the folder), or pipe them.`);
  }
  try {
    fchmodSync(fd, 0o600);
    if ((fstatSync(fd).mode & 0o077) === 0) return `note: ${name} was readable by other users (${was}); it is now 0600, as the secret values written to it need.`;
  } catch {
    // its filesystem refuses modes: said below
  }
  return `warning: ${name} can be read by other users (${was}) and its filesystem keeps that mode; the secret values are written to it. Write them somewhere only you can read, or pipe them instead.`;
}

/** The absolute path of the file open as `fd` (Linux), when it has one still. */
function filePath(fd: number): string | undefined {
  const path = descriptorTarget(fd);
  return path?.startsWith('/') && !path.endsWith(' (deleted)') ? path : undefined;
}

/**
 * Whether users other than the owner can get to `path`: every folder above it lets them through (o+x, or g+x
 * of a group other than the user's own primary group).
 */
function othersCanReach(path: string): boolean {
  const myGroup = process.getgid?.();
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st || ((st.mode & 0o001) === 0 && ((st.mode & 0o010) === 0 || st.gid === myGroup))) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * Whether the empty file `st` (open as stdout, at `path`) was created by this command's shell: born (statx btime)
 * no earlier than this process (the shell opens a redirect after it forks the command), with one link. False for
 * an older one (the shell's `>>`, or `>` emptying an existing file: maybe the user's own, reached through a link
 * another user planted); undefined when it cannot be told (no birth time, no /proc).
 */
function createdByThisCommand(path: string, st: Stats): boolean | undefined {
  const started = processStartMs();
  if (started === undefined || !(st.birthtimeMs > 0)) return undefined;
  // The start is known to a clock tick (10 ms) either way, and a file system may stamp with a clock a tick behind:
  // a file made within that of the start counts as made by this command.
  return st.birthtimeMs >= started - START_SLACK_MS && st.nlink === 1 && lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

/** How far a birth time may precede the computed process start and still count as after it. */
const START_SLACK_MS = 25;

/**
 * When this process was forked (Linux: its start in clock ticks after boot, /proc/self/stat field 22, against
 * /proc/uptime; both count the time suspended since Linux 5.5), in epoch ms; undefined elsewhere.
 */
function processStartMs(): number | undefined {
  try {
    const ticks = Number(procStatFields('self')?.[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    // USER_HZ, what /proc counts ticks in, is 100 on every architecture Node runs on.
    return Number.isFinite(ticks) && Number.isFinite(uptime) ? Date.now() - uptime * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `path` when it is still the file `st` describes (same device and inode); whether it did. */
function removeIfSame(path: string, st: Stats): boolean {
  try {
    const now = lstatSync(path);
    if (now.dev !== st.dev || now.ino !== st.ino || now.nlink !== 1) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The path of the file open as `fd` (Linux), for a message; "stdout" elsewhere. */
function fileName(fd: number): string {
  return withoutControlChars(descriptorTarget(fd) ?? 'stdout');
}

/** Whether the FIFO open as `fd` has a name in the file system (Linux: not an anonymous `pipe:[N]`); false when unknown. */
function isNamedFifo(fd: number): boolean {
  return descriptorTarget(fd)?.startsWith('pipe:') === false;
}

/** Under sudo (running as root), the invoking user's uid: the files and terminal their shell opened are theirs. */
function sudoUid(me: number): number | undefined {
  return me === 0 && process.env.SUDO_UID !== undefined ? Number(process.env.SUDO_UID) : undefined;
}
