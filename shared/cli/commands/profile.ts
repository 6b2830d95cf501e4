import { agreeing } from '../../core/plural';
import { withoutControlChars } from '../../core/control-chars';
import { VaultError } from '../../core/errors';
import { applyProfileUpdate, EDITABLE_USER_FIELDS } from '../../core/profile-parse';
import { preferencesSchema } from '../../core/profile-schema';
import { paint } from '../io';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { table } from '../format';

/** `cpw-vault profile show`: user details, preferences, where the file is. */
export async function profileShow(_args: object, ctx: CliContext): Promise<ExitCode> {
  const view = (await (ctx.settings ?? ctx.vault)()).getProfile();
  if (ctx.globals.json) {
    printJson(ctx.io, view);
    return EXIT.ok;
  }
  const { user, preferences } = view.profile;
  // A folder named with a line break or an escape sequence: shown with '?' (--json above keeps the path exact).
  ctx.io.out(`profile: ${withoutControlChars(view.path)}${view.kind === 'none' ? ' (not created yet)' : view.kind === 'legacy' ? ' (deprecated secrets.json)' : ''}\n`);
  ctx.io.out(table(['FIELD', 'VALUE'], EDITABLE_USER_FIELDS.map((f) => [f, String(user[f] || '-')])));
  const prefs = Object.entries(preferences).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? Object.entries(v as object).map(([k2, v2]) => [`${k}.${k2}`, String(v2)]) : [[k, String(v)]],
  );
  ctx.io.out(table(['PREFERENCE', 'VALUE'], prefs));
  return EXIT.ok;
}

/**
 * Parses `key=value` pairs (dotted keys nest). `typeOf` gives the type a
 * field has in the schema: a number or boolean field gets a number or
 * boolean ("5", "true"), never the string (anything else stays text, for the
 * schema to refuse with its own message). `example` is the command line a
 * pair without `=` is shown (prefs set's, not profile set's user fields).
 * A key may start with its `section` (`user.email`, as the errors name it).
 */
export function parseAssignments(pairs: string[], typeOf: (path: string[]) => string = () => 'string', example = 'cpw-vault profile set name="Ada Lovelace" timezone=Europe/London', section = 'user'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new VaultError('INVALID_ARGUMENT', 'Each field is given as key=value.', `Example: ${example}`);
    // Typed back as an error named it ("user.email: must be ..."), it was refused as "user.user is not an editable field".
    const key = pair.startsWith(`${section}.`) ? pair.slice(section.length + 1, eq) : pair.slice(0, eq);
    // A field given twice kept the last value, with "✓ saved": which one its user meant is unknown.
    if (seen.has(key)) throw new VaultError('INVALID_ARGUMENT', `${key} is given twice: nothing was saved.`, `Give ${key}= once.`);
    seen.add(key);
    const raw = pair.slice(eq + 1);
    const parts = key.split('.');
    if (parts.some((p) => !/^[a-z][a-z0-9_]*$/.test(p)) || parts.length > 2) throw new VaultError('INVALID_ARGUMENT', 'Field names are lower_case words, optionally one level dotted (notifications.run_failed).', 'Check the field name.');
    const type = typeOf(parts);
    const value = type === 'boolean' && (raw === 'true' || raw === 'false') ? raw === 'true' : type === 'number' && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    let target = out;
    for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** The fields an update would change (compared with the profile as it is), none for a no-op. */
function changedBy(before: unknown, update: Record<string, unknown>, section: string): string[] {
  const out: string[] = [];
  const walk = (now: unknown, patch: Record<string, unknown>, path: string) => {
    for (const [k, v] of Object.entries(patch)) {
      const current = now !== null && typeof now === 'object' ? (now as Record<string, unknown>)[k] : undefined;
      if (v !== null && typeof v === 'object' && current !== null && typeof current === 'object') walk(current, v as Record<string, unknown>, `${path}.${k}`);
      else if (JSON.stringify(current) !== JSON.stringify(v)) out.push(`${path}.${k}`);
    }
  };
  walk(before, update, section);
  return out;
}

/** Saves a user or preferences update; an update that changes nothing is said to be one, and writes nothing. */
async function save(section: 'user' | 'preferences', update: Record<string, unknown>, ctx: CliContext): Promise<ExitCode> {
  const vault = await (ctx.settings ?? ctx.vault)();
  const before = vault.getProfile();
  const p = paint(ctx.io);
  if (before.kind === 'profile') {
    // Validate first (a no-op with a bad field is still an error), then skip the write when nothing changes.
    const after = applyProfileUpdate(before.profile, { [section]: update }, new Date());
    // Compared as it would be stored: the stored zone typed in another case (us/pacific for US/Pacific) is no change.
    const stored = section === 'user' ? Object.fromEntries(Object.keys(update).map((k) => [k, (after.user as Record<string, unknown>)[k]])) : update;
    if (!changedBy(before.profile[section], stored, section).length) {
      if (ctx.globals.json) printJson(ctx.io, before);
      ctx.io.err(`Nothing changed: ${agreeing(Object.keys(update).length, 'that is', 'those are')} already the ${section === 'user' ? 'profile' : 'preference'} ${agreeing(Object.keys(update).length, 'value', 'values')}.\n`);
      return EXIT.ok;
    }
  }
  const view = await vault.updateProfile({ [section]: update });
  if (ctx.globals.json) printJson(ctx.io, view);
  ctx.io.err(section === 'user' ? `${p.green('✓')} Profile saved (${view.path}).\n` : `${p.green('✓')} Preferences saved.\n`);
  return EXIT.ok;
}

/** `cpw-vault profile set name=... email=...`: field-level errors, nothing saved on any error. */
export async function profileSet(args: { pairs: string[] }, ctx: CliContext): Promise<ExitCode> {
  return save('user', parseAssignments(args.pairs), ctx);
}

/** `cpw-vault profile prefs set key=value`: preferences merge; each value parsed to its field's type (booleans, whole numbers). */
export async function prefsSet(args: { pairs: string[] }, ctx: CliContext): Promise<ExitCode> {
  const defaults = preferencesSchema.parse({}) as Record<string, unknown>;
  const typeOf = (path: string[]) => typeof path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), defaults);
  return save('preferences', parseAssignments(args.pairs, typeOf, 'cpw-vault profile prefs set ai_provider=anthropic enable_cost_tracking=false', 'preferences'), ctx);
}
