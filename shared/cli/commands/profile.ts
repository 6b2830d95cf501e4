import { VaultError } from '../../core/errors';
import { EDITABLE_USER_FIELDS } from '../../core/profile-parse';
import { paint } from '../io';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { table } from '../format';

/** `cpw-vault profile show`: user details, preferences, where the file is. */
export async function profileShow(_args: object, ctx: CliContext): Promise<ExitCode> {
  const view = (await ctx.vault()).getProfile();
  if (ctx.globals.json) {
    printJson(ctx.io, view);
    return EXIT.ok;
  }
  const { user, preferences } = view.profile;
  ctx.io.out(`profile: ${view.path}${view.kind === 'none' ? ' (not created yet)' : view.kind === 'legacy' ? ' (deprecated secrets.json)' : ''}\n`);
  ctx.io.out(table(['FIELD', 'VALUE'], EDITABLE_USER_FIELDS.map((f) => [f, String(user[f] || '-')])));
  const prefs = Object.entries(preferences).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? Object.entries(v as object).map(([k2, v2]) => [`${k}.${k2}`, String(v2)]) : [[k, String(v)]],
  );
  ctx.io.out(table(['PREFERENCE', 'VALUE'], prefs));
  return EXIT.ok;
}

/** Parses `key=value` pairs (dotted keys nest; true/false become booleans when `booleans`). */
export function parseAssignments(pairs: string[], booleans: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new VaultError('INVALID_ARGUMENT', 'Each field is given as key=value.', 'Example: cpw-vault profile set name="Ada Lovelace" timezone=Europe/London');
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const value = booleans && (raw === 'true' || raw === 'false') ? raw === 'true' : raw;
    const parts = key.split('.');
    if (parts.some((p) => !/^[a-z][a-z0-9_]*$/.test(p)) || parts.length > 2) throw new VaultError('INVALID_ARGUMENT', 'Field names are lower_case words, optionally one level dotted (notifications.run_failed).', 'Check the field name.');
    let target = out;
    for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** `cpw-vault profile set name=... email=...`: field-level errors, nothing saved on any error. */
export async function profileSet(args: { pairs: string[] }, ctx: CliContext): Promise<ExitCode> {
  const view = await (await ctx.vault()).updateProfile({ user: parseAssignments(args.pairs, false) });
  if (ctx.globals.json) printJson(ctx.io, view);
  ctx.io.err(`${paint(ctx.io).green('✓')} Profile saved (${view.path}).\n`);
  return EXIT.ok;
}

/** `cpw-vault profile prefs set key=value`: preferences merge. */
export async function prefsSet(args: { pairs: string[] }, ctx: CliContext): Promise<ExitCode> {
  const view = await (await ctx.vault()).updateProfile({ preferences: parseAssignments(args.pairs, true) });
  if (ctx.globals.json) printJson(ctx.io, view);
  ctx.io.err(`${paint(ctx.io).green('✓')} Preferences saved.\n`);
  return EXIT.ok;
}
