import { homedir } from 'node:os';
import { CATALOG, catalogEntry, checkFormat, plainSlotProblem } from '../../core/catalog';
import { checkedValue, splitCredentialId, type CredentialId } from '../../core/credential';
import { VaultError, isVaultError } from '../../core/errors';
import { storeName } from '../../core/secret-store';
import { counted } from '../../core/plural';
import { isTimeZone, schemas } from '../../core/profile-schema';
import { applyProfileUpdate } from '../../core/profile-parse';
import { offeredCredentials, WORKFLOW_NAMES, WORKFLOWS, type WorkflowName } from '../../core/workflows';
import { findDefaultSource, readSource } from '../../node/migration/sources';
import { systemTimeZone } from '../../node/profile/documents';
import type { Vault } from '../../node/vault/vault';
import type { CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { paint, type Prompts } from '../io';
import { describeStatus } from './check';
import { interruptible } from '../signals';
import { planTable, summary } from './migrate';
import { storedLine } from './set';
import { vaultAgentListening } from '../../node/agent/socket-dir';
import { USE_FILE, fileOfferText, offersFileBackend, unlockStep, useFileSteps } from '../file-offer';
import { askNewOrCurrent } from '../passphrase-input';
import { echoOffDuring } from '../echo-off';
import { MIN_PASSPHRASE_LENGTH } from '../../node/secrets/vault-crypto';

export interface SetupArgs {
  nonInteractive?: boolean;
  force?: boolean;
  /** non-interactive: replace a different value already stored (kept otherwise). */
  overwrite?: boolean;
  name?: string;
  email?: string;
  timezone?: string;
  defaultWorkflow?: string;
}

/** Credentials the wizard offers: derived from the workflow catalog, exactly as the app's onboarding does. */
const OFFERED = offeredCredentials('transcribe', WORKFLOW_NAMES);

/** Asks for one secret (hidden). Required ones re-ask on empty input; a format mismatch offers "store anyway", as `set` does; optional ones skip on Enter. Returns the value to store, undefined when skipped. Stores nothing. */
async function askSecret(ctx: CliContext, prompts: Prompts, id: CredentialId, required: boolean, purpose: string): Promise<string | undefined> {
  const entry = catalogEntry(id)!;
  const p = paint(ctx.io);
  ctx.io.err(`\n${p.bold(entry.label)} — for ${purpose}${required ? ' (required)' : ' (optional, Enter skips)'}\n  Get one at ${entry.url}\n`);
  for (;;) {
    const value = (await prompts.secret(`${entry.label} (input hidden):`)).trim();
    if (!value) {
      if (!required) return undefined;
      ctx.io.err(`${p.yellow('A value is required here.')}\n`);
      continue;
    }
    const format = checkFormat(id, value);
    if (!format.ok) {
      ctx.io.err(`${p.yellow('warning:')} ${format.warning}\n`);
      if (await prompts.confirm('Store it anyway?', false)) return value;
      ctx.io.err('Please paste it again.\n');
      continue;
    }
    return value;
  }
}

/** Asks for each offered credential not stored yet; returns the answers (nothing is stored here). */
async function askSecrets(ctx: CliContext, prompts: Prompts, vault: Vault, offered: typeof OFFERED): Promise<Map<CredentialId, string>> {
  const answers = new Map<CredentialId, string>();
  for (const o of offered) {
    if (vault.listCredentials().find((c) => c.id === o.id)?.source) continue;
    const value = await askSecret(ctx, prompts, o.id, o.required, o.purpose);
    if (value !== undefined) answers.set(o.id, value);
  }
  return answers;
}

/** The wizard's final step: the answers stored, each as one interruptible transaction (a signal rolls the current one back). */
async function storeAnswers(ctx: CliContext, vault: Vault, answers: Map<CredentialId, string>, done: string[]): Promise<void> {
  const p = paint(ctx.io);
  for (const [id, value] of answers) {
    const { service, key } = splitCredentialId(id);
    const { meta, replaced } = await interruptible((signal) => vault.setCredential(service, key, value, { acceptFormatWarning: true, signal }));
    ctx.io.err(storedLine(p, id, meta, vault.backend(), replaced));
    done.push(`${id} stored`);
  }
}

/**
 * Asks for the credentials, then stores the answers. The terminal's echo
 * stays off from the first hidden question to the last write (see
 * echo-off.ts): between the writes it echoed, and the next secret, pasted
 * early, appeared in clear.
 */
function askAndStore(ctx: CliContext, prompts: Prompts, vault: Vault, offered: typeof OFFERED, done: string[]): Promise<void> {
  return echoOffDuring(async () => storeAnswers(ctx, vault, await askSecrets(ctx, prompts, vault, offered), done));
}

/**
 * Runs the wizard's steps; `done` lists what they changed so far. A Ctrl-C
 * after a change (the vault file created, a migration, a key stored) says
 * what stays instead of "nothing changed"; a re-run resumes from there.
 */
async function sayingWhatStays<T>(run: (done: string[]) => Promise<T>): Promise<T> {
  const done: string[] = [];
  try {
    return await run(done);
  } catch (err) {
    if (!isVaultError(err, 'CANCELLED') || !done.length) throw err;
    throw new VaultError('CANCELLED', `cancelled: what was done before stays (${done.join('; ')}); nothing else changed`, 'Run cpw-vault setup again to finish: it asks only what is still missing.', { cause: err.cause });
  }
}

/** Profile basics, asked; nothing is written here. */
async function basics(prompts: Prompts): Promise<{ user: { name: string; email: string; timezone: string }; preferences: { default_workflow: WorkflowName } }> {
  const field = (name: 'name' | 'email' | 'timezone') => (v: string) => {
    const r = schemas().userSchema.shape[name].safeParse(v);
    if (r.success && name === 'timezone' && v !== '' && !isTimeZone(v)) return 'must be an IANA time zone such as Europe/Paris or UTC';
    return r.success ? true : r.error.issues[0]?.message ?? 'invalid';
  };
  const name = await prompts.input('Your name:', { validate: field('name') });
  const email = await prompts.input('Email (optional):', { validate: field('email') });
  const timezone = await prompts.input('Time zone:', { default: systemTimeZone() || 'UTC', validate: field('timezone') });
  const workflow = await prompts.select<WorkflowName>('Default workflow:', WORKFLOW_NAMES.map((w) => ({ value: w, name: `${w} — ${WORKFLOWS[w].stage}` })), 'transcribe');
  return { user: { name, email, timezone }, preferences: { default_workflow: workflow } };
}

async function offerMigration(ctx: CliContext, prompts: Prompts, vault: Vault, done: string[]): Promise<void> {
  const path = findDefaultSource(vault.profilePath, ctx.io.cwd, ctx.io.env, ctx.io.env['HOME'] ?? homedir());
  if (!path) return;
  let source: ReturnType<typeof readSource>;
  try {
    source = readSource(path, ctx.io.env);
  } catch (err) {
    // A file found, not given, that migration refuses (another user's config/secrets.json in a shared folder, which the
    // profile reader passes over too; a link): said and passed over. It stopped the wizard before its first question.
    if (!isVaultError(err, 'INVALID_ARGUMENT')) throw err;
    ctx.io.err(`${paint(ctx.io).yellow('!')} Not offering to migrate it: ${err.message}\n  ${err.fix}\n`);
    return;
  }
  const plan = await vault.planMigration(source);
  if (!plan.counts.apply) return;
  ctx.io.err(`\nFound plaintext credentials in ${path}. This is what migration would do:\n${planTable(plan)}`);
  if (!(await prompts.confirm(`Move them into ${storeName(vault.backend())} now?`, true))) return;
  const result = await vault.applyMigration(source, plan);
  if (result.ok && result.imported) done.push(`${counted(result.imported, 'credential')} migrated from ${path}`);
  ctx.io.err(summary(ctx.io, result, vault.backend()));
}

async function finish(ctx: CliContext, vault: Vault): Promise<ExitCode> {
  const statuses = await vault.validateAll();
  ctx.io.err('\nWorkflow readiness:\n');
  for (const s of statuses) ctx.io.err(describeStatus(ctx.io, s));
  // The workflow the user chose as their default: run it when ready, else store what it still needs (it suggested
  // running another workflow, saying nothing of the one chosen). On a vault file, unlock it first, as it works here.
  const chosen = statuses.find((s) => s.workflow === vault.defaultWorkflow());
  const needs = chosen?.missing[0];
  const next = chosen?.ready ? `cpw-vault exec --workflow ${chosen.workflow} -- <your stage command>` : needs ? `cpw-vault set ${needs.credentials[0]!.replace('.', ' ')}   (${chosen!.workflow} still needs ${needs.description})` : 'cpw-vault set huggingface token';
  const unlock = vault.backend() === 'file' && !vaultAgentListening(vault.profilePath, ctx.io.env) ? `${unlockStep(ctx.io.stdinIsTTY)} (once per session), then ` : '';
  ctx.io.err(`\nNext: ${unlock}${next}   (or: cpw-vault doctor)\n`);
  return statuses.some((s) => s.workflow === 'transcribe' && s.ready) ? EXIT.ok : EXIT.missing;
}

/**
 * No Secret Service here (SSH, container, CI) and the profile on the
 * keychain: says so and offers the age vault file. Yes: asks its passphrase
 * twice and switches (`backend use file`); the first key stored then asks it
 * once more, to unlock. No: nothing changes and setup stops (false), since
 * no key could be stored. Never switches without asking, never plaintext.
 */
async function offerFileBackend(ctx: CliContext, prompts: Prompts, vault: Vault, done: string[]): Promise<boolean> {
  if (vault.backend() !== 'keychain') return true;
  const status = await vault.keychainStatus();
  if (!offersFileBackend(status) || status.ok) return true;
  const p = paint(ctx.io);
  ctx.io.err(`${p.yellow('!')} ${status.message}\n  ${fileOfferText(ctx.io.stdinIsTTY).split('\n').join('\n  ')}\n`);
  if (!(await prompts.confirm('Keep the secrets in an age-encrypted vault file?', true))) {
    ctx.io.err(`Nothing was changed. To use the keychain: ${status.fix}\nOr later: ${USE_FILE}\n`);
    return false;
  }
  const { checkNewPassphrase } = await import('../../node/secrets/vault-admin');
  // Echo stays off while the vault file is made (scrypt, seconds): what is typed meanwhile is not shown.
  await echoOffDuring(async () => {
    const passphrase = await askNewOrCurrent(ctx.io, { message: `New vault passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters)`, confirm: true, validate: (v) => checkNewPassphrase(v) });
    ctx.io.err('Creating the vault file...\n');
    await interruptible((signal) => vault.useBackend('file', { passphrase, signal }));
  });
  done.push('the profile keeps its secrets in the age vault file now');
  ctx.io.err(`${p.green('✓')} This profile keeps its secrets in the age vault file now. Pipelines: cpw-vault unlock once per session.\n`);
  return true;
}

/** For provisioning scripts: values from the catalog env vars, profile fields from flags. */
async function nonInteractive(args: SetupArgs, ctx: CliContext, vault: Vault): Promise<ExitCode> {
  const user = Object.fromEntries(Object.entries({ name: args.name, email: args.email, timezone: args.timezone }).filter(([, v]) => v !== undefined));
  const preferences = args.defaultWorkflow ? { default_workflow: args.defaultWorkflow } : undefined;
  // The details are checked first (a bad --default-workflow is the command line's fault, said before the keychain's),
  // and written after the values: written first, a setup whose values could not be stored (a locked keychain, none
  // given) left a profile that the next setup, the app and doctor took for one done.
  const details = { user, ...(preferences ? { preferences } : {}) };
  applyProfileUpdate(vault.getProfile().profile, details, new Date());
  // Then the keychain, with nothing in the environment too: a host with no keychain gets the offer of the vault file (a
  // fix that is the vault file already is not doubled), and nothing is written before it (a half set-up profile looks done).
  const status = await vault.keychainStatus();
  if (!status.ok && offersFileBackend(status)) {
    const useFile = `the secrets in an age-encrypted file: ${useFileSteps(ctx.io.stdinIsTTY)}, then run setup again.`;
    throw new VaultError(status.code, status.message, status.fix.includes(USE_FILE) ? `Keep ${useFile}` : `${status.fix}\nOr keep ${useFile}`);
  }
  const given = CATALOG.flatMap((entry) => {
    const name = entry.envVars.find((v) => ctx.io.env[v]?.trim());
    return name ? [{ entry, name, value: ctx.io.env[name]! }] : [];
  });
  // Every value is checked before anything is written: one refused after another was stored left a setup that failed
  // half done, saying so nowhere.
  const refused = given.flatMap(({ entry, name, value }) => {
    const problem = valueRefusal(entry.id, value, !!args.force);
    return problem ? [`${name}: ${problem}`] : [];
  });
  if (refused.length) {
    throw new VaultError('CREDENTIAL_FORMAT', `Nothing was stored:\n  ${refused.join('\n  ')}`, 'Correct those variables (a value the expected format does not fit can be stored anyway with --force).');
  }
  if (!given.length && !(await vault.findCredential('huggingface', 'token'))) {
    throw new VaultError('CREDENTIAL_MISSING', 'No credential found in the environment: setup --non-interactive reads HF_TOKEN, TMDB_API_KEY, OPENAI_API_KEY, ... (the catalog env vars).', 'Export at least HF_TOKEN, then run: cpw-vault setup --non-interactive');
  }
  // A different value already stored is kept unless --overwrite: a stale HF_TOKEN in a shell's rc file replaced the
  // stored token for good, with only a "✓" to say so. The same value again is left as it is.
  const stored = given.length ? await vault.storedValues(given.map((g) => g.entry.id)) : new Map<CredentialId, string | undefined>();
  let kept = 0;
  for (const { entry, name, value } of given) {
    const before = stored.get(entry.id);
    if (before !== undefined && before === value.trim()) {
      ctx.io.err(`${paint(ctx.io).green('✓')} ${entry.id}: already stored with the value of ${name}\n`);
      continue;
    }
    if (before !== undefined && !args.overwrite) {
      ctx.io.err(`${paint(ctx.io).yellow('!')} ${entry.id}: a different value is stored; kept (${name} was not stored). To replace it: add --overwrite\n`);
      kept++;
      continue;
    }
    const { warning } = await vault.setCredential(entry.service, entry.key, value, { acceptFormatWarning: !!args.force });
    ctx.io.err(`${paint(ctx.io).green('✓')} ${entry.id} from ${name}${before !== undefined ? ' (replaced the stored value)' : ''}${warning ? ` (warning: ${warning})` : ''}\n`);
  }
  if (Object.keys(user).length || preferences || vault.getProfile().kind !== 'profile') await vault.updateProfile(details);
  const code = await finish(ctx, vault);
  return kept && code === EXIT.ok ? EXIT.failure : code;
}

/** Why `value` cannot be stored as `id` (the checks set makes, before any is written), or undefined. */
function valueRefusal(id: CredentialId, value: string, force: boolean): string | undefined {
  try {
    checkedValue(id, value);
  } catch (err) {
    return err instanceof VaultError ? err.message : String(err);
  }
  const plain = plainSlotProblem(id, value.trim());
  if (plain) return plain.reason;
  const format = checkFormat(id, value.trim());
  return !format.ok && !force ? format.warning : undefined;
}

/**
 * `cpw-vault setup`: the terminal setup wizard. With a profile: its status
 * and an offer to add what is missing. With a secrets.json (or a seed
 * profile, or the HuggingFace token file): the migration plan, then an offer
 * to migrate. Otherwise: name, email, time zone, default workflow, then the
 * HuggingFace token (required) and the optional keys, each with where to get
 * it. Ends with each workflow's readiness and the next command.
 */
export async function setup(args: SetupArgs, ctx: CliContext): Promise<ExitCode> {
  const vault = await ctx.vault();
  if (args.timezone !== undefined && !isTimeZone(args.timezone)) throw new VaultError('INVALID_ARGUMENT', 'The time zone is not an IANA zone.', 'Use a zone such as Europe/Paris or UTC.');
  if (args.nonInteractive) return nonInteractive(args, ctx, vault);
  if (!ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', 'setup asks questions and needs a terminal.', 'For provisioning scripts (values from HF_TOKEN, TMDB_API_KEY, ...): cpw-vault setup --non-interactive');
  const prompts = await ctx.io.prompts();
  return sayingWhatStays((done) => wizard(ctx, prompts, vault, done));
}

/** The interactive wizard (see {@link setup}); `done` collects what it changed. */
async function wizard(ctx: CliContext, prompts: Prompts, vault: Vault, done: string[]): Promise<ExitCode> {
  const p = paint(ctx.io);
  // Asked before the vault file is offered: switching writes a profile, and a first run must still ask the basics.
  const existing = vault.getProfile().kind === 'profile';
  if (!(await offerFileBackend(ctx, prompts, vault, done))) return EXIT.keychain;
  if (existing) {
    ctx.io.err(`${p.green('✓')} Profile found: ${vault.profilePath}\n`);
    const statuses = await vault.validateAll();
    for (const s of statuses) ctx.io.err(describeStatus(ctx.io, s));
    // A profile with no details: one made by a migration (or a vault file) before an earlier setup was stopped at its
    // questions, or by `set`. The re-run used to skip them for good (and a team file then named its member "me").
    const details = vault.getProfile().profile.user.name === '' && (await prompts.confirm('Your details (name, time zone...) are not set. Set them now?', true)) ? await basics(prompts) : undefined;
    const missing = OFFERED.filter((o) => !vault.listCredentials().find((c) => c.id === o.id)?.source);
    // As a first run (the HuggingFace token required; every answer first, then the writes): a re-run after an interrupted one resumes it.
    if (missing.length && (await prompts.confirm(`Add the ${counted(missing.length, 'missing credential')} now?`, true))) await askAndStore(ctx, prompts, vault, missing, done);
    if (details) await vault.updateProfile(details);
    return finish(ctx, vault);
  }
  ctx.io.err(`${p.bold('cpw-vault setup')}: your API keys go to ${vault.backend() === 'file' ? 'the age vault file' : 'the OS keychain'}; ${vault.profilePath} keeps only your details.\n`);
  await offerMigration(ctx, prompts, vault, done);
  // Every answer first, then the writes: Ctrl-C or Ctrl-D at any question leaves nothing behind.
  const profile = await basics(prompts);
  await askAndStore(ctx, prompts, vault, OFFERED, done);
  await vault.updateProfile(profile);
  return finish(ctx, vault);
}
