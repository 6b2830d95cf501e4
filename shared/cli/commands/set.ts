import { catalogEntry, checkFormat } from '../../core/catalog';
import { credentialId, isSecretShapedName, KEY_NAME, MAX_SECRET_LENGTH, SERVICE_NAME, type CredentialId } from '../../core/credential';
import { withoutControlChars } from '../../core/control-chars';
import { envVarClashFix, envVarClashText, movedEnvVarText, type MovedEnvVar } from '../../core/env-var-names';
import { distance, nearMissError } from '../../core/near-names';
import { VaultError } from '../../core/errors';
import { storeName } from '../../core/secret-store';
import type { CredentialMeta } from '../../core/profile-schema';
import type { Vault } from '../../node/vault/vault';
import { paint, type StdinUse } from '../io';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { interruptible } from '../signals';

export interface SetArgs {
  service: string;
  key: string;
  force?: boolean;
  label?: string;
  envVar?: string;
}

/** How to give stdin a value, when what it is gives none. */
const STDIN_FIX = 'Redirect a file (< key.txt), pipe the value (printf %s "$KEY" | cpw-vault ...), or run on a terminal to type it at a hidden prompt.';

/** Piped stdin, read for a value: at most 4 bytes a character, and as much again for spaces around it (trimmed). */
const VALUE_FROM_STDIN: StdinUse = {
  maxBytes: 8 * MAX_SECRET_LENGTH,
  refuse: (why) => {
    switch (why.kind) {
      case 'closed':
        return new VaultError('INVALID_ARGUMENT', 'stdin is closed (a `<&-` redirect, or a caller that gave none): there is nothing to read the value from.', STDIN_FIX);
      case 'folder':
        return new VaultError('INVALID_ARGUMENT', 'stdin is a folder, not a value (a `< DIR` redirect?).', STDIN_FIX);
      case 'too-large':
        return new VaultError('CREDENTIAL_INVALID', `stdin holds more than ${why.maxBytes} bytes, over the ${MAX_SECRET_LENGTH}-character limit of a value; nothing was stored.`, 'Check that you piped only the key.');
      case 'utf16':
        return new VaultError('INVALID_ARGUMENT', 'stdin is UTF-16 text (a file saved as "Unicode" by Notepad, or written by PowerShell\'s > or Out-File), not UTF-8; nothing was stored.', 'Convert it: iconv -f UTF-16 -t UTF-8 FILE | cpw-vault ...');
      case 'not-utf8':
        return new VaultError('INVALID_ARGUMENT', 'stdin is not valid UTF-8; nothing was stored.', 'Give the value as UTF-8 text, e.g. convert it: iconv -f LATIN1 -t UTF-8');
    }
  },
};

/** Reads the value: all of stdin when piped (one trailing newline dropped), else a hidden prompt. */
async function readValue(args: SetArgs, ctx: CliContext): Promise<string> {
  if (!ctx.io.stdinIsTTY) return (await ctx.io.readStdin(VALUE_FROM_STDIN)).replace(/\r?\n$/, '');
  const entry = catalogEntry(credentialId(args.service, args.key));
  if (entry?.url) ctx.io.err(`Get one at ${entry.url}\n`);
  const prompts = await ctx.io.prompts();
  const value = await prompts.secret(`${entry?.label ?? `${args.service}.${args.key}`} (input hidden):`);
  const format = checkFormat(credentialId(args.service, args.key), value.trim());
  if (!format.ok && !args.force) {
    ctx.io.err(`${paint(ctx.io).yellow('warning:')} ${format.warning}\n`);
    if (await prompts.confirm('Store it anyway?', false)) args.force = true;
  }
  return value;
}

/**
 * `cpw-vault set <service> <key>`: stores a value read from stdin or a hidden
 * prompt — never from argv. A value that does not match the catalog format
 * is refused unless --force (or confirmed at the prompt).
 */
export async function set(args: SetArgs, ctx: CliContext): Promise<ExitCode> {
  // One already stored is never a typo: it is being set again (the app's form does not check names).
  const typo = nearMiss(args);
  if (typo && !(await ctx.vault()).listCredentials().some((c) => c.id === credentialId(args.service, args.key) && c.meta)) throw typo;
  const value = await readValue(args, ctx);
  const vault = await ctx.vault();
  const { meta, warning, replaced, movedEnvVar } = await interruptible((signal) => vault.setCredential(args.service, args.key, value, {
    acceptFormatWarning: !!args.force,
    signal,
    ...(args.label !== undefined ? { label: args.label } : {}),
    ...(args.envVar !== undefined ? { envVar: args.envVar } : {}),
  }));
  const p = paint(ctx.io);
  if (warning) ctx.io.err(`${p.yellow('warning:')} ${warning} Stored anyway (--force).\n`);
  // Values are stored trimmed (a pasted key often carries spaces): said when that changed what was given.
  if (value !== value.trim()) ctx.io.err(`${p.yellow('note:')} the spaces or line breaks at the start or end of the value were not stored (values are kept trimmed).\n`);
  const id = credentialId(args.service, args.key);
  // A different value was there (a pipe from another store, a pasted old key): said, with what it was, never silent.
  ctx.io.err(storedLine(p, id, meta, vault.backend(), replaced));
  envVarNotes(ctx, vault, id, movedEnvVar);
  const shadow = vault.envVarsFor(id).find((v) => ctx.io.env[v]);
  if (shadow) ctx.io.err(`${p.yellow('note:')} ${shadow} is set in this environment and takes precedence over the stored value.\n`);
  return EXIT.ok;
}

