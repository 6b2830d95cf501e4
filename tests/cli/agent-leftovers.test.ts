import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileCli, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';

/**
 * The unlock agent's folder and socket as a user meets them after something went wrong: an XDG_RUNTIME_DIR other
 * users can write, an agent killed with -9. Each must end in a message that says what is wrong and what to do.
 */

const homes: FileVaultHome[] = [];
async function home(): Promise<FileVaultHome> {
  const h = await makeFileVaultHome({ logN: 10 });
  homes.push(h);
  return h;
}
afterEach(async () => {
  for (const h of homes.splice(0)) {
    await fileCli(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  }
});

/** The first two lines of stderr (the error and its fix), the part a user acts on. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => /^(error|fix):/.test(l)).join('\n');

describe('an XDG_RUNTIME_DIR other users can write', () => {
  it('get after an unlock elsewhere says the folder is refused, why, and how to fix it, in the words unlock uses', async () => {
    const h = await home();
    const shared = join(h.root, 'shared-run');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'tmdb', 'api_key', '--force'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const get = await fileCli(h, ['get', 'tmdb', 'api_key'], { env: { XDG_RUNTIME_DIR: shared } });
    expect(get.stdout).toBe('');
    expect(get.code).not.toBe(0);
    // It said "no unlock agent is running ... unlock it once", and that unlock could only refuse.
    expect(get.stderr).not.toMatch(/no unlock agent is running/);
    expect(get.stderr).toContain(`XDG_RUNTIME_DIR is ${shared}, which other users can change (mode 0777, not sticky)`);
    expect(get.stderr).toMatch(/fix: Unset XDG_RUNTIME_DIR .*or point it at a private folder of yours: mkdir -m 700/);
    const unlock = await fileCli(h, ['unlock', '--passphrase-file', h.passFile], { env: { XDG_RUNTIME_DIR: shared } });
    expect(unlock.code).not.toBe(0);
    expect(errorLines(unlock.stderr)).toBe(errorLines(get.stderr));
    expect(existsSync(join(shared, 'cpw-vault'))).toBe(false);
  }, 60_000);
});
