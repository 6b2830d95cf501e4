import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Plai'.repeat(9)}`;
const TMDB = 'abcdefabcdefabcdefabcdefabcdef12';

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;

function secretsJson(t: TempHome, doc: unknown = { hf_token: HF }): string {
  const path = join(t.cwd, 'config', 'secrets.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(doc), { mode: 0o600 });
  return path;
}

describe('migrate --remove-plaintext deletes exactly what this run created or was given', () => {
  it('never deletes a file by pattern: a hand-made secrets.json.backup-MANUAL-keep-me stays', async () => {
    const t = makeTempHome();
    const path = secretsJson(t);
    const manual = `${path}.backup-MANUAL-keep-me`;
    writeFileSync(manual, 'my own notes', { mode: 0o600 });
    const r = await cli(t, ['migrate', '--yes', '--remove-plaintext']);
    expect(r.code).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dirname(path))).toEqual(['secrets.json.backup-MANUAL-keep-me']);
    expect(r.stderr).toMatch(/Removed plaintext: .*secrets\.json, .*secrets\.json\.backup-\d{8}T\d{6}Z-[0-9a-f]{6}\n/);
  });

  it('a key given twice keeps the files (exit 1): its earlier value was never migrated nor checked, and went with them', async () => {
    const t = makeTempHome();
    const old = `hf_${'OldOne'.repeat(6)}`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // The last value is the one stored (identical): only the earlier one, kept aside in the file, would be lost.
    const env = join(t.cwd, 'c.env');
    writeFileSync(env, `HF_TOKEN=${old}\nHF_TOKEN=${HF}\n`, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', env, '--yes', '--remove-plaintext']);
    expect(r.code, r.stderr).toBe(1);
    expect(readFileSync(env, 'utf8')).toContain(old);
    expect(r.stderr).toContain('HF_TOKEN appears more than once: only the last value was migrated');
    expect(r.stdout + r.stderr).not.toContain(old);
    // And the key before an empty `KEY=`: never in the vault, kept with its file.
    const key = `sk-proj-${'Lost'.repeat(10)}`;
    writeFileSync(env, `OPENAI_API_KEY=${key}\nOPENAI_API_KEY=\n`, { mode: 0o600 });
    const e = await cli(t, ['migrate', '--from', env, '--yes', '--remove-plaintext']);
    expect(e.code).toBe(1);
    expect(readFileSync(env, 'utf8')).toContain(key);
  });

  it("a re-run keeps an earlier run's backup, names it and why, and exits 1", async () => {
    const t = makeTempHome();
    const path = secretsJson(t);
    expect((await cli(t, ['migrate', '--yes'])).code).toBe(0);
    const [earlier] = readdirSync(dirname(path)).filter((f) => f.includes('.backup-'));
    const r = await cli(t, ['migrate', '--yes', '--remove-plaintext']);
    expect(r.code).toBe(1);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(dirname(path), earlier!))).toBe(true);
    expect(r.stderr).toContain(`Not removed: ${join(dirname(path), earlier!)}: an earlier run made this backup`);
    expect(r.stderr).toContain(`rm -- ${join(dirname(path), earlier!)}`);
  });

  it("found by default, the HuggingFace CLI's token file is kept (exit 1, saying how to name it); named with --from, it goes", async () => {
    const t = makeTempHome();
    const token = join(t.home, '.cache', 'huggingface', 'token');
    mkdirSync(dirname(token), { recursive: true });
    writeFileSync(token, `${HF}\n`, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--yes', '--remove-plaintext']);
    expect(r.code).toBe(1);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    expect(existsSync(token)).toBe(true);
    expect(r.stderr).toContain(`Not removed: ${token}: it is the HuggingFace CLI's login token`);
    expect(r.stderr).toContain(`cpw-vault migrate --from ${token} --remove-plaintext`);
    // Its own backup is a file this run made: deleted.
    expect(readdirSync(dirname(token))).toEqual(['token']);
    const named = await cli(t, ['migrate', '--yes', '--remove-plaintext', '--from', token]);
    expect(named.code).toBe(0);
    expect(existsSync(token)).toBe(false);
  });

  it('a folder where the source should be: a clear error, nothing deleted', async () => {
    const t = makeTempHome();
    const folder = join(t.cwd, 'config', 'secrets.json');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'inside'), HF);
    // Looked for (no --from): passed over, said, and nothing else found; named with --from: refused.
    const r = await cli(t, ['migrate', '--yes', '--remove-plaintext']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`! Passed over ${folder}: it is a folder, not a file to read keys from.`);
    // Not "no config/secrets.json here", right under the line that named it.
    expect(r.stderr).toContain('Nothing to migrate: nothing of yours to read keys from besides what was passed over above, no seed profile with plaintext, no HuggingFace token file.');
    const named = await cli(t, ['migrate', '--from', folder, '--yes', '--remove-plaintext']);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`${folder} is not a regular file`);
    for (const out of [r.stderr, named.stderr]) expect(out).not.toContain('INTERNAL');
    expect(readdirSync(folder)).toEqual(['inside']);
  });

  it('entries left behind (a conflict): every file kept, exit 1', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'tmdb', 'api_key'], { input: 'ffffffffffffffffffffffffffffff99' });
    const path = secretsJson(t, { hf_token: HF, tmdb_api_key: TMDB });
    const r = await cli(t, ['migrate', '--yes', '--remove-plaintext']);
    expect(r.code).toBe(1);
    expect(existsSync(path)).toBe(true);
    expect(r.stderr).toMatch(/1 entry was not migrated \(tmdb_api_key\); the plaintext files were kept so nothing is lost: .*secrets\.json, .*backup-/);
    // The way on for a kept conflict is --overwrite (settings, told where they go, are tested in headless-user-pass).
    expect(r.stderr).toContain('A different value is stored for tmdb.api_key: to take the file\'s, run again with --overwrite tmdb.api_key');
  });
});