/**
 * What a set without --env-var did with the credential's env var: moved off a name no credential may carry now (an
 * older version let it take), or kept though other credentials name it too, so that it carries none: named, with the
 * fix, as list and doctor name it (a rotation that renamed one of such a pair did so without a word).
 */
function envVarNotes(ctx: CliContext, vault: Vault, id: CredentialId, moved: MovedEnvVar | undefined): void {
  const p = paint(ctx.io);
  if (moved) ctx.io.err(`${p.yellow('note:')} ${withoutControlChars(movedEnvVarText(moved))}\n`);
  const clash = catalogEntry(id) ? undefined : vault.envVarClash(id);
  if (clash) ctx.io.err(`${p.yellow('note:')} ${withoutControlChars(envVarClashText(clash))}\n${p.dim('fix:')} ${withoutControlChars(envVarClashFix(clash))}\n`);
}

/**
 * A name one or two edits from a catalog credential (`set huggingfce token`)
 * is refused before the value is asked, naming the one meant: it was stored
 * as a new custom credential without a word. A custom credential of that
 * very name is one --env-var away.
 */
function nearMiss(args: SetArgs): VaultError | undefined {
  // A name that is no name at all is for setCredential to refuse, in its own words (a key typed as the service...).
  if (!SERVICE_NAME.test(args.service) || !KEY_NAME.test(args.key) || isSecretShapedName(args.service, args.key)) return undefined;
  return nearMissError(credentialId(args.service, args.key), args.envVar !== undefined);
}

/** Options set takes, in its fix lines. */
const SET_OPTIONS = 'set takes --force, --label, --env-var (and --profile)';

/**
 * The word after the key, shown in the message only when it is no secret: one letter (`-f`), or at most two edits
 * from an option some cpw-vault command takes (`--json`, `--froce`, `--passphrase-file`). Any other dash word may
 * be the value itself (`-- -s3cret`, `-correct-horse`): named, it went to the terminal and its scrollback.
 */
function shownOption(word: string, known: readonly string[]): string | undefined {
  if (/^-[a-zA-Z]$/.test(word)) return word;
  return word.length <= 40 && known.some((o) => distance(word, o) <= 2) ? word : undefined;
}

/**
 * The error for extra words after `set <service> <key>`: a value given on the
 * command line; a lone `-` (stdin, as other tools spell it: set reads it
 * anyway); or, when the first starts with a dash, an unknown option, named
 * only when `known` (every long option of cpw-vault) shows it is one (never
 * the words after it: `--passphrase-file X` was told of a value on the
 * command line, and X may be one).
 */
export function argvValueRefused(words: readonly string[] = [], known: readonly string[] = []): VaultError {
  const first = words[0] ?? '';
  if (first === '-' && words.length === 1) {
    return new VaultError('INVALID_ARGUMENT', "set: '-' is not needed: set reads the value from stdin when one is piped (else at a hidden prompt).", 'Leave the - out: printf %s "$VALUE" | cpw-vault set <service> <key>');
  }
  if (/^-./.test(first)) {
    const option = shownOption(first, known);
    return option
      ? new VaultError('INVALID_ARGUMENT', `set: unknown option '${option}'.`, `${SET_OPTIONS}; the value comes on stdin or at the hidden prompt. See: cpw-vault set --help`)
      : new VaultError('INVALID_ARGUMENT', 'set: a word after the key starts with a dash but is no option of set (not shown: it may be the value; cpw-vault set never takes the value on the command line, where other processes can read it).', `${SET_OPTIONS}; the value comes on stdin or at the hidden prompt: printf %s "$VALUE" | cpw-vault set <service> <key>. See: cpw-vault set --help`);
  }
  return new VaultError(
    'INVALID_ARGUMENT',
    'cpw-vault set never takes the value on the command line (other processes can read argv).',
    'Pipe it on stdin: printf %s "$VALUE" | cpw-vault set <service> <key>   or run it in a terminal for a hidden prompt.',
  );
}

/**
 * "✓ Stored <id> in <where> (<hint>)": the keychain, the vault file, or the profile for a value that is not a secret;
 * with `replaced`, the hint of the different value it replaced.
 */
export function storedLine(p: ReturnType<typeof paint>, id: string, meta: CredentialMeta, backend: string, replaced?: string): string {
  const over = !replaced ? '' : replaced === meta.hint ? `, replacing a different value that ended alike (${replaced})` : `, replacing a different value (${replaced})`;
  return `${p.green('✓')} Stored ${id} in ${meta.storage === 'profile' ? 'the profile (not a secret)' : storeName(backend)} (${meta.hint})${over}.\n`;
}
