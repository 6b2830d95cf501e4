// A careful user's pass on `cpw-vault doctor`: every finding about the profile it runs on, every fix line one that
// works when pasted, nothing changed unasked.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, hex } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

type Found = { kind: string; path: string; fix: string };
const backupsFound = (stdout: string) => (JSON.parse(stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.filter((p) => p.kind === 'migration-backup').map((p) => p.path);

describe('doctor --profile OTHER', () => {
  it('names only the backups its own migrations made, not the one the default profile left in the working folder', async () => {
    const t = makeTempHome();
    const other = join(t.root, 'elsewhere', 'other.profile');
    mkdirSync(join(t.root, 'elsewhere'), { mode: 0o700 });
    const values = [hex(32), hex(32)];
    // The default profile migrates ./.env; the other profile migrates ./other.env: both backups land in the working folder.
    writeFileSync(join(t.cwd, '.env'), `TMDB_API_KEY=${values[0]}\n`, { mode: 0o600 });
    writeFileSync(join(t.cwd, 'other.env'), `TMDB_API_KEY=${values[1]}\n`, { mode: 0o600 });
    expect((await cli(t, ['migrate', '--from', join(t.cwd, '.env'), '--yes'])).code).toBe(0);
    expect((await cli(t, ['--profile', other, 'migrate', '--from', join(t.cwd, 'other.env'), '--yes'])).code).toBe(0);
    const backup = (name: string) => readdirSync(t.cwd).filter((f) => f.startsWith(`${name}.backup-`)).map((f) => join(t.cwd, f));
    const [defaults, others] = [backup('.env'), backup('other.env')];
    expect(defaults).toHaveLength(1);
    expect(others).toHaveLength(1);

    const json = await cli(t, ['--profile', other, 'doctor', '--json']);
    expect(backupsFound(json.stdout)).toEqual(others);
    const text = await cli(t, ['--profile', other, 'doctor']);
    expect(text.stderr).not.toContain(defaults[0]);
    expect(text.stderr).toContain(`${others[0]} is a backup a migration made`);
    // The default profile's doctor still names its own (and its check, pasted, finds every row identical).
    const mine = await cli(t, ['doctor', '--json']);
    expect(backupsFound(mine.stdout)).toContain(defaults[0]);
    const check = await cli(t, ['migrate', '--from', defaults[0]!, '--dry-run']);
    expect(check.code, check.stderr).toBe(0);
    const theirs = await cli(t, ['--profile', other, 'migrate', '--from', others[0]!, '--dry-run']);
    for (const pasted of [check, theirs]) expect(pasted.stdout).toContain('0 to write; 1 identical, 0 conflict');
    expect(values.some((v) => (json.stdout + text.stderr + mine.stdout).includes(v))).toBe(false);
  }, 120_000);
});
