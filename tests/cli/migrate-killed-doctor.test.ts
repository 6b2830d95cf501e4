// A `migrate` killed with kill -9 midway leaves its journal entry, naming the plaintext backup it made, for the next
// start to roll forward (credentials/credential-store.ts, recover). Doctor says what is left and the command that
// finishes it: with the keychain out of reach the backup stays, a full copy of the source that nothing else names.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { killedMigrate } from '../helpers/killed-migrate';

const N = 300;

describe('doctor after a migrate killed with kill -9', () => {
  it('names the backup left behind and the commands that finish the migration, never a value', async () => {
    const t = makeTempHome();
    const { env, noValue } = await killedMigrate(t, N);
    const backups = () => readdirSync(t.cwd).filter((f) => f.startsWith('.env.backup-'));
    expect(backups()).toHaveLength(1);
    const backup = join(t.cwd, backups()[0]!);

    // No keychain (another shell, over SSH): nothing can roll the change forward, and the backup stays.
    const offline = { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined };
    const d = await cli(t, ['doctor'], { env: offline });
    expect(d.code).toBe(4);
    expect(d.stderr).toContain(`${backup} is the backup a migration killed midway made`);
    expect(d.stderr).toContain(`fix: Make the keychain usable first (see above), then run: cpw-vault doctor --repair`);
    expect(d.stderr).toContain(`then migrate the rest again: cpw-vault migrate --from ${env}`);
    noValue(d.stdout + d.stderr);
    const j = await cli(t, ['doctor', '--json'], { env: offline });
    expect(JSON.parse(j.stdout).interrupted_migrations).toEqual([expect.objectContaining({ backup, source: env, backup_left: true })]);
    // Not also among the backups to check and rm: the unfinished change needs it until doctor --repair finishes it.
    expect(JSON.parse(j.stdout).plaintext_tokens.filter((p: { kind: string }) => p.kind === 'migration-backup')).toEqual([]);
    expect(d.stderr).not.toContain(`rm -- ${backup}`);
    noValue(j.stdout + j.stderr);
    expect(existsSync(backup)).toBe(true);

    // With the keychain: doctor's own start rolls the change forward and deletes the backup, and says so.
    const done = await cli(t, ['doctor']);
    expect(done.stderr).toContain(`A migration killed midway`);
    expect(done.stderr).toContain(`its backup ${backup} was deleted. ${env} still holds every key in plaintext.`);
    expect(done.stderr).toContain(`fix: Migrate the rest again: cpw-vault migrate --from ${env}`);
    // Said in doctor's words only, not also as the warning another command's start gives.
    expect(done.stderr).not.toContain('warning: finished a migrate killed midway');
    noValue(done.stdout + done.stderr);
    expect(backups()).toEqual([]);
    // Said once: the next doctor has nothing left to report.
    expect((await cli(t, ['doctor'])).stderr).not.toContain('killed midway');
  }, 300_000);
});
