import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { filesContaining } from '../helpers/canary';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Cli1'.repeat(9)}`;
const TMDB = 'abcdef0123456789abcdef0123456789';

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;

describe('cpw-vault set / get / delete on the real keychain', () => {
  it('set reads stdin; get prints the value and nothing else; --json has service, key, value, source', async () => {
    const t = makeTempHome();
    const set = await cli(t, ['set', 'huggingface', 'token'], { input: `${HF}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('');
    expect(set.stderr).toMatch(/Stored huggingface\.token in the keychain \(••••/);
    expect(set.stderr).not.toContain(HF);
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    const get = await cli(t, ['get', 'huggingface', 'token']);
    expect(get).toMatchObject({ code: 0, stdout: HF });
    const json = await cli(t, ['get', 'huggingface', 'token', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ service: 'huggingface', key: 'token', value: HF, source: { kind: 'keychain' } });
    expect(filesContaining(t.root, HF)).toEqual([]);
    // The same value again replaces nothing; a different one (a token piped in from git's store) is said, with the
    // hint of the one it replaced: it went silently.
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).stderr).not.toContain('replacing');
    const other = `hf_${'Other'.repeat(7)}9876`;
    const replaced = await cli(t, ['set', 'huggingface', 'token'], { input: other });
    expect(replaced.stderr).toContain(`Stored huggingface.token in the keychain (••••9876), replacing a different value (••••${HF.slice(-4)}).`);
    expect(replaced.stderr).not.toContain(HF);
  });

  it('refuses a value on the command line, exit 2, without echoing it', async () => {
    const t = makeTempHome();
    for (const args of [['set', 'huggingface', 'token', HF], ['set', 'huggingface', 'token', `--value=${HF}`]]) {
      const r = await cli(t, args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/never takes the value on the command line/);
      expect(r.stdout + r.stderr).not.toContain(HF);
    }
    expect(lookup(t, 'huggingface.token')).toBe('');
  });

  // Seen as a new user: `set huggingface token --json` (or a typo, --froce) was told the value had been given on the
  // command line. An option-shaped word (letters and dashes only: no key looks like that) is named as unknown.
  it('an unknown option is called one, exit 2, nothing read or stored', async () => {
    const t = makeTempHome();
    // With a word after it (an option of another command, `--passphrase-file FILE`): still the option, never the word.
    for (const [opt, ...after] of [['--json'], ['--froce'], ['-f'], ['--passphrase-file', HF]]) {
      const r = await cli(t, ['set', 'huggingface', 'token', opt!, ...after], { input: HF });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unknown option '${opt}'`);
      expect(r.stderr).toContain('--force, --label, --env-var');
      expect(r.stderr).not.toMatch(/never takes the value/);
      expect(r.stdout + r.stderr).not.toContain(HF);
    }
    expect(lookup(t, 'huggingface.token')).toBe('');
  });

  // Seen by an outside pass (h153): any dash word of letters and dashes was named as an unknown option, so a value
  // given (wrongly) after `--`, after --force, or starting with a dash (`-correct-horse`) was printed to the terminal.
  // A lone `-` (stdin, as other tools spell it) was told it was a value on the command line.
  it('a value starting with a dash on the command line is never printed; a lone - says set reads stdin anyway', async () => {
    const t = makeTempHome();
    const dashed = '-correct-horse-battery-staple';
    for (const args of [[dashed], ['--', dashed], ['--force', dashed], [`-${dashed}`], ['--', '-s3cr3t-value']]) {
      const r = await cli(t, ['set', 'huggingface', 'token', ...args], { input: HF });
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toContain('not shown: it may be the value');
      expect(r.stderr).toContain('--force, --label, --env-var');
      expect(r.stdout + r.stderr).not.toContain(args.at(-1)!.slice(2));
    }
    const stdin = await cli(t, ['set', 'huggingface', 'token', '-'], { input: HF });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain("set: '-' is not needed: set reads the value from stdin");
    expect(stdin.stderr).not.toMatch(/never takes the value/);
    expect(lookup(t, 'huggingface.token')).toBe('');
  });

  it('a format mismatch is explained and needs --force (exit 2 without)', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['set', 'tmdb', 'api_key'], { input: 'definitely-not-tmdb' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CREDENTIAL_FORMAT.*32 hexadecimal/s);
    expect(r.stderr).toContain('--force');
    expect(lookup(t, 'tmdb.api_key')).toBe('');
    const forced = await cli(t, ['set', 'tmdb', 'api_key', '--force'], { input: 'definitely-not-tmdb' });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*Stored anyway/);
    expect(lookup(t, 'tmdb.api_key')).toBe('definitely-not-tmdb');
  });

  it('a key given as the OpenAI organization ID (kept in plain text) is refused, --force or not, by set and by migrate', async () => {
    const t = makeTempHome();
    const key = `sk-proj-${'q7'.repeat(20)}`;
    for (const args of [['set', 'openai', 'organization_id'], ['set', 'openai', 'organization_id', '--force']]) {
      const r = await cli(t, args, { input: key });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('openai.organization_id was not stored: the value has the format of an OpenAI API key, and OpenAI organization ID is not a secret');
      expect(r.stderr).toContain('cpw-vault set openai api_key');
      expect(r.stderr + r.stdout).not.toContain(key);
    }
    writeFileSync(`${t.cwd}/secrets.json`, JSON.stringify({ hf_token: `hf_${'Mig'.repeat(11)}`, OPENAI_ORG_ID: key }));
    const m = await cli(t, ['migrate', '--from', `${t.cwd}/secrets.json`, '--yes']);
    expect(m.stdout + m.stderr).toMatch(/OPENAI_ORG_ID.*the shape of a key|OPENAI_ORG_ID.*format of an OpenAI API key/s);
    expect(m.stdout + m.stderr).not.toContain(key);
    expect(lookup(t, 'openai.organization_id')).toBe('');
    expect(filesContaining(t.home, key)).toEqual([]);
    // A value too short for an ID is refused with the format's hint intact: it is no secret, so nothing redacts it.
    const short = await cli(t, ['set', 'openai', 'organization_id'], { input: 'org-' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('expected "org-" followed by 8 or more letters and digits');
    expect(short.stderr).not.toContain('REDACTED');
    // One of letters and digits, but too few: the hint says how many (it said "followed by letters and digits", which
    // org-abc123 is, and a new user could not tell what was wrong).
    const few = await cli(t, ['set', 'openai', 'organization_id'], { input: 'org-abc123' });
    expect(few.code).toBe(2);
    expect(few.stderr).toContain('expected "org-" followed by 8 or more letters and digits');
    // A real organization ID is kept as before.
    expect((await cli(t, ['set', 'openai', 'organization_id'], { input: 'org-AbC123dEf456GhI789jKl0' })).code).toBe(0);
    // list shows it in full (its hint is cut to 16 characters).
    expect((await cli(t, ['list'])).stdout).toMatch(/organization_id\s+profile\s+org-AbC123dEf456GhI789jKl0\s/);
    // One stored before the refusal (set --force, the app's "Save anyway"): doctor names it and the way out, never the value.
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.credentials.openai.organization_id = key;
    writeFileSync(t.profile, JSON.stringify(doc), { mode: 0o600 });
    const d = await cli(t, ['doctor']);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('CREDENTIAL_INVALID');
    expect(d.stderr).toContain('openai.organization_id holds a value with the format of an OpenAI API key, in plain text');
    // list never shows such a value in full: masked as a secret's hint.
    const listed = (await cli(t, ['list'])).stdout;
    expect(listed).not.toContain(key.slice(0, 16));
    expect(listed).toMatch(new RegExp(`organization_id\\s+profile\\s+••••${key.slice(-4)}\\s`));
    expect(d.stderr).toContain('fix: If it is your OpenAI API key, store it where secrets go (cpw-vault set openai api_key), then remove it from there: cpw-vault delete openai organization_id');
    expect(d.stderr + d.stdout).not.toContain(key);
    expect((await cli(t, ['delete', 'openai', 'organization_id', '--yes'])).code).toBe(0);
    expect(readFileSync(t.profile, 'utf8')).not.toContain(key);
    expect((await cli(t, ['doctor'])).stderr).not.toContain('CREDENTIAL_INVALID');
  });

  it('get of a missing credential: exit 3, the fix on stderr, nothing on stdout; --json gives the error document', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['get', 'tmdb', 'api_key']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/CREDENTIAL_MISSING/);
    expect(r.stderr).toContain('cpw-vault set tmdb api_key');
    const j = await cli(t, ['get', 'tmdb', 'api_key', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'CREDENTIAL_MISSING', fix: expect.stringContaining('cpw-vault set tmdb api_key') } });
  });

  it('env vars win over the keychain in get, and which warns when one shadows a different stored value', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const other = `hf_${'Env2'.repeat(9)}`;
    const get = await cli(t, ['get', 'huggingface', 'token', '--json'], { env: { HUGGING_FACE_HUB_TOKEN: other } });
    expect(JSON.parse(get.stdout)).toMatchObject({ value: other, source: { kind: 'env', name: 'HUGGING_FACE_HUB_TOKEN' } });
    const which = await cli(t, ['which', 'huggingface', 'token'], { env: { HF_TOKEN: other } });
    expect(which.code).toBe(0);
    expect(which.stdout).toMatch(/huggingface\.token\s+env HF_TOKEN/);
    expect(which.stderr).toMatch(/HF_TOKEN shadows a different value stored in the keychain/);
    expect(which.stdout + which.stderr).not.toContain(other);
    const same = await cli(t, ['which', 'huggingface', 'token'], { env: { HF_TOKEN: HF } });
    expect(same.stderr).not.toMatch(/shadows/);
    const all = await cli(t, ['which', '--all', '--json']);
    const rows = JSON.parse(all.stdout).credentials;
    expect(rows.find((r: { id: string }) => r.id === 'huggingface.token').source).toEqual({ kind: 'keychain' });
    expect(rows.find((r: { id: string }) => r.id === 'tmdb.api_key').source).toBeNull();
  });

  it('list shows metadata only: source, masked hint, dates', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB });
    await cli(t, ['get', 'tmdb', 'api_key']);
    const r = await cli(t, ['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SERVICE\s+KEY\s+SOURCE\s+HINT\s+CREATED\s+LAST USED/);
    expect(r.stdout).toMatch(/tmdb\s+api_key\s+keychain\s+••••6789\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+\d{4}-/);
    expect(r.stdout).toMatch(/vimeo\s+access_token\s+missing/);
    expect(r.stdout).not.toContain(HF);
    expect(r.stdout).not.toContain(TMDB);
    const j = JSON.parse((await cli(t, ['list', '--json'])).stdout);
    expect(j.credentials.find((c: { id: string }) => c.id === 'tmdb.api_key').meta.last_used_at).toMatch(/^\d{4}-/);
    expect(JSON.stringify(j)).not.toContain(TMDB);
    // The fields keep the order scripts have always seen.
    expect(Object.keys(j.credentials.find((c: { id: string }) => c.id === 'tmdb.api_key'))).toEqual(['id', 'service', 'key', 'label', 'secret', 'custom', 'envVars', 'url', 'formatHint', 'stored', 'source', 'meta']);
  });

  it('delete refuses without a terminal unless --yes; --yes removes it from the keychain', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const no = await cli(t, ['delete', 'huggingface', 'token']);
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('--yes');
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    const yes = await cli(t, ['delete', 'huggingface', 'token', '--yes']);
    expect(yes.code).toBe(0);
    expect(lookup(t, 'huggingface.token')).toBe('');
    expect(readFileSync(t.profile, 'utf8')).not.toContain('"huggingface.token"');
  });

  it('custom credentials keep the env var their user chose', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_AUTH_KEY', '--label', 'DeepL'], { input: 'deepl-secret-1' });
    expect(r.code).toBe(0);
    const which = await cli(t, ['which', 'deepl', 'api_key', '--json'], { env: { DEEPL_AUTH_KEY: 'from-env' } });
    expect(JSON.parse(which.stdout).credentials[0].source).toEqual({ kind: 'env', name: 'DEEPL_AUTH_KEY' });
  });
});

