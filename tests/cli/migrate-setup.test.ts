import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { filesContaining } from '../helpers/canary';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { NOBODY } from '../helpers/planted';
import { inPrivateSession } from '../helpers/private-session';
import { summary } from '../../shared/cli/commands/migrate';
import { undoOutcome } from '../../shared/core/migration-plan';

const HF = `hf_${'Setu'.repeat(9)}`;
const TMDB = 'abcdefabcdefabcdefabcdefabcdef12';
const OPENAI = `sk-proj-${'m'.repeat(40)}`;

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;

function secretsJson(t: TempHome, doc: unknown = { hf_token: HF, tmdb_api_key: TMDB, openai_api_key: OPENAI }): string {
  const path = join(t.cwd, 'config', 'secrets.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const state = (path: string) => readdirSync(path).sort().map((f) => {
  const s = statSync(join(path, f));
  return [f, s.mtimeMs, s.isFile() ? readFileSync(join(path, f)).toString('base64') : 'dir'];
});

describe('cpw-vault migrate', () => {
  // Its before/after look at the keychain (secret-tool) read "" for a stored key when gnome-keyring aborted (upstream)
  // and was started again under it (one CI run): the body runs again then.
  it('--dry-run changes nothing: file bytes, mtimes and keychain are the same', () => againIfKeyringRestarted('migrate --dry-run', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'openai', 'api_key'], { input: `sk-proj-${'x'.repeat(40)}` });
    const path = secretsJson(t);
    const before = { config: state(dirname(path)), profile: state(dirname(t.profile)), keychain: ['huggingface.token', 'tmdb.api_key', 'openai.api_key'].map((a) => lookup(t, a)) };
    const r = await cli(t, ['migrate', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hf_token\s+huggingface\.token\s+import\s+yes/);
    expect(r.stdout).toMatch(/openai_api_key\s+openai\.api_key\s+conflict\s+no/);
    expect(r.stderr).toContain('Dry run: nothing was changed.');
    for (const v of [HF, TMDB, OPENAI]) expect(r.stdout + r.stderr).not.toContain(v);
    expect({ config: state(dirname(path)), profile: state(dirname(t.profile)), keychain: ['huggingface.token', 'tmdb.api_key', 'openai.api_key'].map((a) => lookup(t, a)) }).toEqual(before);
    const json = JSON.parse((await cli(t, ['migrate', '--dry-run', '--json'])).stdout);
    expect(json.plan.counts).toMatchObject({ import: 2, conflict: 1, apply: 2 });
  }));

  it('refuses without --yes when there is no terminal (exit 2), then migrates with --yes', async () => {
    const t = makeTempHome();
    const path = secretsJson(t);
    expect((await cli(t, ['migrate'])).code).toBe(2);
    expect(lookup(t, 'huggingface.token')).toBe('');
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code).toBe(0);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
    expect(r.stderr).toMatch(/Migrated 3 credentials into/);
    expect(r.stderr).toMatch(new RegExp(`Plaintext is still on disk: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} and .*secrets\\.json\\.backup-`));
    expect(readFileSync(t.profile, 'utf8')).not.toContain(HF);
    expect(statSync(t.profile).mode & 0o777).toBe(0o600);
    // A re-run that writes nothing and removes nothing changes nothing: no confirmation to ask for ("Write 0?").
    const rerun = await cli(t, ['migrate']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).not.toContain('without confirmation');
    expect(rerun.stderr).toContain('Plaintext is still on disk');
    expect((await cli(t, ['migrate', '--remove-plaintext'])).code).toBe(2); // that one removes: it asks
    // The re-run deletes the source it was given; the first run's backup is not a file this run made: kept, named, exit 1.
    const again = await cli(t, ['migrate', '--yes', '--remove-plaintext']);
    expect(again.code).toBe(1);
    expect(existsSync(path)).toBe(false);
    const [backup] = filesContaining(t.root, HF);
    expect(backup).toMatch(/secrets\.json\.backup-/);
    expect(again.stderr).toContain(`Not removed: ${join(t.root, backup!)}: an earlier run made this backup`);
  });

  it('an entry left out (unknown) lives only in the plaintext: the summary says keep it, never the rm line that would lose it', async () => {
    const t = makeTempHome();
    secretsJson(t, { hf_token: HF, deepl_api_key: 'abcdef0123456789abcdef' });
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Keep them: 1 entry was not migrated \(deepl_api_key\) and would be lost with them\. Migrate it as the plan's rows say \(--include-unknown, --overwrite ID, or cpw-vault set/);
    expect(r.stderr).not.toContain('rm --');
    // Everything migrated (the unknown one included): the rm line is offered.
    const all = await cli(t, ['migrate', '--yes', '--include-unknown']);
    expect(all.code).toBe(0);
    expect(all.stderr).toContain('Delete them once your pipelines work: rm -- ');
  });

  it("cpw-vault's own profile holding only an organization ID is no source: no plan, no backup, no 'plaintext still on disk'", async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'openai', 'organization_id'], { input: 'org-Abc12345678' })).code).toBe(0);
    for (const args of [['migrate', '--dry-run'], ['migrate', '--yes'], ['migrate', '--yes', '--from', t.profile]]) {
      const r = await cli(t, args);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain('seed-profile');
      expect(r.stderr).not.toContain('Plaintext is still on disk');
    }
    expect(readdirSync(dirname(t.profile)).filter((f) => f.includes('backup'))).toEqual([]);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credentials.openai.organization_id).toBe('org-Abc12345678');
  });

  it('long runs report progress on stderr', async () => {
    const t = makeTempHome();
    secretsJson(t, { hf_token: HF, tmdb_api_key: TMDB, openai_api_key: OPENAI, pyannote_token: HF, anthropic_api_key: `sk-ant-${'n'.repeat(30)}`, google_api_key: `AIza${'q'.repeat(35)}` });
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[1\/6\] huggingface\.token\n/);
    expect(r.stderr).toMatch(/\[6\/6\] google\.api_key\n/);
  });

  it('bad input: invalid JSON names the line and column, exit 2, nothing changed', async () => {
    const t = makeTempHome();
    const path = join(t.cwd, 'broken.json');
    writeFileSync(path, `{\n  "hf_token": "${HF}",\n}`);
    const r = await cli(t, ['migrate', '--from', path, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 3, column 1/);
    expect(r.stderr).not.toContain(HF);
    expect(existsSync(t.profile)).toBe(false);
  });
});

