import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { shArgument, shScriptWord, shWord } from '../../core/control-chars';
import { VaultError, isVaultError } from '../../core/errors';
import { MAX_REQUEST_BYTES, formatAnswer, isHuggingFaceRequest, parseRequest, requestEnd } from '../../node/git-credential/protocol';
import type { Vault } from '../../node/vault/vault';
import { profilePathsOf, type CliContext } from '../context';
import type { StdinUse } from '../io';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes';
import { shQuote } from './env';
import { protectSecretOutput } from '../secret-output';
import { assertNamedProfileExists } from '../missing-profile';
import type { GitHelper } from '../../node/git-credential/helper-chain';

/** HuggingFace's own default user name for git (huggingface_hub's set_git_credential). */
const DEFAULT_USERNAME = 'hf_user';

function realpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * How git should start this helper: `!cpw-vault git-credential` when the
 * `cpw-vault` on PATH is this very launcher, else by absolute paths. With
 * `profile` (--profile), its absolute path goes along: without it git asked
 * the default profile (another account's token, or none), and git runs the
 * helper in each repository's folder, where a relative path means another file.
 */
function helperCommand(env: Readonly<Record<string, string | undefined>>, profile: string | undefined): string {
  const self = process.argv[1] ? realpath(process.argv[1]) : undefined;
  const onPath = (env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => realpath(join(dir, 'cpw-vault'))).find(Boolean);
  const named = profile === undefined ? '' : ` --profile ${shScriptWord(profile)}`;
  if (self && onPath === self) return `!cpw-vault${named} git-credential`;
  return `!${shQuote(process.execPath)} ${shQuote(self ?? 'cpw-vault')}${named} git-credential`;
}

/**
 * The `git config` commands that install the helper for https://huggingface.co only (for the profile of `ctx`), in
 * the file `git` writes (`git config --global`, or `git -C <repo> config --local`). git runs every helper listed
 * for the URL, in the order it reads them, and after a clone or fetch succeeds hands the token to each to store:
 * beside a general `credential.helper store` (HuggingFace's own instructions) ours alone put the token in
 * ~/.git-credentials. So the empty value first (git empties its list there, dropping helpers read before), and the
 * section made anew at the end of the file (after helpers written later in it; other keys in it go too).
 */
export function gitConfigLine(ctx: Pick<CliContext, 'io' | 'globals'>, git = 'git config --global'): string {
  // --profile, else CPW_PROFILE: git runs the helper from shells that do not export it.
  const paths = profilePathsOf(ctx);
  const profile = paths.origin === 'default' ? undefined : paths.profile;
  const section = 'credential.https://huggingface.co';
  return [
    `${git} --remove-section ${section} 2>/dev/null || :`,
    `${git} --add ${section}.helper '' &&`,
    // One line, whatever the profile's path: see shArgument.
    `${git} --add ${section}.helper ${shArgument(helperCommand(ctx.io.env, profile))}`,
  ].join('\n');
}

/**
 * The commands that keep the token from the helpers `leaks` (hfHelperLeaks): the install made again in each file
 * that lists one (for system and global ones, ~/.gitconfig: its end comes after both), or, for a helper given on
 * git's command line or in GIT_CONFIG_*, what to drop.
 */
export function leakFix(ctx: Pick<CliContext, 'io' | 'globals'>, leaks: GitHelper[]): string {
  // Where doctor ran git (see hfHelperLeaks there). As shWord: a tab or an escape in the folder's name was once
  // `git -C $'...'`, which dash reads as `$` and a quoted word (git: "cannot change to '$/...'"); printable ASCII too.
  const repo = shWord(ctx.io.cwd ?? (ctx.io.env['HOME'] || homedir()));
  const where = { system: 'git config --global', global: 'git config --global', local: `git -C ${repo} config --local`, worktree: `git -C ${repo} config --worktree` } as Record<string, string>;
  const files = [...new Set(leaks.map((l) => where[l.scope]).filter((g): g is string => g !== undefined))];
  const fromCommand = leaks.some((l) => where[l.scope] === undefined);
  return [...files.map((g) => gitConfigLine(ctx, g)), ...(fromCommand ? ['unset GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT   (a credential.helper given with git -c or in the environment: drop it there)'] : [])].join('\n');
}

/** The user name for the token: what git already has, else the account `verify` learnt from whoami, else HuggingFace's default. */
function usernameFor(vault: Vault, requested: string | undefined, fromKeychain: boolean): string {
  if (requested) return requested;
  const account = fromKeychain ? vault.listCredentials().find((c) => c.id === 'huggingface.token')?.meta?.last_validation?.account : undefined;
  return account ?? DEFAULT_USERNAME;
}

/**
 * git's request as text, read up to its blank line (see discardRequest). Its fields need not be UTF-8 (a `wwwauth[]` header
 * the server sent, a `path`, a user name from the URL): bytes that are not
 * become U+FFFD, so a field this helper does not use never stops it from
 * answering, and one it uses (protocol, host, user name) no longer matches
 * or is not echoed.
 */
async function readRequest(ctx: CliContext): Promise<string> {
  if (!ctx.io.readStdinBytes) return ''; // an IO without stdin's bytes (a test's) has no request: nothing is answered
  // Read to its blank line (all git sends), but no more than a request can hold is kept: 100 MB took 349 MB.
  return new TextDecoder('utf-8').decode(await ctx.io.readStdinBytes(MAX_REQUEST_BYTES + 1, requestEnd(), REQUEST_FROM_STDIN));
}

/** How git gives this helper a request, for a stdin that holds none. */
const REQUEST_FIX = 'git runs this helper itself; by hand, type the request (protocol=https, host=huggingface.co) and end it with a blank line. To install it for git: cpw-vault git-credential config';

/**
 * stdin read for git's request. A request of 100 MB is still read to its end (git is never cut off), but past 256 MiB
 * without the blank line that ends one it is no request: `cat /dev/zero |` was read for ever, at full speed.
 */
const REQUEST_FROM_STDIN: StdinUse = {
  maxBytes: 256 * 1024 * 1024,
  refuse: (why) =>
    why.kind === 'folder'
      ? new VaultError('INVALID_ARGUMENT', 'stdin is a folder (a `< DIR` redirect?), not a credential request from git; nothing was answered or changed.', REQUEST_FIX)
      : new VaultError('INVALID_ARGUMENT', `stdin ran on past ${why.kind === 'too-large' ? why.maxBytes : 0} bytes without the blank line that ends a credential request: it is not one from git; nothing was answered or changed.`, REQUEST_FIX),
};

/**
 * Reads git's request to its blank line and drops it (store, erase, an operation a later git adds): git is never cut
 * off (a helper that exits first gives it SIGPIPE), and past what a request can hold nothing is kept, as for get: all
 * of stdin held took 353 MB for a 100 MB request.
 *
 * Not to the end of stdin: the protocol ends a request at its blank line, and git writes nothing after it (it then
 * closes the pipe), so stopping there cuts no git off. A caller that keeps stdin open after it (a script, a credential
 * manager, a person typing the request) waited for ever, or for Ctrl-D, as git's own helpers never make it wait;
 * draining on after answering would keep it waiting for this process to end. Bytes after the blank line are no
 * request's: left unread, as git-credential-store leaves them.
 */
async function discardRequest(ctx: CliContext): Promise<void> {
  await ctx.io.readStdinBytes?.(MAX_REQUEST_BYTES + 1, requestEnd(), REQUEST_FROM_STDIN).catch((err: unknown) => {
    if (isVaultError(err)) throw err; // no request (an endless stdin, a folder): said, as for get
  });
}

/** git's protocol carries one line per field: a NUL or line break would end or split it (a lone CR too: git 2.39.5+ dies on one). */
const UNSAYABLE = /[\r\n\0]/;

async function answerGet(ctx: CliContext): Promise<ExitCode> {
  const request = parseRequest(await readRequest(ctx));
  if (!isHuggingFaceRequest(request, ctx.io.env)) return EXIT.ok; // another host: answer nothing, git asks elsewhere
  try {
    // A --profile (or CPW_PROFILE) that names no file is said as such, as `get` says it: "no token in the vault", with
    // its `set` fix, would have made a new profile at the mistyped path.
    assertNamedProfileExists(ctx.globals.profile, ctx.io);
    const vault = await ctx.vault();
    const found = await vault.findCredential('huggingface', 'token');
    if (!found) {
      ctx.io.err('cpw-vault git-credential: no HuggingFace token in the vault, so none was given to git. fix: cpw-vault set huggingface token\n');
      return EXIT.missing;
    }
    if (UNSAYABLE.test(found.value)) {
      // Only an env var can hold one (stored values are one line): say which, never the value.
      const where = found.source.kind === 'env' ? `$${found.source.name}` : 'the vault';
      throw new VaultError('CREDENTIAL_INVALID', `the HuggingFace token in ${where} holds a line break or NUL, which git's credential protocol cannot carry.`, found.source.kind === 'env' ? `set ${found.source.name} to the token alone, on one line (or unset it to use the vault's).` : 'cpw-vault set huggingface token');
    }
    // A user name git gave that cannot be said back (a NUL, bytes that were not UTF-8) is left out: git keeps its own.
    const requested = request.get('username');
    const username = requested !== undefined && (UNSAYABLE.test(requested) || requested.includes('\ufffd')) ? undefined : usernameFor(vault, requested, found.source.kind === 'keychain');
    // git reads the answer through a pipe; redirected to a file (a user trying the helper by hand), the file gets
    // the same protection as `get`'s (secret-output.ts).
    const notice = protectSecretOutput();
    if (notice) ctx.io.err(`${notice}\n`);
    ctx.io.out(formatAnswer({ ...(username !== undefined ? { username } : {}), password: found.value }));
    return EXIT.ok;
  } catch (err) {
    if (!isVaultError(err)) throw err;
    // stdout stays empty: git gets nothing and asks its next helper (or the user).
    ctx.io.err(`cpw-vault git-credential: no HuggingFace token given to git: ${err.message} fix: ${err.fix}\n`);
    return exitCodeFor(err);
  }
}

/**
 * `cpw-vault git-credential get|store|erase`: git's credential helper
 * protocol. `get` for https://huggingface.co (or the configured Hub
 * endpoint) answers with the HuggingFace token from the vault; any other
 * host gets nothing. `store` and `erase` read git's request and write
 * nothing (the vault is changed with cpw-vault set/delete, never by git).
 * `config` prints the git config command that installs the helper.
 */
export async function gitCredential(args: { operation: string }, ctx: CliContext): Promise<ExitCode> {
  switch (args.operation) {
    case 'get':
      return answerGet(ctx);
    case 'config':
      ctx.io.out(`${gitConfigLine(ctx)}\n`);
      ctx.io.err("Run the lines above once (or: eval \"$(cpw-vault git-credential config)\"): git then asks cpw-vault alone for the HuggingFace token (https://huggingface.co only), so no token sits in ~/.git-credentials or in a remote URL. A credential.helper added later, or in a repository's config, can still get it: cpw-vault doctor checks.\n");
      return EXIT.ok;
    case 'store':
    case 'erase':
      await discardRequest(ctx); // consume git's request (whatever its bytes); change nothing
      return EXIT.ok;
    default:
      // git's protocol: a helper silently ignores operations it does not know (a later git may add some).
      if (ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', 'Unknown git-credential operation.', 'git itself calls get, store and erase. To set cpw-vault up as its helper: cpw-vault git-credential config');
      await discardRequest(ctx);
      return EXIT.ok;
  }
}
