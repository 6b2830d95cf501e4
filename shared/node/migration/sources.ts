import { closeSync, existsSync, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellArgument, shellWord } from '../../core/control-chars';
import { MAX_SOURCE_BYTES, parseHfTokenFile, parseJsonSource, type ParsedSource } from '../../core/migration-sources';
import { parseDotenv } from '../../core/dotenv-source';
import { iconvName, utf16Form } from '../../core/utf16';
import { LEGACY_SECRETS_PATH } from '../profile/paths';
import { danglingLink, danglingTarget, LINK_LOOP, linkLoop, linkLoopFix, linkToNoFile, loopingLink, loopOnTheWay } from '../profile/legacy-file';
import { currentUid, isLink, modeString, notAKeysFile, othersCanWrite, othersFile, READ_DATA_NOFOLLOW, readError } from '../profile/file-access';
import { readAllBytes } from '../profile/secure-fs';
import { refuseKernelFiles } from './system-files';

/** Where the HuggingFace CLI keeps its token: $HF_HOME/token, else ~/.cache/huggingface/token. */
export function hfTokenPath(env: Readonly<Record<string, string | undefined>>, home = homedir()): string {
  return env['HF_HOME'] ? join(env['HF_HOME'], 'token') : join(home, '.cache', 'huggingface', 'token');
}

/**
 * The file's text; bytes that are not UTF-8 refuse the whole file, never decoded as U+FFFD into a stored secret.
 * UTF-16 (Notepad's "Unicode", PowerShell's > and Out-File) is said as such, with the conversion that reads it: its
 * mark was "not UTF-8 text" with a Latin-1 conversion for the fix, and without one its NULs were UTF-8, each line
 * "not a NAME=value line" or the JSON "invalid" at its second byte.
 */
