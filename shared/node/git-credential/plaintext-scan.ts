import { join } from 'node:path';
import { shWord } from '../../core/control-chars';
import { maskedHint } from '../../core/credential';
import { hfTokenPath } from '../migration/sources';
import { readConfigText, TOO_LARGE } from './config-text';

type Env = Readonly<Record<string, string | undefined>>;

/** A file that still holds a HuggingFace token in plaintext, and how to move it into the vault. Never the token. */
export interface PlaintextToken {
  path: string;
  kind: 'git-credentials' | 'hf-token-file' | 'migration-backup' | 'secrets-json';
  message: string;
  fix: string;
}

const HF_HOSTS = new Set(['huggingface.co', 'hf.co']);

const MAX_BYTES = 1024 * 1024;

/**
 * The file's text; undefined for none there, one over MAX_BYTES, one that cannot be read or is no regular file, and
 * another user's (see readConfigText): its token was named with a fix that took it into the user's vault.
 */
function readSmall(path: string): string | undefined {
  const text = readConfigText(path, MAX_BYTES, { ownOnly: true });
  return text === TOO_LARGE ? undefined : text;
}

/** The token of a git-credential-store file's first entry for a HuggingFace host, if any (git answers with that one). */
function storedHfToken(text: string): string | undefined {
  for (const line of text.split('\n')) {
    try {
      const url = new URL(line.trim());
      if (HF_HOSTS.has(url.hostname) && url.password !== '') return decodeURIComponent(url.password);
    } catch {
      // not a URL line
    }
  }
  return undefined;
}

/** The vault's HuggingFace token as doctor knows it: its hint when indexed, its value when it could be read. */
export interface VaultToken {
  hint?: string | undefined;
  value?: string | undefined;
}

/** How git's token compares with the vault's: none in the vault, the same value, or another one (or one that could not be read). */
type Versus = 'none' | 'same' | 'other';

/**
 * A fix, and what the message says of it (then the other way, a command of its own). Never a `   # ...` comment after
 * the fix's command: an interactive zsh (macOS's shell) reads `#` as a word, without `setopt interactive_comments`, so
 * `rm` was handed the comment's words as files to remove, and a quote in "vault's" swallowed the lines after it.
 */
interface FixAndNote {
  fix: string;
  note?: string;
}

/** A finding's message: what `path` holds, how it stands against the vault's token, then the fix's note. */
function messageOf(said: string, versusSaid: string, { note }: FixAndNote): string {
  return `${said}${versusSaid}.${note ? ` ${note}` : ''}`;
}

function versusVault(token: string, vault: VaultToken): Versus {
  if (!vault.hint && vault.value === undefined) return 'none';
  return vault.value === token ? 'same' : 'other';
}

/**
 * The one-liner that moves an HF token out of git's plaintext store into the
 * vault, then erases it there. When the vault holds one already, the same
 * token (compared by value, never by hint: two tokens can end alike) is only
 * erased; another one is never replaced by a line pasted from here without a
 * word: the user checks which works first.
 */
function gitStoreFix(path: string, helperLine: string, versus: Versus): FixAndNote {
  const req = "printf 'protocol=https\\nhost=huggingface.co\\n\\n'";
  const take = `${req} | git credential-store --file ${shWord(path)} get | sed -n 's/^password=//p' | cpw-vault set huggingface token`;
  const erase = `${req} | git credential-store --file ${shWord(path)} erase`;
  if (versus === 'same') return { fix: [erase, helperLine].join('\n') };
  // The choice rides on verify's exit; the other way is in the message (see FixAndNote): pasted as a whole into a
  // terminal, the prose line `verify ... (to keep ...)` was a syntax error and the next line erased git's token all the same.
  if (versus === 'other') return { fix: [`cpw-vault verify huggingface token && ${erase}`, helperLine].join('\n'), note: `The fix erases git's copy only if your vault's token works; if it does not, take git's instead: ${take}` };
  return { fix: [take, erase, helperLine].join('\n') };
}

/**
 * The line that moves the Hub's token file into the vault. As for git's
 * store, another token than the vault's is never replaced by a line pasted
 * from here without a word: `migrate` would skip it as a conflict and keep
 * the file (exit 1), and `set` would replace the vault's. The user checks
 * which works, then keeps one.
 */
function tokenFileFix(path: string, standard: boolean, versus: Versus): FixAndNote {
  // migrate recognises the Hub's standard token file; another path goes in through stdin.
  const take = (overwrite: boolean) => (standard ? `cpw-vault migrate --from ${shWord(path)}${overwrite ? ' --overwrite huggingface.token' : ''} --remove-plaintext --yes` : `cpw-vault set huggingface token < ${shWord(path)} && rm ${shWord(path)}`);
  if (versus === 'other') return { fix: `cpw-vault verify huggingface token && rm ${shWord(path)}`, note: `The fix removes the file only if your vault's token works; if it does not, take the file's instead: ${take(true)}` };
  // The command last, as in every fix line: the words in parentheses after it were pasted too, a shell syntax error.
  return { fix: `Move it into the vault, then run stages under cpw-vault exec, which gives them HF_TOKEN: ${take(false)}` };
}

/** How a plaintext token stands against the vault's, for the message (hints only). */
function versusText(token: string, vault: VaultToken, versus: Versus): string {
  const hint = maskedHint(token);
  if (versus === 'none') return '';
  if (versus === 'same') return `, the same token your vault holds (${hint})`;
  if (vault.value === undefined) return `: ${hint}; your vault's (${vault.hint}) could not be read to compare`;
  return hint === vault.hint ? `: not the token your vault holds, though both end in ${hint}` : `: ${hint}, not the token your vault holds (${vault.hint})`;
}

/**
 * Looks for HuggingFace tokens left in plaintext: git's credential store
 * (~/.git-credentials, $XDG_CONFIG_HOME/git/credentials) and the Hub's
 * token file ($HF_TOKEN_PATH, $HF_HOME/token, ~/.cache/huggingface/token).
 * Reads only to decide; never returns or logs a value (git's token and the
 * token file's are compared with the vault's, `vaultToken()`, asked only
 * when one of them holds a token; messages show hints, as `list` does).
 */
export async function findPlaintextHfTokens(env: Env, home: string, helperLine: string, vaultToken: () => Promise<VaultToken> = async () => ({})): Promise<PlaintextToken[]> {
  const found: PlaintextToken[] = [];
  const gitStores = [join(home, '.git-credentials'), join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'git', 'credentials')];
  for (const path of gitStores) {
    const text = readSmall(path);
    const token = text ? storedHfToken(text) : undefined;
    if (!token) continue;
    const vault = await vaultToken();
    const versus = versusVault(token, vault);
    const fix = gitStoreFix(path, helperLine, versus);
    found.push({ path, kind: 'git-credentials', message: messageOf(`${path} holds a HuggingFace token in plaintext (git's "store" helper)`, versusText(token, vault, versus), fix), fix: fix.fix });
  }
  const standard = hfTokenPath(env, home);
  const tokenFiles = new Set([env['HF_TOKEN_PATH'], standard].filter((p): p is string => !!p));
  for (const path of tokenFiles) {
    const token = readSmall(path)?.trim();
    if (!token) continue;
    const vault = await vaultToken();
    const versus = versusVault(token, vault);
    const fix = tokenFileFix(path, path === standard, versus);
    found.push({ path, kind: 'hf-token-file', message: messageOf(`${path} holds a HuggingFace token in plaintext (written by huggingface-cli login)`, versusText(token, vault, versus), fix), fix: fix.fix });
  }
  return found;
}
