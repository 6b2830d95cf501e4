// Seen by an outside pass (h144): `migrate` with no --from in a folder holding a .env said "Nothing to migrate: no
// config/secrets.json here ..." and only "Point at the file": the .env beside the user went unmentioned.
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'NoSrc'.repeat(7)}`;

describe('migrate with no source found', () => {
  it('names a .env of the folder (or of ./config) in its fix, with the command, never a value; nothing is migrated', async () => {
    const t = makeTempHome();
    const bare = await cli(t, ['migrate', '--dry-run']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Nothing to migrate');
    expect(bare.stderr).toContain('cpw-vault migrate --from PATH');
    expect(bare.stderr).not.toContain('.env');

    mkdirSync(join(t.cwd, 'config'), { recursive: true });
    writeFileSync(join(t.cwd, 'config', '.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    const inConfig = await cli(t, ['migrate', '--dry-run']);
    expect(inConfig.code).toBe(2);
    expect(inConfig.stderr).toContain('There is a config/.env here (or point at another file with --from PATH): cpw-vault migrate --from config/.env\n');

    writeFileSync(join(t.cwd, '.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    const r = await cli(t, ['migrate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('There is a .env here (or point at another file with --from PATH): cpw-vault migrate --from .env\n');
    expect(r.stdout + r.stderr).not.toContain(HF);
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).not.toBe(0);
  });

  // Seen by an outside pass (h153): a .env of another user's (planted in a shared folder) was named in the fix, as
  // `cpw-vault migrate --from .env`, which can only refuse it (another user's keys are never taken as yours).
  it.runIf(process.getuid?.() === 0)("never names another user's .env: the fix stays 'point at the file'", async () => {
    const t = makeTempHome();
    writeFileSync(join(t.cwd, '.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    chownSync(join(t.cwd, '.env'), 65534, 65534);
    const r = await cli(t, ['migrate', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Point at the file: cpw-vault migrate --from PATH');
    expect(r.stderr).not.toContain('--from .env');
    rmSync(join(t.cwd, '.env'));
  });
});