/** Runs the CLI in a pseudo-terminal, answering prompts as they appear. */
function inPty(t: TempHome, args: string[], steps: Array<{ expect: string; send: string }>, env: Record<string, string> = {}) {
  const child = spawn('python3', [resolve(import.meta.dirname, '../helpers/pty_drive.py'), JSON.stringify(steps), process.execPath, BIN, ...args], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TERM: 'xterm', TZ: 'Europe/Berlin', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child).then((r) => {
    const out = JSON.parse(r.stdout) as { screen: string; code: number | null; stuck_at?: string };
    // Colours and cursor moves, not text: strip them so assertions read the words.
    return { ...out, screen: out.screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
  });
}

describe('cpw-vault setup in a real terminal', () => {
  it('first run: profile basics, hidden HuggingFace token re-asked on a bad format, optional keys skipped, readiness at the end', async () => {
    const t = makeTempHome();
    const r = await inPty(t, ['setup'], [
      { expect: 'Your name', send: 'Ada Lovelace\r' },
      { expect: 'Email', send: 'ada@example.com\r' },
      { expect: 'Time zone', send: '\r' },
      { expect: 'Default workflow', send: '\r' },
      { expect: 'HuggingFace token \\(input hidden\\)', send: 'hf_tooshort\r' },
      { expect: 'Store it anyway\\?', send: '\r' },
      { expect: 'Please paste it again', send: `${HF}\r` },
      { expect: 'TMDB API key \\(input hidden\\)', send: `${TMDB}\r` },
      { expect: 'OpenAI API key \\(input hidden\\)', send: '\r' },
      { expect: 'Anthropic API key \\(input hidden\\)', send: '\r' },
      { expect: 'Google \\(Gemini\\) API key \\(input hidden\\)', send: '\r' },
    ]);
    expect(r.stuck_at).toBeUndefined();
    expect(r.code).toBe(0);
    // Hidden input is really hidden: neither token ever reached the screen.
    expect(r.screen).not.toContain(HF);
    expect(r.screen).not.toContain('hf_tooshort');
    expect(r.screen).not.toContain(TMDB);
    expect(r.screen).toContain('https://huggingface.co/settings/tokens');
    expect(r.screen).toMatch(/subtitle: ready/);
    expect(r.screen).toMatch(/summarize: not ready/);
    expect(r.screen).toMatch(/Next: cpw-vault exec --workflow transcribe/);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    const profile = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(profile.user).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', timezone: 'Europe/Berlin' });
  });

  it('with a secrets.json: shows the plan first and migrates on yes', async () => {
    const t = makeTempHome();
    secretsJson(t);
    const r = await inPty(t, ['setup'], [
      { expect: 'Move them into the keychain now\\?', send: 'y\r' },
      { expect: 'Your name', send: 'Migrated User\r' },
      { expect: 'Email', send: '\r' },
      { expect: 'Time zone', send: 'UTC\r' },
      { expect: 'Default workflow', send: '\r' },
      { expect: 'Anthropic API key \\(input hidden\\)', send: '\r' },
      { expect: 'Google \\(Gemini\\) API key \\(input hidden\\)', send: '\r' },
    ]);
    expect(r.stuck_at).toBeUndefined();
    expect(r.screen).toMatch(/hf_token\s+huggingface\.token\s+import/);
    expect(r.screen).toMatch(/Migrated 3 credential/);
    expect(r.screen).not.toContain(HF);
    expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
    expect(r.code).toBe(0);
  });

  it('a secrets.json another user planted in the folder (a shared one) is passed over, not offered, and does not stop the wizard', async () => {
    const t = makeTempHome();
    const planted = secretsJson(t, { hf_token: `hf_${'Plnt'.repeat(9)}` });
    chownSync(dirname(planted), NOBODY, NOBODY);
    chownSync(planted, NOBODY, NOBODY);
    const r = await inPty(t, ['setup'], [
      { expect: 'Your name', send: 'Ada\r' },
      { expect: 'Email', send: '\r' },
      { expect: 'Time zone', send: 'UTC\r' },
      { expect: 'Default workflow', send: '\r' },
      { expect: 'HuggingFace token \\(input hidden\\)', send: `${HF}\r` },
      { expect: 'TMDB API key \\(input hidden\\)', send: '\r' },
      { expect: 'OpenAI API key \\(input hidden\\)', send: '\r' },
      { expect: 'Anthropic API key \\(input hidden\\)', send: '\r' },
      { expect: 'Google \\(Gemini\\) API key \\(input hidden\\)', send: '\r' },
    ]);
    expect(r.stuck_at, r.screen).toBeUndefined();
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain(`Ignoring ${planted}: it belongs to another user (uid ${NOBODY})`);
    expect(r.screen).not.toContain('Found plaintext credentials');
    // Nor, once the profile is made, named as the user's own plaintext to move into the keychain.
    expect(r.screen).not.toContain('Move them into the keychain: cpw-vault migrate');
    expect(lookup(t, 'huggingface.token')).toBe(HF);
  });

  it('with a profile: shows its readiness and offers to add what is missing', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const r = await inPty(t, ['setup'], [
      { expect: 'Your details \\(name, time zone\\.\\.\\.\\) are not set\\. Set them now\\?', send: 'n\r' },
      { expect: 'Add the \\d+ missing credential', send: 'y\r' },
      { expect: 'TMDB API key \\(input hidden\\)', send: `${TMDB}\r` },
      { expect: 'OpenAI API key \\(input hidden\\)', send: '\r' },
      { expect: 'Anthropic API key \\(input hidden\\)', send: '\r' },
      { expect: 'Google \\(Gemini\\) API key \\(input hidden\\)', send: '\r' },
    ]);
    expect(r.stuck_at).toBeUndefined();
    expect(r.screen).toMatch(/Profile found/);
    expect(r.screen).toMatch(/✗ subtitle: not ready/);
    expect(r.screen).not.toContain(TMDB);
    expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
  });
});

