import { homedir } from 'node:os';
import { runDoctor } from '../../node/doctor';
import { findPlaintextHfTokens } from '../../node/git-credential/plaintext-scan';
import { gitConfigLine } from './git-credential';
import { paint } from '../io';
import { describeStatus } from './check';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';

/**
 * `cpw-vault doctor`: profile path, permissions and schema version; the
 * keychain (reachable, locked, reason code and fix); each workflow's
 * readiness; HuggingFace tokens still in plaintext (~/.git-credentials,
 * the Hub's token file) as warnings with the migration. Exit 0 when nothing
 * is broken, 4 when the keychain is not usable, 1 for any other problem.
 */
export async function doctor(_args: object, ctx: CliContext): Promise<ExitCode> {
  const report = await runDoctor(await ctx.vault());
  const { profile, keychain, workflows } = report;
  const plaintext = findPlaintextHfTokens(ctx.io.env, ctx.io.env['HOME'] || homedir(), gitConfigLine(ctx.io.env));
  if (ctx.globals.json) printJson(ctx.io, { ...report, plaintext_tokens: plaintext });
  else {
    const p = paint(ctx.io);
    const mark = (good: boolean) => (good ? p.green('✓') : p.red('✗'));
    ctx.io.err(`${mark(profile.problems.length === 0)} profile ${profile.path}\n    kind: ${profile.kind}  mode: ${profile.mode ?? '-'}  folder: ${profile.dir_mode ?? '-'}  schema: ${profile.version ?? '-'}\n`);
    for (const problem of profile.problems) ctx.io.err(`    ${p.red(problem.code)} ${problem.message}\n    fix: ${problem.fix}\n`);
    ctx.io.err(`${mark(keychain.ok)} keychain ${keychain.backend}${keychain.ok ? ': reachable and unlocked' : `\n    ${p.red(keychain.code)} ${keychain.message}\n    fix: ${keychain.fix}`}\n`);
    for (const w of workflows) ctx.io.err(describeStatus(ctx.io, w));
    for (const t of plaintext) ctx.io.err(`${p.yellow('!')} ${t.message}\n    fix: ${t.fix.split('\n').join('\n         ')}\n`);
  }
  if (!keychain.ok) return EXIT.keychain;
  return report.ok ? EXIT.ok : EXIT.failure;
}
