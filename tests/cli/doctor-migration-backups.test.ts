// Every backup migrate leaves is a plaintext copy of its source (migration/apply.ts writes it beside the source, or in
// --backup-dir). doctor looked for backups of ./config/secrets.json and of the profile only: a .env's backup (a
// migrate killed after its commit, before its summary, named it nowhere but the audit log) went unreported.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../shared/core/control-chars';
import { cli, hex } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

type Found = { kind: string; path: string; message: string; fix: string };
const backupsFound = (stdout: string) => (JSON.parse(stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.filter((p) => p.kind === 'migration-backup');

describe('doctor and the backups migrate left of any source', () => {
  it('names a .env backup here, and one the audit log names elsewhere, each with the check and a quoted rm, never a value', async () => {
    const t = makeTempHome();
    const values = [`sk-${hex(40)}`, `sk-${hex(40)}`];
    const here = join(t.cwd, '.env');
    writeFileSync(here, `SVC0_API_KEY=${values[0]}\n`, { mode: 0o600 });
    // Another project, with a space in its path: only the audit log's migration_applied entry says where its backup is.
    const away = join(t.root, 'other project');
    mkdirSync(away);
    const there = join(away, '.env');
    writeFileSync(there, `SVC1_API_KEY=${values[1]}\n`, { mode: 0o600 });
    for (const source of [here, there]) {
      const m = await cli(t, ['migrate', '--from', source, '--include-unknown', '--yes']);
      expect(m.code, m.stderr).toBe(0);
    }
    const backupOf = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.env.backup-')).map((f) => join(dir, f));
    const expected = [...backupOf(t.cwd), ...backupOf(away)].sort();
    expect(expected).toHaveLength(2);

    const d = await cli(t, ['doctor', '--json']);
    const found = backupsFound(d.stdout);
    expect(found.map((f) => f.path).sort()).toEqual(expected);
    for (const f of found) {
      expect(f.message).toBe(`${f.path} is a backup a migration made: it holds in plaintext what it copied.`);
      expect(f.fix).toContain(`cpw-vault migrate --from ${shellWord(f.path)} --dry-run`);
      expect(f.fix).toContain(`then delete it: rm -- ${shellWord(f.path)}`);
    }
    expect(found.find((f) => f.path.startsWith(away))!.fix).toContain(`rm -- '${away}/.env.backup-`);
    const text = await cli(t, ['doctor']);
    for (const path of expected) expect(text.stderr).toContain(`${path} is a backup a migration made`);
    expect(values.some((v) => (d.stdout + d.stderr + text.stdout + text.stderr).includes(v))).toBe(false);
  }, 120_000);
});

describe("doctor and the seed's config/secrets.json left on disk", () => {
  // Its fix said "(kept if a key differs from the vault's)": with a setting in the file (PORT), the line pasted exits 1
  // and keeps the file every time, a case the fix never named, so it read as a line that does not work.
  it('its fix says the line keeps the file while it holds what the vault does not, a setting included, and that is what it does', async () => {
    const t = makeTempHome();
    const secrets = join(t.cwd, 'config', 'secrets.json');
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(secrets, JSON.stringify({ hf_token: `hf_${hex(34)}`, PORT: '3000' }), { mode: 0o600 });
    expect((await cli(t, ['migrate', '--yes'])).code).toBe(0);
    const found = (JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.find((p) => p.kind === 'secrets-json')!;
    expect(found.path).toBe(secrets);
    // The command last, to be pasted as it is: the words about it came after it, and pasted with it were a syntax error.
    expect(found.fix.endsWith(`: cpw-vault migrate --from ${shellWord(secrets)} --remove-plaintext --yes`), found.fix).toBe(true);
    expect(found.fix).toContain('kept, saying why, while it holds what the vault does not have: a different value, an entry it does not know, a setting');
    const pasted = await cli(t, ['migrate', '--from', secrets, '--remove-plaintext', '--yes']);
    expect(pasted.code).toBe(1);
    expect(pasted.stderr).toContain('1 entry was not migrated (PORT)');
  });
});