describe('setup run again after a Ctrl-C at its first profile question', () => {
  it('asks the details it never saved (the migration before them stays), then writes them', async () => {
    // Found by a new-user pass: the re-run found the profile the migration had made, skipped every question for good,
    // and the profile kept an empty name (a team file then named its member "me").
    const t = makeTempHome();
    secretsJson(t);
    const first = await inPty(t, ['setup'], [
      { expect: 'Move them into the keychain now\\?', send: 'y\r' },
      { expect: 'Your name', send: '\u0003' },
    ]);
    expect(first.code).toBe(130);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user.name).toBe('');
    const again = await inPty(t, ['setup'], [
      { expect: 'Your details \\(name, time zone\\.\\.\\.\\) are not set\\. Set them now\\?', send: '\r' },
      { expect: 'Your name', send: 'Grace Hopper\r' },
      { expect: 'Email', send: '\r' },
      { expect: 'Time zone', send: 'UTC\r' },
      { expect: 'Default workflow', send: '\r' },
      { expect: 'Add the \\d+ missing credential', send: 'n\r' },
    ]);
    expect(again.stuck_at).toBeUndefined();
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user).toMatchObject({ name: 'Grace Hopper', timezone: 'UTC' });
    // Answered once: a third run does not ask again.
    const third = await inPty(t, ['setup'], [{ expect: 'Add the \\d+ missing credential', send: 'n\r' }]);
    expect(third.stuck_at).toBeUndefined();
    expect(third.screen).not.toContain('Your details');
  });
});

