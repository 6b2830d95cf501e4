import { isVaultError } from '../core/errors';
import { NeedsFullVault, VaultReader } from '../node/vault-reader';
import { renderEnv, ENV_FORMATS, type EnvFormat } from './commands/env';
import { EXIT, reportError } from './exit-codes';
import { processIO, type CliIO } from './io';

/**
 * The fast path for `get` and `env`, bundled alone as dist/fast.cjs: pipeline
 * scripts call them in loops, so they load only the read side of the vault
 * (no argument parser, no schema library, no prompts). Anything unusual —
 * other options, a profile that needs upgrading or a precise error, a due
 * last_used_at stamp, a missing credential — is handed to the full CLI
 * (dist/cli.cjs), which gives the same answer.
 */

/** The full CLI bundle, beside this one in dist/ (never bundled into it). */
function fullCli(): typeof import('./bin') {
  // A runtime require of the sibling bundle (marked external in scripts/build-cli.mjs), not an import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./cli.cjs') as typeof import('./bin');
}

interface FastArgs {
  command: 'get' | 'env';
  positional: string[];
  json: boolean;
  profile?: string;
  workflow?: string;
  format?: string;
}

/** Parses the plain forms of `get <service> <key>` and `env --workflow W`; anything else is for the full CLI. */
function parse(argv: string[]): FastArgs | undefined {
  const [command, ...rest] = argv;
  if (command !== 'get' && command !== 'env') return undefined;
  const out: FastArgs = { command, positional: [], json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const next = rest[i + 1];
    if (a === '--json') out.json = true;
    else if (a === '--profile' && next !== undefined) out.profile = rest[++i];
    else if (command === 'env' && a === '--workflow' && next !== undefined) out.workflow = rest[++i];
    else if (command === 'env' && a === '--format' && next !== undefined) out.format = rest[++i];
    else if (a.startsWith('-')) return undefined;
    else out.positional.push(a);
  }
  if (command === 'get' && out.positional.length !== 2) return undefined;
  if (command === 'env' && (out.positional.length || !out.workflow || (out.format && !(ENV_FORMATS as readonly string[]).includes(out.format)))) return undefined;
  return out;
}

/** Runs `get` / `env`; falls back to the full CLI for everything the fast path does not handle. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const args = parse(argv);
  if (!args) return fullCli().main(argv, io);
  const reader = new VaultReader({ profilePath: args.profile, env: io.env, cwd: io.cwd, caller: 'cli', warn: (m) => io.err(`warning: ${m}\n`) });
  let text: string;
  try {
    if (args.command === 'get') {
      const [service, key] = args.positional as [string, string];
      const found = await reader.findCredential(service, key);
      if (!found) return fullCli().main(argv, io); // the full CLI words the missing-credential error
      text = args.json ? `${JSON.stringify({ service, key, value: found.value, source: found.source }, null, 2)}\n` : io.stdoutIsTTY ? `${found.value}\n` : found.value;
    } else {
      const format = (args.json ? 'json' : args.format ?? 'sh') as EnvFormat;
      text = renderEnv(await reader.workflowEnv(args.workflow!), format);
    }
  } catch (err) {
    if (err instanceof NeedsFullVault) return fullCli().main(argv, io);
    // A locked vault file on a terminal: the full CLI, with its terminal prompts, asks the passphrase.
    if (io.stdinIsTTY && isVaultError(err, 'VAULT_LOCKED')) return fullCli().main(argv);
    return reportError(io, err, args.json);
  }
  // A due last_used_at stamp means a profile write: the full CLI's writer does it (once a minute at most).
  if (reader.pendingUsage.length) await fullCli().recordUse({ profilePath: args.profile, env: io.env, cwd: io.cwd }, reader.pendingUsage).catch(() => {});
  io.out(text);
  return EXIT.ok;
}
