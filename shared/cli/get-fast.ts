import { NeedsFullVault, VaultReader } from '../node/vault-reader';
import { EXIT, reportError } from './exit-codes';
import { processIO, type CliIO } from './io';

/**
 * The `cpw-vault get` fast path, bundled alone as dist/get.cjs: pipeline
 * scripts call `get` in loops, so it loads only the read side of the vault
 * (no argument parser, no schema library, no prompts). Anything unusual —
 * other options, a profile that needs upgrading or a precise error, a due
 * last_used_at stamp — is handed to the full CLI (dist/cli.cjs), which gives
 * the same answer.
 */

/** The full CLI bundle, beside this one in dist/ (never bundled into it). */
function fullCli(): typeof import('./bin') {
  // A runtime require of the sibling bundle (marked external in scripts/build-cli.mjs), not an import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./cli.cjs') as typeof import('./bin');
}

interface GetArgs {
  service: string;
  key: string;
  json: boolean;
  profile?: string;
}

/** Parses `get <service> <key> [--json] [--profile PATH]`; anything else is for the full CLI. */
function parse(argv: string[]): GetArgs | undefined {
  const rest = argv.slice(1);
  const out: Partial<GetArgs> & { positional: string[] } = { json: false, positional: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--json') out.json = true;
    else if (a === '--profile' && i + 1 < rest.length) out.profile = rest[++i]!;
    else if (a.startsWith('-')) return undefined;
    else out.positional.push(a);
  }
  if (out.positional.length !== 2) return undefined;
  const [service, key] = out.positional as [string, string];
  return { service, key, json: !!out.json, ...(out.profile ? { profile: out.profile } : {}) };
}

/** Runs `get`; falls back to the full CLI for everything the fast path does not handle. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const args = parse(argv);
  if (!args) return fullCli().main(argv, io);
  const reader = new VaultReader({ profilePath: args.profile, env: io.env, cwd: io.cwd, caller: 'cli', warn: (m) => io.err(`warning: ${m}\n`) });
  let found: Awaited<ReturnType<VaultReader['findCredential']>>;
  try {
    found = await reader.findCredential(args.service, args.key);
  } catch (err) {
    if (err instanceof NeedsFullVault) return fullCli().main(argv, io);
    return reportError(io, err, args.json);
  }
  if (!found || reader.pendingUsage.length) {
    // Missing (the full CLI words the error) or a last_used_at stamp is due (it writes the profile).
    if (found) await fullCli().recordUse({ profilePath: args.profile, env: io.env, cwd: io.cwd }, reader.pendingUsage).catch(() => {});
    else return fullCli().main(argv, io);
  }
  if (args.json) io.out(`${JSON.stringify({ service: args.service, key: args.key, value: found.value, source: found.source }, null, 2)}\n`);
  else io.out(io.stdoutIsTTY ? `${found.value}\n` : found.value);
  return EXIT.ok;
}