describe('a label is counted in characters, as a person counts them', () => {
  // 41 emoji were "at most 80 characters" (JavaScript counts each as two), in the CLI, the app and the profile's schema.
  it('41 emoji (82 UTF-16 units) are stored and listed; 81 are refused saying 81, nothing stored', async () => {
    const t = makeTempHome();
    const fits = '🎬'.repeat(41);
    const set = await cli(t, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_AUTH_KEY', '--label', fits], { input: 'deepl-secret-1' });
    expect(set.stderr).not.toContain('at most');
    expect(set.code).toBe(0);
    const listed = JSON.parse((await cli(t, ['list', '--json'])).stdout) as { credentials: Array<{ id: string; label: string }> };
    expect(listed.credentials.find((c) => c.id === 'deepl.api_key')?.label).toBe(fits);
    const over = await cli(t, ['set', 'deepl', 'other_key', '--env-var', 'DEEPL_OTHER_KEY', '--label', '🎬'.repeat(81)], { input: 'deepl-secret-2' });
    expect(over.stderr).toContain('The label must be at most 80 characters: this one has 81.');
    expect(over.code).toBe(2);
    expect(lookup(t, 'deepl.other_key')).toBe('');
  });
});

describe('a value is counted in characters, as a person counts them', () => {
  // 8,192 emoji piped to set were refused as "16384 characters, over the 8192 limit": the limit counted UTF-16 units.
  it('8,192 emoji are stored; 8,193 are refused saying 8193 characters, nothing stored', async () => {
    const t = makeTempHome();
    const fits = '🔑'.repeat(8192);
    const set = await cli(t, ['set', 'mytool', 'api_key'], { input: fits });
    expect(set.code, set.stderr).toBe(0);
    expect(lookup(t, 'mytool.api_key')).toBe(fits);
    const over = await cli(t, ['set', 'mytool', 'other_key'], { input: '🔑'.repeat(8193) });
    expect(over.stderr).toContain('The value for mytool.other_key is 8193 characters, over the 8192 limit.');
    expect(over.code).toBe(2);
    expect(lookup(t, 'mytool.other_key')).toBe('');
  });
});

describe('a value with spaces around it', () => {
  it('is stored trimmed, and set says so; a piped final newline alone is dropped silently', async () => {
    const t = makeTempHome();
    const spaced = await cli(t, ['set', 'myapp', 'pw', '--env-var', 'MYAPP_PW'], { input: '  pass word  ' });
    expect(spaced.code).toBe(0);
    expect(spaced.stderr).toContain('note: the spaces or line breaks at the start or end of the value were not stored');
    expect((await cli(t, ['get', 'myapp', 'pw'])).stdout).toBe('pass word');
    const plain = await cli(t, ['set', 'myapp', 'pw'], { input: 'pass word\n' });
    expect(plain.stderr).not.toContain('note:');
  });
});

describe('a non-secret credential not set', () => {
  it('get names the profile, where it would be, not the keychain (it is never stored there)', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['get', 'openai', 'organization_id'], { env: { OPENAI_ORG_ID: undefined } });
    expect([r.code, r.stdout]).toEqual([3, '']);
    expect(r.stderr).toContain('openai.organization_id is not set: not in OPENAI_ORG_ID, not in your profile.\n');
    expect(r.stderr).not.toContain('keychain');
  });
});

