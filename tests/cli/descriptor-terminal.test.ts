// A descriptor option given a terminal (`--identity-fd 0` typed at a shell, `3< /dev/tty`): the key pasted there was
// echoed whole on the screen (and kept in its scrollback), then read up to a Ctrl-D few would think of. It is refused at
// once, exit 2, before anything is read; the passphrase's fix names the hidden prompt the command has anyway.
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { fileEnv, inPty, makeFileVaultHome } from '../helpers/file-vault';
import { makeTempHome } from '../helpers/temp';

const REFUSED = { expect: 'is a terminal', send: '' };

describe('a descriptor option that is a terminal', () => {
  it('--identity-fd 0 (and 3< /dev/tty) is refused at once, naming the file route, with nothing read', async () => {
    const t = makeTempHome();
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const stdin = await inPty(t.cwd, env, [process.execPath, BIN, 'team', 'identity', '--identity-fd', '0'], [REFUSED]);
    expect(stdin.stuck_at, stdin.screen).toBeUndefined();
    expect(stdin.code).toBe(2);
    expect(stdin.screen).toContain('error [INVALID_ARGUMENT] File descriptor 0 is a terminal: the identity typed or pasted there would show on the screen.');
    expect(stdin.screen).toContain('fix: Give it from a file, e.g.: --identity-fd 3 3< key.txt');
    const tty = await inPty(t.cwd, env, ['bash', '-c', `exec "$0" "$1" team identity --identity-fd 3 3< /dev/tty`, process.execPath, BIN], [REFUSED]);
    expect(tty.stuck_at, tty.screen).toBeUndefined();
    expect(tty.code).toBe(2);
    expect(tty.screen).toContain('File descriptor 3 is a terminal');
  }, 60_000);

  it('--passphrase-fd 0 on a terminal is refused at once; the fix is the hidden prompt (or a file)', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const r = await inPty(h.cwd, fileEnv(h), [process.execPath, BIN, 'unlock', '--passphrase-fd', '0'], [REFUSED]);
    expect(r.stuck_at, r.screen).toBeUndefined();
    expect(r.code).toBe(2);
    expect(r.screen).toContain('File descriptor 0 is a terminal: the passphrase typed or pasted there would show on the screen.');
    expect(r.screen).toContain('fix: Leave out --passphrase-fd: on a terminal cpw-vault asks for the passphrase with the input hidden. Or give it from a file, e.g.: cpw-vault unlock --passphrase-fd 3 3< pass.txt');
  }, 60_000);
});