function strictUtf8(bytes: Uint8Array, path: string): string {
  const utf16 = utf16Form(bytes);
  if (utf16) {
    // iconv reads a marked file by its mark; an unmarked one needs its order named (glibc and macOS guess differently).
    const from = iconvName(utf16);
    throw new VaultError('INVALID_ARGUMENT', `${path} is UTF-16 text (${utf16.marked ? '' : `${utf16.order === 'LE' ? 'little' : 'big'}-endian, no byte-order mark; `}a file saved as "Unicode" by Notepad, or written by PowerShell's > or Out-File), not UTF-8; nothing was changed.`, `Convert it first: iconv -f ${from} -t UTF-8 ${shellWord(path)} > ${shellWord(`${path}.utf8`)}, then --from ${shellWord(`${path}.utf8`)}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new VaultError('INVALID_ARGUMENT', `${path} is not UTF-8 text (a file saved in another encoding, or not text); nothing was changed.`, `Convert it first, e.g.: iconv -f LATIN1 -t UTF-8 ${shellWord(path)} > ${shellWord(`${path}.utf8`)}, then --from ${shellWord(`${path}.utf8`)}`);
  }
}

/**
 * Reads a source file: a regular file of this user, at most 1 MiB, read
 * errors as clear VaultErrors (nothing quoted). Opened without blocking: a
 * FIFO planted at the name (or swapped in after the user confirmed a dropped
 * file) is refused, instead of freezing the app's main process until someone
 * writes to it. Another user's file is refused as the profile's secrets.json
 * is: its keys would become this user's credentials (a `config/secrets.json`
 * planted in a shared folder), unnoticed; so is one other users can modify.
 */
function readSourceText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VaultError('INVALID_ARGUMENT', `${path} does not exist.`, 'Give the file to migrate with --from PATH.');
    if (code === 'ELOOP' && isLink(path) && loopingLink(path)) throw new VaultError('INVALID_ARGUMENT', `${path} is ${LINK_LOOP}; nothing was changed.`, `Remove the link (${linkLoopFix(path)}), and give the file to migrate with --from PATH.`);
    // A link to a file that does not exist is said as one, as the reader and migrate's pass-over say it: "refusing to
    // follow it" read as a link to a file kept from the user.
    const dangling = code === 'ELOOP' && isLink(path) ? danglingTarget(path) : undefined;
    if (dangling !== undefined) throw new VaultError('INVALID_ARGUMENT', `${path} is ${danglingLink(dangling)}; nothing was changed.`, 'Give the file to migrate with --from PATH.');
    if (code === 'ELOOP' && isLink(path)) throw new VaultError('INVALID_ARGUMENT', `${path} is a symbolic link; refusing to follow it.`, realFileFix(path));
    // A socket cannot be opened (ENXIO): it is no file, as a FIFO or folder is ("Cannot read ... (ENXIO)", exit 1).
    if (code === 'ENXIO' && isSocket(path)) throw notARegularFile(path);
    throw readError(err, path);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw notARegularFile(path);
    // Checked here too, for --from and a file chosen in the app's dialog: their sizes lie (0 for /proc/self/environ).
    refuseKernelFiles(path, 'Point --from at a secrets file.');
    if (othersFile(s)) {
      throw new VaultError('INVALID_ARGUMENT', `${path} belongs to another user (uid ${s.uid}); refusing to take its keys as yours. Nothing was changed.`, `If you trust it, check it, then copy it to a file of your own and migrate that: ${ownCopy(path)}`);
    }
    // Others who can write the file chose its keys as much as its owner did (a line appended to a 0666 .env
    // outvotes the real one: the last one counts). Group-writable for the user's own group is fine (umask 002).
    if (currentUid !== undefined && othersCanWrite(s)) {
      throw new VaultError('INVALID_ARGUMENT', `${path} can be modified by other users (mode ${modeString(s.mode)}); refusing to take its keys as yours. Nothing was changed.`, `Check that every entry in it is yours, then: chmod go-w ${shellWord(path)}, and migrate again (where chmod has no effect, a Windows drive under WSL say, copy it to a file of your own and migrate that: ${ownCopy(path)}).`);
    }
    if (s.size > MAX_SOURCE_BYTES) throw new VaultError('INVALID_ARGUMENT', `${path} is ${s.size} bytes; migration sources are at most ${MAX_SOURCE_BYTES} bytes.`, 'Check that this is the right file.');
    return strictUtf8(readAllBytes(fd, s.size), path);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw readError(err, path);
  } finally {
    closeSync(fd);
  }
}

function notARegularFile(path: string): VaultError {
  return new VaultError('INVALID_ARGUMENT', `${path} is not a regular file.`, 'Point --from at a secrets file.');
}

function isSocket(path: string): boolean {
  try {
    return !!lstatSync(path, { throwIfNoEntry: false })?.isSocket();
  } catch {
    return false;
  }
}

/**
 * The fix for --from naming a link: the file it leads to, named (as a shell word: a control character in it escaped),
 * the user choosing it knowingly; "Point --from at the real file" left them to find it.
 */
function realFileFix(path: string): string {
  try {
    return `Point --from at the file it leads to, if that is the one to migrate: --from ${shellWord(realpathSync(path))}`;
  } catch {
    // dangling, a loop, or changed since: its own target, as the link holds it
  }
  let target: string | undefined;
  try {
    target = readlinkSync(path);
  } catch {
    // removed since
  }
  return target === undefined ? 'Point --from at the real file.' : `It leads to ${shellWord(target)}, which cannot be reached. Point --from at the real file.`;
}

/** Parses a source, recognising its kind by name (`namedAs`'s: a backup is read as the file it copies) and content. */
export function readSource(path: string, env: Readonly<Record<string, string | undefined>> = process.env, namedAs = path): ParsedSource {
  const text = readSourceText(path);
  const name = basename(namedAs);
  if (resolve(namedAs) === resolve(hfTokenPath(env))) return parseHfTokenFile(path, text);
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) return parseDotenv(path, text);
  // Any other name (.envrc, env, secrets.txt, a backup's): JSON when it reads as JSON (a .json name, or an object or
  // list first); else NAME=value lines, each reported if it is not one. A .envrc was refused as broken JSON.
  if (/\.json$/i.test(name) || /^\uFEFF?\s*[{[]/.test(text)) return parseJsonSource(path, text);
  // Read by content, as a shell sources a .envrc: a $ or backtick there is code, not part of a key.
  const parsed = parseDotenv(path, text, { shell: true });
  if (parsed.entries.length && parsed.entries.every((e) => e.value === undefined)) {
    throw new VaultError('INVALID_ARGUMENT', `${path} is neither JSON nor NAME=value lines (a .env file); nothing was changed.`, 'Point --from at a secrets.json, .env or token file.');
  }
  return parsed;
}

/** A place a source is looked for, and what is there: `passedOver` says why it is not read (see {@link foundAt}). */
export interface FoundSource {
  path: string;
  passedOver?: string;
}

/**
 * What is at `path`, found rather than given (migrate with no --from, setup, the app's Migration screen): undefined
 * when nothing is, else the path, with why it is passed over when it is no source of the
 * user's: another user's (the name itself, a link planted in a shared folder, or the file a link leads to: their
 * keys are never taken as the user's), or not a regular file (a FIFO there was picked first and refused, so the user's
 * own sources after it were never reached), or a link of the user's own (never read through: named by its target
 * with --from instead; one to no file, a loop or a file that does not exist, said as such). `--from` naming one still reads it, and refuses it with its fix.
 */
export function foundAt(path: string): FoundSource | undefined {
  let at: Stats | undefined;
  let to: Stats | undefined;
  try {
    at = lstatSync(path, { throwIfNoEntry: false });
    // Judged before it is followed: a link another user planted in a sticky folder may not be followable at all.
    if (at?.isSymbolicLink() && othersFile(at)) return { path, passedOver: `it is a link another user (uid ${at.uid}) made; what it leads to is not taken as yours` };
    if (at && othersFile(at)) return { path, passedOver: `it belongs to another user (uid ${at.uid}), whose keys are not taken as yours` };
    to = at && statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    // A link on the way that loops (config -> config, planted in a shared folder), or the name itself a link that loops
    // (secrets.json -> secrets.json): passed over as list and get say it. "no config/secrets.json here" hid it.
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') return { path, passedOver: at ? linkLoop(path) : loopOnTheWay(path) };
    // A path through a file: nothing there to read. A link of the user's own to one: a link to no file, below.
    if (!at?.isSymbolicLink()) return undefined;
  }
  // A link of the user's own to a file that does not exist: "no config/secrets.json here" hid it, where list said "it is
  // a symbolic link"; both say what it leads to now.
  const noFile = !to && at?.isSymbolicLink() ? linkToNoFile(path) : undefined;
  if (noFile !== undefined) return { path, passedOver: noFile };
  if (!to) return undefined;
  if (othersFile(to)) return { path, passedOver: `it leads to another user's file (uid ${to.uid}), whose keys are not taken as yours` };
  if (!to.isFile()) return { path, passedOver: notAKeysFile(to) };
  // A link of the user's own to a file of theirs was listed as found, then refused as a link when read (readSourceText
  // never reads through one: what it leads to could change between the plan and the read). Said here, with the file to
  // name instead, so the list and the read agree; the user chooses that file knowingly.
  return at?.isSymbolicLink() ? { path, passedOver: linkedSource(path) } : { path };
}

/** Why a link of the user's own at a place migrate looks is passed over, naming the file it leads to for --from. */
function linkedSource(path: string): string {
  let target: string | undefined;
  try {
    target = realpathSync(path);
  } catch {
    // gone or changed since it was looked at: said without its target
  }
  return `it is a symbolic link${target ? ` to ${shellWord(target)}` : ''}, which migrate does not follow; pass the file it leads to with --from to migrate it`;
}

/**
 * The source to migrate when none is given: config/secrets.json in the
 * working directory (none when that was removed), else a seed profile
 * holding plaintext, else the HuggingFace token file. Undefined when there
 * is nothing. Each place {@link foundAt} passes over is handed to
 * `passedOver` and the next is looked at.
 */
export function findDefaultSource(profilePath: string, cwd: string | undefined, env: Readonly<Record<string, string | undefined>>, home = homedir(), passedOver: (found: Required<FoundSource>) => void = () => {}): string | undefined {
  const usable = (path: string) => {
    const found = foundAt(path);
    if (found?.passedOver !== undefined) passedOver({ path, passedOver: found.passedOver });
    return found !== undefined && found.passedOver === undefined;
  };
  if (cwd !== undefined && usable(resolve(cwd, LEGACY_SECRETS_PATH))) return resolve(cwd, LEGACY_SECRETS_PATH);
  const profile = profilePath;
  try {
    const parsed = existsSync(profile) ? readSource(profile, env) : undefined;
    if (parsed?.kind === 'seed-profile' && parsed.entries.length) return profile;
  } catch {
    // not a readable seed profile: nothing to migrate there
  }
  const hf = hfTokenPath(env, home);
  return usable(hf) ? hf : undefined;
}

/**
 * The commands that copy `path` to a private file of the user's own and migrate it. The copy keeps the file's name:
 * a name decides how it is read (a `.env` as python-dotenv reads it, any other as shell lines or JSON), and a copy
 * named otherwise could read differently.
 */
function ownCopy(path: string): string {
  // The name after a folder, not a word of its own: a '-' first is no option there (shellWord's ./-x).
  const copy = `~/cpw-migrate/${shellArgument(basename(path))}`;
  return `mkdir -p -m 700 ~/cpw-migrate && cp ${shellWord(path)} ${copy} && chmod 600 ${copy} && cpw-vault migrate --from ${copy}`;
}