describe("a custom credential's env var", () => {
  it('get of one not stored never reads the env var another credential carries ($HF_TOKEN is huggingface.token\'s), as set refuses it', async () => {
    const t = makeTempHome();
    const hf = await cli(t, ['get', 'hf', 'token'], { env: { HF_TOKEN: HF } });
    expect([hf.code, hf.stdout]).toEqual([3, '']);
    expect(hf.stderr).toContain('hf.token is not set: not in the keychain.');
    // Nor another custom credential's own name: my.token would be MY_TOKEN, which other.key carries.
    expect((await cli(t, ['set', 'other', 'key', '--env-var', 'MY_TOKEN'], { input: 'other-value-1234' })).code).toBe(0);
    const mine = await cli(t, ['get', 'my', 'token'], { env: { MY_TOKEN: 'other-value-1234' } });
    expect([mine.code, mine.stdout]).toEqual([3, '']);
    // A name nobody carries is still read, as before.
    const free = await cli(t, ['get', 'free', 'token'], { env: { FREE_TOKEN: 'free-value-1234' } });
    expect([free.code, free.stdout]).toEqual([0, 'free-value-1234']);
    expect((await cli(t, ['get', 'other', 'key'], { env: { MY_TOKEN: 'from-env-5678' } })).stdout).toBe('from-env-5678');
  });
});

