import { chmodSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileCli, makeFileVaultHome } from '../helpers/file-vault';

const HF = `hf_${'ElSeWhErE'.repeat(4)}`;

/**
 * A headless server: `cpw-vault unlock` in an ssh session (XDG_RUNTIME_DIR=/run/user/N), then the pipeline from
 * nohup, cron or a CI step, whose XDG_RUNTIME_DIR or TMPDIR differs. The read cannot use that agent, but it said
 * "no unlock agent is running" while one served the vault: users unlocked again and again, puzzled.
 */
describe('a read from a shell whose XDG_RUNTIME_DIR is not the one the vault was unlocked under', () => {
  it('get, doctor, list and which say an agent of this vault runs, where, and how to reach it; never "no unlock agent"', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile]);
    expect(up.code, up.stderr).toBe(0);
    try {
      expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
      const other = mkdtempSync(join(h.root, 'cron-run-'));
      chmodSync(other, 0o700);
      const env = { XDG_RUNTIME_DIR: other, CI: 'true' };
      for (const args of [['get', 'huggingface', 'token'], ['doctor']]) {
        const r = await fileCli(h, args, { env });
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(4);
        expect(r.stderr, args[0]).not.toContain('no unlock agent is running');
        expect(r.stderr, args[0]).toContain(`an unlock agent of this vault runs, but it listens in ${h.runtime}/cpw-vault, not in ${other}/cpw-vault`);
        expect(r.stderr, args[0]).toContain('same XDG_RUNTIME_DIR and TMPDIR as the shell that unlocked it');
        expect(r.stdout).not.toContain(HF);
      }
      // list and which show the index then: their note says the same, not "(no unlock agent)".
      for (const args of [['list'], ['which', 'huggingface', 'token']]) {
        const r = await fileCli(h, args, { env });
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
        expect(r.stderr, args[0]).not.toContain('no unlock agent');
        expect(r.stderr, args[0]).toContain(`an unlock agent of this vault runs, but it listens in ${h.runtime}/cpw-vault`);
      }
    } finally {
      await fileCli(h, ['lock']);
    }
  }, 60_000);
});
