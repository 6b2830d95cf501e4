import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../shared/core/errors';
import { planMigration, type StoredComparison } from '../../shared/core/migration-plan';
import { customTargetFor, parseHfTokenFile, parseJsonSource } from '../../shared/core/migration-sources';
import { parseDotenv } from '../../shared/core/dotenv-source';
import { thrown } from '../helpers/errors';

const HF = `hf_${'Mig1'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const absent = (): StoredComparison => 'absent';

describe('sources', () => {
  it('maps every seed secrets.json key and every catalog env var name, case-insensitively', () => {
    const doc = {
      hf_token: 'a1', tmdb_api_key: 'a2', pyannote_token: 'a3', openai_api_key: 'a4', anthropic_api_key: 'a5', google_api_key: 'a6',
      PYANNOTE_API_TOKEN: 'a7', YOUTUBE_API_KEY: 'a8', vimeo_access_token: 'a9', Gemini_Api_Key: 'b1',
    };
    const s = parseJsonSource('secrets.json', JSON.stringify(doc));
    expect(s.kind).toBe('secrets-json');
    expect(s.entries.map((e) => [e.sourceKey, e.target])).toEqual([
      ['hf_token', 'huggingface.token'], ['tmdb_api_key', 'tmdb.api_key'], ['pyannote_token', 'pyannote.token'],
      ['openai_api_key', 'openai.api_key'], ['anthropic_api_key', 'anthropic.api_key'], ['google_api_key', 'google.api_key'],
      ['PYANNOTE_API_TOKEN', 'pyannote.token'], ['YOUTUBE_API_KEY', 'youtube.api_key'], ['vimeo_access_token', 'vimeo.access_token'],
      ['Gemini_Api_Key', 'google.api_key'],
    ]);
  });

  it('reads the nested form and a seed 1.0 profile (slots, not flags or empty ones)', () => {
    expect(parseJsonSource('s.json', JSON.stringify({ huggingface: { token: HF }, deepl: { api_key: 'x' } })).entries.map((e) => [e.sourceKey, e.target ?? e.customTarget?.id])).toEqual([
      ['huggingface.token', 'huggingface.token'], ['deepl.api_key', 'deepl.api_key'],
    ]);
    const seed = { version: '1.0', user: { name: 'A' }, credentials: { huggingface: { token: HF }, tmdb: { api_key: '' }, openai: { api_key: '', organization_id: 'org-Abc12345678' } }, online_services: { youtube: { api_key: 'AIza' + 'Y'.repeat(35), enabled: true } } };
    const s = parseJsonSource('user.profile', JSON.stringify(seed));
    expect(s.kind).toBe('seed-profile');
    expect(s.entries.map((e) => e.target)).toEqual(['huggingface.token', 'openai.organization_id', 'youtube.api_key']);
  });

  it('reads .env files: comments, export, quotes, inline comments, CRLF, bad lines', () => {
    const text = '# keys\r\nexport HF_TOKEN="hf_abc\\q"\r\nTMDB_API_KEY=\'lit $x\'\r\nOPENAI_API_KEY=sk-plain # comment\r\n\r\nnot a line\r\nDEEPL_API_KEY=d1\r\n';
    const s = parseDotenv('.env', text);
    expect(s.entries.map((e) => [e.sourceKey, e.target ?? e.customTarget?.id, e.value])).toEqual([
      ['HF_TOKEN', 'huggingface.token', 'hf_abc\\q'], ['TMDB_API_KEY', 'tmdb.api_key', 'lit $x'], ['OPENAI_API_KEY', 'openai.api_key', 'sk-plain'],
      ['line 6', undefined, undefined], ['DEEPL_API_KEY', 'deepl.api_key', 'd1'],
    ]);
  });

  it('refuses a .env with old Mac line endings (CR only): the second key never hides in the first value', () => {
    // python-dotenv 1.2 reads A=1 and B=2 here; Node 20's --env-file drops each CR and reads A as "1B=2" (no B).
    for (const [text, line] of [[`HF_TOKEN=${HF}\rTMDB_API_KEY=${TMDB}\r`, 1], [`A=1\nHF_TOKEN=${HF}\r\nTMDB_API_KEY=x\r${TMDB}\r\n`, 3]] as const) {
      const err = thrown(() => parseDotenv('/w/.env', text));
      expect(err).toBeInstanceOf(VaultError);
      expect((err as VaultError).code).toBe('INVALID_ARGUMENT');
      expect((err as VaultError).message).toContain(`/w/.env has old Mac line endings (a CR without LF, first on line ${line})`);
      expect((err as VaultError).fix).toContain('dos2unix -c mac /w/.env');
      expect((err as VaultError).fix).toContain("sed -i 's/\\r/\\n/g' /w/.env");
      expect(`${(err as VaultError).message} ${(err as VaultError).fix}`).not.toMatch(new RegExp(`${HF}|${TMDB}`));
    }
    // CRLF stays fine.
    expect(parseDotenv('.env', `HF_TOKEN=${HF}\r\nTMDB_API_KEY=${TMDB}\r\n`).entries.map((e) => e.value)).toEqual([HF, TMDB]);
  });

  it('the CR-only fix, run as printed, converts the file in place and keeps its mode: the same path then migrates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-only-'));
    const path = join(dir, 'my project.env');
    writeFileSync(path, `HF_TOKEN=${HF}\rTMDB_API_KEY=${TMDB}\r`, { mode: 0o600 });
    const fix = (thrown(() => parseDotenv(path, readFileSync(path, 'utf8'))) as VaultError).fix;
    const command = /\(or, with GNU sed, which keeps the file's mode: (.*)\)\.$/.exec(fix)![1]!;
    expect(spawnSync('bash', ['-c', command]).status).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(parseDotenv(path, readFileSync(path, 'utf8')).entries.map((e) => [e.sourceKey, e.value])).toEqual([['HF_TOKEN', HF], ['TMDB_API_KEY', TMDB]]);
    rmSync(dir, { recursive: true });
  });

  it('a tab before an inline comment, or around a name or unquoted value, makes the row invalid, naming its line and never the value', () => {
    // python-dotenv 1.2 reads A=a<TAB>#c as "a"; Node 20's --env-file as "a\t" (it trims spaces only): readers disagree.
    const lines = [`HF_TOKEN=${HF}\t#c`, `TMDB_API_KEY=${TMDB}\t`, '\tOPENAI_API_KEY=sk-tab-before-name-0123456789', 'ANTHROPIC_API_KEY\t=sk-ant-0123456789', `DEEPL_API_KEY=d1 # spaces are fine`, "GOOGLE_API_KEY='quoted'\t# and after quotes"];
    const parsed = parseDotenv('.env', lines.join('\n'));
    expect(parsed.entries.map((e) => [e.sourceKey, e.problem?.replace(/ outside quotes.*/, '')])).toEqual([
      ['HF_TOKEN', 'a tab (or another blank that is not a space)'], ['TMDB_API_KEY', 'a tab (or another blank that is not a space)'],
      ['OPENAI_API_KEY', 'a tab (or another blank that is not a space)'], ['ANTHROPIC_API_KEY', 'a tab (or another blank that is not a space)'],
      ['DEEPL_API_KEY', undefined], ['GOOGLE_API_KEY', undefined],
    ]);
    expect(parsed.entries.slice(0, 4).map((e) => e.problem!.match(/on line \d+/)![0])).toEqual(['on line 1', 'on line 2', 'on line 3', 'on line 4']);
    const plan = planMigration(parsed, absent);
    expect(plan.rows.map((r) => r.action)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'unknown', 'import']);
    expect(JSON.stringify(plan.rows.map((r) => r.reason))).not.toMatch(new RegExp(`${HF}|${TMDB}`));
  });

  it('.env comments that may hold a kept-aside key are named (by name, or "line N"), and only those: never a value', () => {
    // Such a file is kept when the plaintext is removed: a key in a comment is never migrated and would be lost with it.
    const key = `sk-proj-${'Ab1'.repeat(8)}`;
    const cases: Array<[string, string[]]> = [
      ['# PORT=3000', []], ['# DEBUG=true', []], ['# see https://huggingface.co/settings/tokens', []],
      ['# BASE_URL=https://api.example.com/v1/models/whisper-large-v3', []], ['# Generated 2024-01-01T00:00:00Z by setup-script-v2', []],
      [`HF_TOKEN=${HF} # the read token`, []], ['# a plain comment', []],
      ['# DB_PASSWORD=hunter2', ['DB_PASSWORD']], ['# OPENAI_API_KEY=x', ['OPENAI_API_KEY']], ['#MY_VAR=a1b2c3d4e5f6g7h8i9j0k1', ['MY_VAR']],
      [`# old key: ${key}`, ['line 1']], [`HF_TOKEN=${HF} # was ${key}`, ['line 1']], [`HF_TOKEN="${HF}" #${key}`, ['line 1']],
      ['# eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl', ['line 1']],
      [`\n\n# ${key}\n# OPENAI_API_KEY=${key}\n# OPENAI_API_KEY=again`, ['line 3', 'OPENAI_API_KEY']],
    ];
    for (const [text, named] of cases) {
      const s = parseDotenv('.env', text);
      expect(s.commentedKeys ?? [], text).toEqual(named);
      expect(JSON.stringify(s.commentedKeys ?? [])).not.toContain(key);
    }
    // The entry's value is the same with a comment after it.
    expect(parseDotenv('.env', `HF_TOKEN="${HF}" # was ${key}`).entries[0]?.value).toBe(HF);
  });

  it('reads the HuggingFace token file', () => {
    expect(parseHfTokenFile('token', `${HF}\n`).entries).toEqual([{ sourceKey: 'token', target: 'huggingface.token', value: HF }]);
  });

  it('names unknown keys as custom credentials, or refuses names that cannot be one', () => {
    expect(customTargetFor('deepl_api_key')).toEqual({ id: 'deepl.api_key', envVar: 'DEEPL_API_KEY' });
    expect(customTargetFor('ASSEMBLYAI_TOKEN')).toEqual({ id: 'assemblyai.token', envVar: 'ASSEMBLYAI_TOKEN' });
    expect(customTargetFor('webhook')).toEqual({ id: 'custom.webhook', envVar: 'WEBHOOK' });
    expect(customTargetFor('__proto__')).toBeUndefined();
    expect(customTargetFor('huggingface.token')).toBeUndefined();
    // A value where a name goes (a .env line `<key>_KEY=...` written wrong): never a credential's name.
    expect(customTargetFor('ABCDEF0123456789ABCDEF0123456789_KEY')).toBeUndefined();
    expect(customTargetFor('custom.abcdef0123456789abcdef0123456789')).toBeUndefined();
  });
});