describe('a typo of a catalog name', () => {
  it('set refuses it before asking (naming the one meant); --env-var stores the custom one; get names it too', async () => {
    const t = makeTempHome();
    const typo = await cli(t, ['set', 'huggingfce', 'token'], { input: HF });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('huggingfce.token is not a known credential: did you mean huggingface.token? Nothing was stored.');
    expect(typo.stderr).toContain('For huggingface.token, run: cpw-vault set huggingface token\n');
    expect(lookup(t, 'huggingfce.token')).toBe('');
    expect(existsSync(t.profile)).toBe(false);
    expect((await cli(t, ['set', 'huggingfce', 'token', '--env-var', 'MY_HF'], { input: HF })).code).toBe(0);
    expect(lookup(t, 'huggingfce.token')).toBe(HF);
    const get = await cli(t, ['get', 'tmdb', 'apikey']);
    expect(get.code).toBe(3);
    expect(get.stderr).toContain('fix: Did you mean tmdb.api_key? Run: cpw-vault get tmdb api_key');
    // Far from every catalog name: a custom credential as before. So are services of their own one letter from a short
    // catalog name (omdb, tvdb: not tmdb) and names that extend one on purpose (a second OpenAI key).
    for (const [service, key] of [['deepl', 'api_key'], ['omdb', 'api_key'], ['tvdb', 'api_key'], ['openai2', 'api_key'], ['google', 'api_key2']]) {
      expect((await cli(t, ['set', service!, key!], { input: 'custom-value-1234' })).code, `${service} ${key}`).toBe(0);
    }
    // One already stored (made by the app's form, or with --env-var) is set again, never taken for a typo.
    expect((await cli(t, ['set', 'huggingfce', 'token'], { input: `${HF}2` })).code).toBe(0);
    expect(lookup(t, 'huggingfce.token')).toBe(`${HF}2`);
  });
});