describe('cpw-vault setup --non-interactive', () => {
  it('takes values from the catalog env vars and profile fields from flags', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['setup', '--non-interactive', '--name', 'CI runner', '--timezone', 'UTC'], { env: { HF_TOKEN: HF, TMDB_API_KEY: TMDB } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/huggingface\.token from HF_TOKEN/);
    expect(r.stderr + r.stdout).not.toContain(HF);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user).toMatchObject({ name: 'CI runner', timezone: 'UTC' });
    expect(r.stderr).toMatch(/Next: cpw-vault exec --workflow transcribe /);
    // The next step names the workflow the user chose as their default (it named the first ready one).
    expect((await cli(t, ['profile', 'prefs', 'set', 'default_workflow=subtitle'])).code).toBe(0);
    const again = await cli(t, ['setup', '--non-interactive']);
    expect(again.stderr).toMatch(/Next: cpw-vault exec --workflow subtitle /);
    // A default that is not ready: what it still needs (it suggested running another workflow, silent on this one).
    expect((await cli(t, ['profile', 'prefs', 'set', 'default_workflow=diarize'])).code).toBe(0);
    expect((await cli(t, ['delete', 'huggingface', 'token', '--yes'])).code).toBe(0);
    const needs = await cli(t, ['setup', '--non-interactive'], { env: { TMDB_API_KEY: TMDB } });
    expect(needs.stderr).toContain('Next: cpw-vault set pyannote token   (diarize still needs pyannote token (or a HuggingFace token in its place))');
  });

  it('a different value already stored is kept unless --overwrite (a stale HF_TOKEN replaced it); one refused value stores nothing', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const stale = `hf_${'Stale'.repeat(7)}`;
    const kept = await cli(t, ['setup', '--non-interactive'], { env: { HF_TOKEN: stale, TMDB_API_KEY: TMDB } });
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain('! huggingface.token: a different value is stored; kept (HF_TOKEN was not stored). To replace it: add --overwrite');
    expect(kept.stderr).toMatch(/✓ tmdb\.api_key from TMDB_API_KEY/);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    const same = await cli(t, ['setup', '--non-interactive'], { env: { HF_TOKEN: HF } });
    expect(same.code).toBe(0);
    expect(same.stderr).toContain('✓ huggingface.token: already stored with the value of HF_TOKEN');
    const replaced = await cli(t, ['setup', '--non-interactive', '--overwrite'], { env: { HF_TOKEN: stale } });
    expect(replaced.code).toBe(0);
    expect(replaced.stderr).toContain('✓ huggingface.token from HF_TOKEN (replaced the stored value)');
    expect(lookup(t, 'huggingface.token')).toBe(stale);
    // A bad value among good ones: nothing at all is written (it stored the good ones, then failed).
    const fresh = makeTempHome();
    const bad = await cli(fresh, ['setup', '--non-interactive'], { env: { HF_TOKEN: HF, OPENAI_API_KEY: 'nope' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Nothing was stored:\n  OPENAI_API_KEY: This does not look like an OpenAI API key');
    expect(lookup(fresh, 'huggingface.token')).toBe('');
    expect(bad.stderr + bad.stdout).not.toContain(HF);
  });

  it('with nothing in the environment: exit 3 and what to export', async () => {
    const r = await cli(makeTempHome(), ['setup', '--non-interactive']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/HF_TOKEN/);
  });

  // A failed setup wrote the profile (with the details given) first: the next setup, the app and `doctor` took it for
  // one done, "Profile found" and no question, while no key was stored.
  it('a setup that fails (no key in the environment, a keychain that stores nothing) leaves no profile behind', async () => {
    const t = makeTempHome();
    const none = await cli(t, ['setup', '--non-interactive', '--name', 'CI runner', '--timezone', 'UTC']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('No credential found in the environment');
    expect(existsSync(t.profile)).toBe(false);
    const locked = await inPrivateSession('locked', [process.execPath, BIN, 'setup', '--non-interactive', '--name', 'CI runner'], { home: t, env: { HF_TOKEN: HF } });
    expect(locked.code, locked.stderr).not.toBe(0);
    expect(locked.stderr).toContain('KEYCHAIN_LOCKED');
    expect(locked.stderr + locked.stdout).not.toContain(HF);
    expect(existsSync(t.profile)).toBe(false);
  });

  it('without a terminal and without --non-interactive: exit 2 and how to provision', async () => {
    const r = await cli(makeTempHome(), ['setup']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--non-interactive');
  });
});

describe('the summary of a migration that failed', () => {
  // Found by an outside pass: after "may keep the new value" it said "Delete them once your pipelines work: rm -- cur.env",
  // while that file held the only copy of 222 of the 300 values.
  it('never suggests deleting the source, and says to keep it', () => {
    const io = { out: () => {}, err: () => {}, env: {}, cwd: '/', stdinIsTTY: false, stdoutIsTTY: false, color: false, readStdin: async () => '', prompts: () => Promise.reject(new Error('no prompts')) };
    const failed = { ok: false, rows: [{ sourceKey: 'A_KEY', target: 'a.key', status: 'not_undone' as const }, { sourceKey: 'B_KEY', target: 'b.key', status: 'failed' as const, code: 'KEYCHAIN_TIMEOUT', error: 'The keychain did not answer in time.' }], imported: 0, plaintextLeft: ['cur.env'], removed: [], notUndone: ['a.key', 'b.key'] };
    const text = summary(io, failed, 'keychain');
    expect(text).not.toMatch(/\brm\b|Delete them/);
    expect(text).toContain('Keep cur.env: the migration did not complete, so the vault may not hold its values.');
    expect(text).toContain('the undo did not finish (the keychain stopped answering): a.key, b.key may keep the new value. The next command, once the keychain answers,');
  });

  // A keyring locked mid-run was said as "the keychain stopped answering", under a row that said KEYCHAIN_LOCKED.
  it('says why the undo stopped as the failed write said it: locked, refused, or an error it names', () => {
    const io = { out: () => {}, err: () => {}, env: {}, cwd: '/', stdinIsTTY: false, stdoutIsTTY: false, color: false, readStdin: async () => '', prompts: () => Promise.reject(new Error('no prompts')) };
    const failedWith = (code: string | undefined) => ({ ok: false, rows: [{ sourceKey: 'A_KEY', target: 'a.key', status: 'not_undone' as const }, { sourceKey: 'B_KEY', target: 'b.key', status: 'failed' as const, ...(code ? { code } : {}), error: 'It failed.' }], imported: 0, plaintextLeft: ['cur.env'], removed: [], notUndone: ['a.key'] });
    expect(summary(io, failedWith('KEYCHAIN_LOCKED'), 'keychain')).toContain('the undo did not finish (the keychain was locked): a.key may keep the new value. The next command, once the keychain is unlocked,');
    expect(summary(io, failedWith('KEYCHAIN_DENIED'), 'keychain')).toContain('(access to the keychain was refused): a.key may keep the new value. The next command, once the keychain allows it,');
    expect(summary(io, failedWith('KEYCHAIN_ERROR'), 'keychain')).toContain('(the keychain failed: KEYCHAIN_ERROR)');
    expect(summary(io, failedWith(undefined), 'keychain')).toContain('(the keychain failed): a.key');
    // The app's team pull gets the code alone (its result has no rows).
    expect(undoOutcome({ notUndone: ['a.key'], failedCode: 'KEYCHAIN_LOCKED' })).toContain('(the keychain was locked): a.key may keep the new value');
  });
});
