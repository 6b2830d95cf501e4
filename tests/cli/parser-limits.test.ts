// Issue 12, "Parsers", as a user meets them: a profile or a source nested
// 100,000 deep is a clear PROFILE_INVALID / invalid-source error, never
// INTERNAL "this is a bug"; a .env with a repeated name imports the last value.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const ENV_LINE = `HF_TOKEN=hf_${'Utf16Src'.repeat(5)}\n`;
const TMDB_KEY = '0123456789abcdef0123456789abcdef';

function profileText(t: TempHome, text: string) {
  mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
  writeFileSync(t.profile, text);
  chmodSync(t.profile, 0o600);
}

const unclosed = '['.repeat(100_000);
const wellFormedButDeep = `{"version": "2.0", "user": {"name": "x"}, "credentials": {}, "extra": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;

describe('a profile nested 100,000 deep', () => {
  // Well-formed too: JSON.parse takes any depth, and get, list and exec read such a file that doctor and set refused.
  it.each([
    ['get', ['get', 'huggingface', 'token']],
    ['list', ['list']],
    ['list --json', ['list', '--json']],
    ['profile show', ['profile', 'show']],
    ['exec', ['exec', '--workflow', 'transcribe', '--', 'true']],
    ['env', ['env', '--workflow', 'transcribe']],
    ['doctor', ['doctor']],
  ])('%s: PROFILE_INVALID with where, never INTERNAL, unclosed or well-formed', async (_name, args) => {
    for (const text of [unclosed, wellFormedButDeep]) {
      const t = makeTempHome();
      profileText(t, text);
      const r = await cli(t, args, { env: { HF_TOKEN: 'hf_fromTheEnvironmentAbcdefghijklmnop' } });
      expect(r.code, r.stderr).toBe(1);
      // doctor says it in its report, on the profile's line; the others as their error.
      expect(r.stderr).toContain(_name === 'doctor' ? 'PROFILE_INVALID ' : '[PROFILE_INVALID]');
      expect(r.stderr).toContain('nests deeper than 64 levels (line 1); refusing to read it.');
      expect(r.stderr + r.stdout).not.toContain('INTERNAL');
    }
  });

  it('well-formed but deep: a write is refused with PROFILE_INVALID before anything is written', async () => {
    const t = makeTempHome();
    profileText(t, wellFormedButDeep);
    const r = await cli(t, ['profile', 'set', 'name=y']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[PROFILE_INVALID]');
    expect(r.stderr).toContain('deeper than 64 levels');
    expect(r.stderr).not.toContain('INTERNAL');
  });
});

describe('migrate', () => {
  it('a source nested 100,000 deep is refused as invalid (exit 2), never INTERNAL', async () => {
    const t = makeTempHome();
    const source = join(t.cwd, 'deep.json');
    writeFileSync(source, '{"a":'.repeat(100_000));
    const r = await cli(t, ['migrate', '--from', source, '--dry-run', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('INVALID_ARGUMENT');
    expect(r.stderr).toContain('nested deeper than 64 levels');
  });

  // Seen as a new user: a .env saved as Latin-1 was imported with U+FFFD in place of each bad byte (a broken key
  // stored as if it were the real one). Like set's stdin, a source that is not UTF-8 is refused whole.
  it.each([
    ['.env', Buffer.concat([Buffer.from('HF_TOKEN=hf_abc'), Buffer.from([0xff, 0xfe]), Buffer.from('abcdefghijklmnopqrstuvwxyz\n')])],
    ['secrets.json', Buffer.concat([Buffer.from('{"tmdb_api_key": "0123456789abcdef0123456789abcd'), Buffer.from([0xe9]), Buffer.from('f"}\n')])],
  ])('a %s that is not UTF-8 is refused (exit 2): nothing stored, no backup', async (name, bytes) => {
    const t = makeTempHome();
    const source = join(t.cwd, name);
    writeFileSync(source, bytes, { mode: 0o600 });
    for (const extra of [['--dry-run', '--json'], ['--yes']]) {
      const r = await cli(t, ['migrate', '--from', source, ...extra]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${source} is not UTF-8 text`);
      expect(r.stderr).not.toContain('\ufffd');
      if (extra[1] === '--json') expect(JSON.parse(r.stdout).error.code).toBe('INVALID_ARGUMENT');
    }
    expect(readdirSync(t.cwd).filter((f) => f.includes('.backup-'))).toEqual([]);
    expect(existsSync(t.profile)).toBe(false);
    for (const [service, key] of [['huggingface', 'token'], ['tmdb', 'api_key']]) expect((await cli(t, ['get', service!, key!])).code).toBe(3);
  });

  // Notepad's "Unicode", PowerShell's > and Out-File, Python's utf-16-le: with a mark it was "not UTF-8 text" with a
  // Latin-1 conversion for the fix (which made it worse); without one, ASCII first, "not a NAME=value line" or the JSON
  // "invalid symbol at line 1, column 2"; without one and a first line that is not ASCII, "not UTF-8 text" again.
  it.each([
    ['.env', 'UTF-16LE with its mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`# Clé API\r\n${ENV_LINE}`, 'utf16le')]), 'UTF-16'],
    ['.env', 'UTF-16LE without a mark, first line "# Clé API"', Buffer.from(`# Clé API\n${ENV_LINE}`, 'utf16le'), 'UTF-16LE'],
    ['.env', 'UTF-16LE without a mark, first line "# 密钥"', Buffer.from(`# 密钥\n${ENV_LINE}`, 'utf16le'), 'UTF-16LE'],
    ['secrets.json', 'UTF-16BE without a mark, first character "é"', Buffer.from(`{"é": 1, "tmdb_api_key": "${TMDB_KEY}"}`, 'utf16le').swap16(), 'UTF-16BE'],
  ])('a %s in %s is refused as UTF-16 with the conversion that reads it (exit 2): nothing stored', async (name, _form, bytes, encoding) => {
    const t = makeTempHome();
    const source = join(t.cwd, name);
    writeFileSync(source, bytes, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', source, '--yes']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${source} is UTF-16 text (`);
    expect(r.stderr).toContain(`fix: Convert it first: iconv -f ${encoding} -t UTF-8 ${source} > ${source}.utf8, then --from ${source}.utf8`);
    expect(existsSync(t.profile)).toBe(false);
    // The fix does what it says: the converted file migrates.
    writeFileSync(`${source}.utf8`, spawnSync('iconv', ['-f', encoding, '-t', 'UTF-8', source]).stdout, { mode: 0o600 });
    const converted = await cli(t, ['migrate', '--from', `${source}.utf8`, '--dry-run']);
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toMatch(/(huggingface\.token|tmdb\.api_key) +import +yes/);
  });

  it('a .env naming a key twice imports the last value, and the plan says the last one counts', async () => {
    const t = makeTempHome();
    const source = join(t.cwd, '.env');
    writeFileSync(source, 'TMDB_API_KEY=0123456789abcdef0123456789abcdef\nTMDB_API_KEY=fedcba9876543210fedcba9876543210\n');
    const r = await cli(t, ['migrate', '--from', source, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain('duplicate keys in the source (the last one counts): TMDB_API_KEY');
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).stdout).toBe('fedcba9876543210fedcba9876543210');
  });

  it('a secrets.json whose keys hold escape sequences or a screenful: the plan shows them defused and cut, never raw', async () => {
    // Found by the attack pass: migrate's SOURCE KEY column printed a key's OSC sequence (a new window title, or worse)
    // and a 5,000-character key in full; import already replaced such characters.
    const t = makeTempHome();
    const source = join(t.cwd, 'secrets.json');
    const long = `k${'x'.repeat(5000)}`;
    writeFileSync(source, JSON.stringify({ 'acme\u001b]0;PWN\u0007.api_key': 'v-aaaaaaaaaaaaaaaa', [long]: 'v-bbbbbbbbbbbbbbbb', 'dup\u001b[2J': 'a-1111', tmdb_api_key: '0123456789abcdef0123456789abcdef' }).replace('"tmdb_api_key"', '"dup\\u001b[2J": "a-2222", "tmdb_api_key"'));
    const r = await cli(t, ['migrate', '--from', source, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/[\u001b\u0007]/);
    expect(r.stdout).toContain('acme?]0;PWN?.api_key');
    expect(r.stdout).toContain(`k${'x'.repeat(78)}…`);
    expect(r.stdout).not.toContain('x'.repeat(100));
    expect(r.stdout).toContain('duplicate keys in the source (the last one counts): dup?[2J');
    const json = JSON.parse((await cli(t, ['migrate', '--from', source, '--dry-run', '--json'])).stdout);
    // An error naming a path or an argument that holds one (a folder unpacked from an archive) defuses it too.
    const odd = join(t.cwd, 'd\u001b]0;PWN\u0007', 'nonexist', 'p.json');
    const err = await cli(t, ['--profile', odd, 'list']);
    expect(err.code).not.toBe(0);
    expect(err.stderr).not.toMatch(/[\u001b\u0007]/);
    expect(err.stderr).toContain('d?]0;PWN?');
    expect(JSON.stringify(json)).not.toMatch(/\\u001b|\\u0007/);
  });
});
