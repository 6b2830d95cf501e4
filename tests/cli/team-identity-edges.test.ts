import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startCli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** An age identity as age-keygen writes it (a valid checksum is not needed: it is never parsed). */
const KEY = `AGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`;

/** `team identity --export-identity` in `t`, with Ctrl-C (SIGINT) as it says it encrypts the backup (its scrypt). */
async function exportInterrupted(t: TempHome) {
  const pass = join(t.root, 'backup-pass');
  writeFileSync(pass, 'identity backup passphrase\n', { mode: 0o600 });
  const out = join(t.cwd, 'identity-backup.age');
  const { child, done } = startCli(t, ['team', 'identity', '--export-identity', out, '--passphrase-file', pass]);
  let said = '';
  child.stderr.on('data', (d: Buffer) => {
    said += d.toString();
    if (said.includes('Encrypting the identity backup')) child.kill('SIGINT');
  });
  return { out, r: await done };
}

describe('team identity, used the way people get it wrong', () => {
  let t: TempHome;
  beforeAll(async () => {
    t = makeTempHome();
    expect((await cli(t, ['team', 'identity'])).code).toBe(0);
  });
  afterAll(async () => {
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  });

  it('--import given the key itself instead of its file: refused without printing the key, and told to use stdin', async () => {
    // Also the whole file, as `--import "$(cat key.txt)"` gives it: its comment lines (creation date, public key) first.
    const file = `# created: 2026-12-05T10:00:00Z\n# public key: age1${'q'.repeat(58)}\n${KEY}`;
    for (const key of [KEY, KEY.toLowerCase(), file]) {
      const r = await cli(t, ['team', 'identity', '--import', key]);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).not.toContain(key.slice(-40));
      expect(r.stdout + r.stderr).not.toContain('# created');
      expect(r.stderr).toContain('That is an age secret key, not the path of an identity file');
      expect(r.stderr).toContain('--import -');
      const j = await cli(t, ['team', 'identity', '--import', key, '--json']);
      expect(j.stdout + j.stderr).not.toContain(key.slice(-40));
    }
  });

  it('Ctrl-C while --export-identity seals the backup (scrypt): cancelled, exit 130, no backup file', async () => {
    const { out, r } = await exportInterrupted(t);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('cancelled: nothing changed');
    expect(r.stderr).not.toContain('Wrote');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(t.cwd).filter((f) => f.startsWith('identity-backup'))).toEqual([]);
  });
  it('Ctrl-C while --export-identity seals the backup of an identity this run created: exit 130, and says the identity was stored', async () => {
    const fresh = makeTempHome();
    const { out, r } = await exportInterrupted(fresh);
    expect(r.code, r.stderr).toBe(130);
    // "nothing changed" was false: the identity made on this first use stays stored (it is needed anyway).
    expect(r.stderr).not.toContain('nothing changed');
    const stored = await cli(fresh, ['team', 'identity']);
    expect(stored.stderr).not.toContain('Created');
    expect(r.stderr).toContain(`cancelled: the backup ${out} was not written; your new team identity was created and stays stored in your vault as cpw-vault.team_identity (${stored.stdout.trim()}).`);
    expect(r.stderr).toContain(`cpw-vault team identity --export-identity ${out}`);
    expect(existsSync(out)).toBe(false);
    await cli(fresh, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  });
});
