import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { agentSockets, fileCli, fileEnv, inPty, makeFileVaultHome, vaultBytes } from '../helpers/file-vault';

/**
 * `unlock` where no agent may listen (XDG_RUNTIME_DIR others can change): the refusal comes before the passphrase.
 * It used to come after: the user typed the passphrase (a pipeline's --passphrase-fd was read), scrypt ran for
 * seconds, and only then was the folder refused, or a wrong passphrase hid the real trouble.
 */
describe('unlock with an agent folder no agent may use', () => {
  it('refuses the folder before asking the passphrase, and before reading a wrong one', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const loose = join(h.root, 'loose-run');
    mkdirSync(loose);
    chmodSync(loose, 0o777);
    const env = { XDG_RUNTIME_DIR: loose };
    const before = vaultBytes(h);

    const typed = await inPty(h.cwd, fileEnv(h, env), [process.execPath, BIN, 'unlock'], [{ expect: 'VAULT_AGENT_UNSAFE', send: '' }]);
    expect(typed.stuck_at, typed.screen).toBeUndefined();
    expect(typed.screen).not.toContain('Passphrase of the vault file');
    expect(typed.screen).toContain(`XDG_RUNTIME_DIR is ${loose}, which other users can change (mode 0777, not sticky)`);

    const piped = await fileCli(h, ['unlock', '--passphrase-fd', '3'], { fd3: 'not the passphrase at all\n', env });
    expect(piped.code, piped.stderr).toBe(typed.code);
    expect(piped.stderr).toContain('error [VAULT_AGENT_UNSAFE]');
    expect(piped.stderr).not.toContain('VAULT_PASSPHRASE_WRONG');

    expect(vaultBytes(h)).toEqual(before);
    expect(agentSockets(h)).toEqual([]);
  }, 60_000);
});