describe('bad input: a clear error and nothing else', () => {
  it('invalid JSON: line and column, no text quoted', () => {
    const e = thrown(() => parseJsonSource('secrets.json', `{\n  "hf_token": "${HF}",\n  "tmdb_api_key": ${TMDB}\n}`));
    expect(e.message).toMatch(/line 3, column \d+/);
    expect(e.message + e.fix).not.toContain(TMDB);
  });
  it.each([['[1, 2]'], ['"just a string"'], ['null'], ['42']])('non-object top level %s', (text) => {
    expect(thrown(() => parseJsonSource('s.json', text)).message).toMatch(/JSON object at the top level/);
  });
  it('a BOM and CRLF are fine', () => {
    expect(parseJsonSource('s.json', `\uFEFF{\r\n"hf_token": "${HF}"\r\n}\r\n`).entries[0]!.value).toBe(HF);
  });
  it('over 1 MiB is refused', () => {
    expect(thrown(() => parseJsonSource('s.json', `{"a": "${'x'.repeat(1024 * 1024)}"}`)).message).toMatch(/at most 1048576 bytes/);
  });
  it('duplicate keys are reported', () => {
    expect(parseJsonSource('s.json', `{"hf_token": "a1234", "hf_token": "${HF}"}`).duplicateKeys).toEqual(['hf_token']);
  });
  it('__proto__ and constructor keys pollute nothing', () => {
    const s = parseJsonSource('s.json', '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"p2": 1}}, "hf_token": "' + HF + '"}');
    const plan = planMigration(s, absent, { includeUnknown: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['p2']).toBeUndefined();
    expect(plan.rows.find((r) => r.sourceKey === '__proto__.polluted')).toMatchObject({ action: 'invalid' });
  });
});

describe('planMigration', () => {
  it('settings and secrets as a real .env mixes them (an outside pass: MAX_TOKENS=4096 stored, MYSQL_ROOT_PW=hunter2 left out)', () => {
    const settings = ['MAX_TOKENS=4096', 'OPENAI_MAX_TOKENS=512', 'SALT_ROUNDS=10', 'SESSION_TTL=3600', 'TOKEN_EXPIRY_SECONDS=86400', 'AUTH_ENABLED=true', 'DISABLE_AUTH=false', 'COOKIE_SECURE=true', 'KEY_ROTATION_DAYS=90', 'PRIVATE_MODE=false', 'BYPASS_CACHE=true', 'PASSWORD_MIN_LENGTH=8', 'NEXTAUTH_URL=http://localhost:3000', 'AUTH0_DOMAIN=dev-x1.us.auth0.com', 'SIGNING_KEY_ID=2', `COMMIT_SHA=${'0123456789abcdef'.repeat(2)}01234567`, 'BUILD_ID=550e8400-e29b-41d4-a716-446655440000', 'LOG_LEVEL=info', 'NODE_ENV=production', 'MODEL_DIR=./models'];
    const secrets = ['MYSQL_ROOT_PW=hunter2', 'ADMIN_PW=Tr0ub4dor&3', 'SLACK_HOOK_URL=https://hooks.slack.com/services/T0/B0/XXXX', 'DISCORD_HOOK=https://discord.com/api/webhooks/1/abc', 'SENTRY_URL=https://0123abcd@o1.ingest.sentry.io/1', 'DATABASE_URL=jdbc:postgresql://h/db?user=u&password=S3cret', 'MONGO_URL=mongodb://app:p/ss@mongo/app', `WALLET_MNEMONIC=${'abandon '.repeat(11)}about`, 'TOTP_SEED=JBSWY3DPEHPK3PXP', 'ADMIN_PIN=1234', 'LICENSE=ABCD-EFGH-IJKL-MNOP-QRST', 'ROOT=Pa$$w0rd!', 'DB_PASSWORD=hunter2', 'STRIPE_SECRET=abc', 'MY_TOKEN=x'];
    const plan = planMigration(parseDotenv('.env', [...settings, ...secrets].join('\n')), absent, { includeUnknown: true });
    const applied = Object.fromEntries(plan.rows.map((r) => [r.sourceKey, r.apply]));
    for (const line of settings) expect(applied[line.split('=')[0]!], line).toBe(false);
    for (const line of secrets) expect(applied[line.split('=')[0]!], line).toBe(true);
  });

  it('--include-unknown leaves settings out of a hand-written file (PORT=3000 is no secret); anything with a sign of one goes in', () => {
    // Found by a new-user pass: PORT=3000 was stored as a secret, and exec then took PORT from every stage and masked "3000".
    const text = ['PORT=3000', 'DEBUG=true', 'MODEL_DIR=/data/models', 'LANG=en', 'DATABASE_URL=postgres://app:s3cretpw@db/app', 'DEEPL_API_KEY=abc', 'INTERNAL_THING=Zk3x9QvL2mN8pR4tY7wB1cD', 'SENTRY_DSN=https://abc@sentry.io/1', 'SLACK_WEBHOOK=https://hooks.example/x', 'DB_PASSWORD=hunter2'].join('\n');
    const plan = planMigration(parseDotenv('.env', text), absent, { includeUnknown: true });
    const applied = Object.fromEntries(plan.rows.map((r) => [r.sourceKey, r.apply]));
    expect(applied).toEqual({ PORT: false, DEBUG: false, MODEL_DIR: false, LANG: false, DATABASE_URL: true, DEEPL_API_KEY: true, INTERNAL_THING: true, SENTRY_DSN: true, SLACK_WEBHOOK: true, DB_PASSWORD: true });
    expect(plan.rows.find((r) => r.sourceKey === 'PORT')).toMatchObject({ action: 'unknown', reason: 'looks like a setting, not a secret; not imported (if it is one: cpw-vault set custom port --env-var PORT)' });
    expect(plan.counts.apply).toBe(6);
    // An export or a team file holds only what someone stored on purpose: every entry goes in.
    const exported = { ...parseDotenv('.env', 'PORT=3000'), kind: 'export' as const };
    expect(planMigration(exported, absent, { includeUnknown: true }).rows[0]).toMatchObject({ apply: true });
  });

  const source = parseJsonSource('s.json', JSON.stringify({ hf_token: HF, tmdb_api_key: TMDB, openai_api_key: 'sk-conflict-value-0000000000', deepl_api_key: 'dk-1', google_api_key: 42, anthropic_api_key: '', HF_TOKEN: 'hf_other' }));
  const stored: Record<string, string> = { 'tmdb.api_key': TMDB, 'openai.api_key': 'sk-old' };
  const compare = (id: string, v: string): StoredComparison => (stored[id] === undefined ? 'absent' : stored[id] === v ? 'same' : 'different');

  it('one row per entry: import, identical, conflict, unknown, invalid, with targets', () => {
    const plan = planMigration(source, compare);
    expect(plan.rows.map((r) => [r.sourceKey, r.target, r.action, r.apply])).toEqual([
      ['hf_token', 'huggingface.token', 'import', true],
      ['tmdb_api_key', 'tmdb.api_key', 'identical', false],
      ['openai_api_key', 'openai.api_key', 'conflict', false],
      ['deepl_api_key', 'deepl.api_key', 'unknown', false],
      ['google_api_key', 'google.api_key', 'invalid', false],
      ['anthropic_api_key', 'anthropic.api_key', 'invalid', false],
      ['HF_TOKEN', 'huggingface.token', 'invalid', false],
    ]);
    expect(plan.rows[4]!.reason).toBe('a number, not text');
    expect(plan.rows[6]!.reason).toMatch(/duplicate: hf_token already maps/);
    expect(plan.counts).toEqual({ import: 1, identical: 1, conflict: 1, unknown: 1, invalid: 3, apply: 1 });
  });

  it('a value that is not text is named with its article: "an object", "a list", "a number", "a null"', () => {
    const doc = parseJsonSource('/x/secrets.json', JSON.stringify({ a: { b: { tmdb_api_key: TMDB } }, c: [1], d: 4, e: null }));
    expect(planMigration(doc, () => 'absent').rows.map((r) => r.reason)).toEqual(['an object, not text', 'a list, not text', 'a number, not text', 'a null, not text']);
  });

  it('overwrite and include-unknown turn rows on', () => {
    const plan = planMigration(source, compare, { overwrite: new Set(['openai.api_key']), includeUnknown: true });
    expect(plan.rows.filter((r) => r.apply).map((r) => r.target)).toEqual(['huggingface.token', 'openai.api_key', 'deepl.api_key']);
    expect(plan.rows.find((r) => r.target === 'deepl.api_key')!.envVar).toBe('DEEPL_API_KEY');
    expect(planMigration(source, compare, { overwrite: 'all' }).rows[2]!.apply).toBe(true);
  });

  it('a team identity in a file is never taken, whatever is chosen: whoever wrote the file knows it', () => {
    const identity = `AGE-SECRET-KEY-1${'Q'.repeat(58)}`;
    const source = { kind: 'export' as const, path: 'x.age', duplicateKeys: [], entries: [{ sourceKey: 'cpw-vault.team_identity', target: 'cpw-vault.team_identity', value: identity }, { sourceKey: 'tmdb.api_key', target: 'tmdb.api_key', value: TMDB }] };
    for (const stored of ['absent', 'different'] as const) {
      for (const kind of ['export', 'secrets-json', 'dotenv', 'team-file'] as const) {
        const plan = planMigration({ ...source, kind }, () => stored, { overwrite: 'all', includeUnknown: true });
        expect(plan.rows[0]).toMatchObject({ action: 'invalid', apply: false, reason: expect.stringContaining('a team identity is never taken from a file') });
        expect(plan.rows[1]!.apply).toBe(true);
      }
    }
    // The same key already stored changes nothing, and says so.
    expect(planMigration(source, () => 'same').rows[0]).toMatchObject({ action: 'identical', apply: false });
  });

  it('the printable plan holds no value', () => {
    const text = JSON.stringify(planMigration(source, compare, { includeUnknown: true }));
    for (const v of [HF, TMDB, 'sk-conflict-value-0000000000', 'dk-1', 'hf_other']) expect(text).not.toContain(v);
  });
});

describe('property: arbitrary JSON-ish input', () => {
  const CANARY = 'zzCANARYzz';
  const secretish = fc.string({ minLength: 0, maxLength: 12 }).map((s) => `${CANARY}${s}`);
  const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'hf_token', 'HF_TOKEN', 'tmdb_api_key', 'version', 'credentials', 'huggingface', 'token'), fc.string({ maxLength: 12 }));
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, secretish, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
  })).v;

  it('only typed errors, no prototype pollution, no input value in any error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(key, value, { maxKeys: 6 }), value), fc.boolean(), (doc, mangle) => {
        let text = JSON.stringify(doc) ?? 'null';
        if (mangle) text = text.slice(0, Math.max(1, text.length - 3)) + `${CANARY}"`;
        try {
          const s = parseJsonSource('s.json', text);
          const plan = planMigration(s, () => 'absent', { includeUnknown: true, overwrite: 'all' });
          expect(JSON.stringify(plan)).not.toContain(CANARY);
        } catch (err) {
          expect(err).toBeInstanceOf(VaultError);
          const e = err as VaultError;
          expect(`${e.message} ${e.fix}`).not.toContain(CANARY);
        }
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