describe('migrate usage errors (exit 2, nothing changed)', () => {
  it('--backup-dir that does not exist is refused, and no folder is created', async () => {
    const t = makeTempHome();
    secretsJson(t);
    const dir = join(t.root, 'no', 'such', 'dir');
    const r = await cli(t, ['migrate', '--yes', '--backup-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--backup-dir ${dir} does not exist`);
    expect(existsSync(join(t.root, 'no'))).toBe(false);
    expect(lookup(t, 'huggingface.token')).toBe('');
  });

  it('--overwrite of a credential the plan does not hold is refused', async () => {
    const t = makeTempHome();
    secretsJson(t);
    const r = await cli(t, ['migrate', '--yes', '--overwrite', 'bogus.id']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--overwrite bogus.id: not in the plan');
    expect(lookup(t, 'huggingface.token')).toBe('');
    expect((await cli(t, ['migrate', '--dry-run', '--overwrite', 'hf_token'])).code).toBe(0);
  });

  it('the plan note of an unknown key does not read as imported unless --include-unknown', async () => {
    const t = makeTempHome();
    secretsJson(t, { hf_token: HF, my_service_key: 'abcdefgh12345678' });
    const r = await cli(t, ['migrate', '--dry-run']);
    expect(r.stdout).toMatch(/my_service_key .*unknown\s+no\s+not a known credential; not imported \(--include-unknown imports it as custom/);
    const w = await cli(t, ['migrate', '--dry-run', '--include-unknown']);
    expect(w.stdout).toMatch(/my_service_key .*unknown\s+yes\s+not a known credential; imported as custom/);
  });
});

describe('migrate refuses sources that are not the user\'s plaintext', () => {
  it('the live profile through a symlinked folder: refused, nothing deleted, every command still works', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    symlinkSync(join(t.home, '.cp-whisperx'), join(t.home, 'Documents'));
    const profile = readFileSync(t.profile, 'utf8');
    // The profile itself may be named (a seed profile migrated in place): this one holds no plaintext.
    const viaLink = await cli(t, ['migrate', '--from', join(t.home, 'Documents', 'user.profile'), '--remove-plaintext', '--yes']);
    expect(viaLink.code).toBe(2);
    expect(viaLink.stderr).toContain('no plaintext secret in it');
    const audit = await cli(t, ['migrate', '--from', join(t.home, 'Documents', 'audit.log'), '--remove-plaintext', '--yes']);
    expect(audit.code).toBe(2);
    expect(audit.stderr).toContain("is one of cpw-vault's own files");
    // A copy of it elsewhere holds no plaintext: nothing to migrate, and never "safe to delete".
    const copy = join(t.root, 'user.profile');
    writeFileSync(copy, profile, { mode: 0o600 });
    const c = await cli(t, ['migrate', '--from', copy, '--remove-plaintext', '--yes']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('no plaintext secret in it');
    expect(existsSync(copy)).toBe(true);
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect((await cli(t, ['list'])).stdout).toMatch(/huggingface\s+token\s+keychain/);
  });

  it.runIf(process.getuid?.() === 0)('another user\'s config/secrets.json in the folder passes over, said: keys from the environment still serve (no profile yet, CI style)', async () => {
    const t = makeTempHome();
    const path = secretsJson(t, { hf_token: `hf_${'Att4'.repeat(9)}` });
    chownSync(path, 65534, 65534);
    const mine = `hf_${'Env5'.repeat(9)}`;
    for (const args of [['get', 'huggingface', 'token'], ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'printf %s "$HF_TOKEN" > token.out']]) {
      const r = await cli(t, args, { env: { HF_TOKEN: mine } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Ignoring ${path}: it belongs to another user (uid 65534); its keys are not read as yours.`);
    }
    expect((await cli(t, ['get', 'huggingface', 'token'], { env: { HF_TOKEN: mine } })).stdout).toBe(mine);
    expect(readFileSync(join(t.cwd, 'token.out'), 'utf8')).toBe(mine);
    // The user's own file that others can modify is not passed over: an error, with its fix (as before).
    chownSync(path, 0, 0);
    chmodSync(path, 0o664);
    const loose = await cli(t, ['get', 'huggingface', 'token'], { env: { HF_TOKEN: mine } });
    expect(loose.code).not.toBe(0);
    expect(loose.stderr).toContain('PROFILE_PERMISSIONS');
    expect(loose.stderr).toContain(`chmod 600 ${path}`);
  });

  it.runIf(process.getuid?.() === 0)('that warning names a folder holding escape sequences and text-direction overrides with "?" (another user chose the name)', async () => {
    const t = makeTempHome();
    const odd = join(t.cwd, 'ev\u001b]0;pwned\u0007\u202Enosj');
    mkdirSync(join(odd, 'config'), { recursive: true });
    writeFileSync(join(odd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF }));
    chownSync(join(odd, 'config', 'secrets.json'), 65534, 65534);
    const r = spawnSync(process.execPath, [BIN, 'get', 'huggingface', 'token'], { cwd: odd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, HF_TOKEN: `hf_${'Env5'.repeat(9)}` }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('ev?]0;pwned??nosj');
    expect(r.stderr).not.toMatch(/[\u001b\u0007\u202e]/);
  });

  it.runIf(process.getuid?.() === 0)('another user\'s config/secrets.json: refused, naming the owner; nothing stored', async () => {
    const t = makeTempHome();
    const path = secretsJson(t);
    chownSync(path, 65534, 65534);
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('belongs to another user (uid 65534)');
    expect(lookup(t, 'huggingface.token')).toBe('');
  });
});

describe('migrate refuses a source other users can modify', () => {
  // A line appended to a 0666 .env outvotes the real one (the last one counts): the vault would take their key as yours.
  it('a world-writable .env, or one writable by another group: exit 2, nothing stored, the file untouched; its own group\'s is fine', async () => {
    const t = makeTempHome();
    const path = join(t.cwd, '.env');
    const text = `HF_TOKEN=${HF}\n`;
    writeFileSync(path, text);
    const loose: Array<[number, number | undefined]> = [[0o666, undefined], [0o646, undefined]];
    if (process.getuid?.() === 0) loose.push([0o664, 65534]);
    for (const [mode, gid] of loose) {
      if (gid !== undefined) chownSync(path, 0, gid);
      chmodSync(path, mode);
      const r = await cli(t, ['migrate', '--from', path, '--yes', '--remove-plaintext']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${path} can be modified by other users (mode 0${mode.toString(8)}); refusing to take its keys as yours. Nothing was changed.`);
      expect(r.stderr).toContain(`chmod go-w ${path}`);
      expect(r.stderr).not.toContain(HF);
      expect(lookup(t, 'huggingface.token')).toBe('');
      expect(readFileSync(path, 'utf8')).toBe(text);
      expect(readdirSync(t.cwd)).toEqual(['.env']);
    }
    chownSync(path, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    chmodSync(path, 0o664);
    expect((await cli(t, ['migrate', '--from', path, '--dry-run'])).code).toBe(0);
  });

  it('the fix line quotes a path holding a space, so its chmod changes that file and no other', async () => {
    const t = makeTempHome();
    const path = join(t.cwd, 'my project', '.env');
    mkdirSync(dirname(path));
    writeFileSync(path, `HF_TOKEN=${HF}\n`, { mode: 0o666 });
    chmodSync(path, 0o666);
    const r = await cli(t, ['migrate', '--from', path, '--yes']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`chmod go-w '${path}'`);
    // The copy it gives, run as printed (its migrate too), keeps the name (.env: read as python-dotenv reads it) and migrates.
    const copy = /copy it to a file of your own and migrate that: (mkdir .*? && cp .*? && chmod 600 \S+) && cpw-vault migrate --from (\S+)\)/.exec(r.stderr.replace(/\n\s*/g, ' '));
    expect(copy, r.stderr).not.toBeNull();
    expect(spawnSync('bash', ['-c', copy![1]!], { env: { ...process.env, HOME: t.home } }).status).toBe(0);
    const copied = copy![2]!.replace(/^~/, t.home);
    expect(copied).toBe(join(t.home, 'cpw-migrate', '.env'));
    expect(statSync(copied).mode & 0o777).toBe(0o600);
    const migrated = await cli(t, ['migrate', '--from', copied, '--yes']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
  });
});

describe('cpw-vault\'s own files beside a named profile are told from the user\'s', () => {
  it('with --profile ./settings, settings.json and settings.env are the user\'s sources; settings.audit.log is not', async () => {
    const t = makeTempHome();
    const profile = join(t.cwd, 'settings');
    writeFileSync(join(t.cwd, 'settings.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    writeFileSync(join(t.cwd, 'settings.json'), JSON.stringify({ tmdb_api_key: TMDB }), { mode: 0o600 });
    writeFileSync(join(t.cwd, 'settings.audit.log'), '', { mode: 0o600 });
    for (const source of ['settings.env', 'settings.json']) {
      const r = await cli(t, ['--profile', profile, 'migrate', '--from', join(t.cwd, source), '--dry-run']);
      expect(r.code, r.stderr).toBe(0);
    }
    const own = await cli(t, ['--profile', profile, 'migrate', '--from', join(t.cwd, 'settings.audit.log'), '--dry-run']);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("is one of cpw-vault's own files");
  });
});

describe('a migration backup left on disk', () => {
  it('doctor names it (it holds the plaintext it copied) with the check and the rm, never a value', async () => {
    const t = makeTempHome();
    const path = secretsJson(t, { hf_token: HF, tmdb_api_key: TMDB });
    expect((await cli(t, ['migrate', '--yes'])).code).toBe(0);
    const [backup] = readdirSync(dirname(path)).filter((f) => f.includes('.backup-'));
    const full = join(dirname(path), backup!);
    const d = await cli(t, ['doctor', '--json']);
    const found = (JSON.parse(d.stdout) as { plaintext_tokens: Array<{ kind: string; path: string; fix: string }> }).plaintext_tokens.filter((p) => p.kind === 'migration-backup');
    expect(found.map((p) => p.path)).toEqual([full]);
    expect(found[0]!.fix).toContain(`rm -- ${full}`);
    expect(d.stdout + d.stderr).not.toContain(HF);
    // The check it offers works: every row identical.
    const check = await cli(t, ['migrate', '--from', full, '--dry-run']);
    expect(check.stdout).toMatch(/0 to write; 2 identical/);
    // A file of the user's named like one is not a backup (it may hold keys the vault never got), nor a link planted
    // under a backup's name (to /etc/shadow, or to nothing).
    writeFileSync(`${path}.backup-my-old-keys`, '{}', { mode: 0o600 });
    symlinkSync('/etc/shadow', `${path}.backup-20261201T101011Z-abcdee`);
    symlinkSync('/nonexistent', `${path}.backup-20261201T101012Z-abcdef`);
    expect(JSON.parse((await cli(t, ['doctor', '--json'])).stdout).plaintext_tokens.filter((p: { kind: string }) => p.kind === 'migration-backup')).toHaveLength(1);
  });
});