describe('control characters and text-direction overrides in what list --json prints', () => {
  // A JSON consumer prints fields as they are (jq -r, a dashboard): the table showed "?" where list --json, and set's
  // "✓ Stored", gave a value's last characters raw (U+202E turned the text around it; a C1 CSI drove the terminal),
  // and a label hand-edited into the profile was cleaned in `label` but raw in `meta.label`.
  // A value holding them is refused now (tests/cli/value-control-chars.test.ts); one stored before, from an older
  // version, keeps its hint in the profile: hand-edited here into that state.
  it('a hint (a value stored before such values were refused) ending in U+202E and a C1 CSI shows "?" in list and list --json; so does a hand-edited meta label', async () => {
    const t = makeTempHome();
    const pass = join(t.root, 'pass');
    writeFileSync(pass, 'export passphrase 1234567890\n', { mode: 0o600 });
    const set = await cli(t, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_AUTH_KEY', '--label', 'DeepL'], { input: 'dk-0123456789abcdefxyz' });
    expect(set.code, set.stderr).toBe(0);
    expect((await cli(t, ['export', '--to', 'all.age', '--passphrase-file', pass])).code).toBe(0);
    const other = makeTempHome();
    const imported = await cli(other, ['import', join(t.cwd, 'all.age'), '--passphrase-file', pass, '--yes']);
    expect(imported.code).toBe(0);
    for (const home of [t, other]) {
      const profile = JSON.parse(readFileSync(home.profile, 'utf8'));
      profile.credential_metadata['deepl.api_key'].label = 'Saved \u202Egnp.exe\u0085';
      profile.credential_metadata['deepl.api_key'].hint = '••••\u009b\u202Exyz';
      writeFileSync(home.profile, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
      const json = (await cli(home, ['list', '--json'])).stdout;
      expect(json).not.toMatch(/[\u0080-\u009f\u202e]/);
      const deepl = (JSON.parse(json) as { credentials: Array<{ id: string; label: string; meta: { hint: string; label: string } }> }).credentials.find((c) => c.id === 'deepl.api_key')!;
      expect([deepl.label, deepl.meta.label, deepl.meta.hint]).toEqual(['Saved ?gnp.exe?', 'Saved ?gnp.exe?', '••••??xyz']);
      expect((await cli(home, ['list'])).stdout).toContain('••••??xyz');
    }
  });
});
