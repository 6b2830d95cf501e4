// A session bus address whose socket path is longer than a Unix socket's address holds (sockaddr_un: 108 bytes, the
// path's ending NUL among them). The addon's socket said "there is no D-Bus session bus (no desktop session in this
// shell). (D-Bus connection failed: EINVAL)", node:net's "... (ENOENT)" (it cut the path to 107 bytes and looked
// there): the user went looking for a bus that was running.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionBusPath } from '../../shared/node/secrets/dbus/bus-address';
import { busPathTooLongError } from '../../shared/node/secrets/reasons';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'LongBus'.repeat(5)}`;
const homes: TempHome[] = [];
afterEach(() => {
  for (const t of homes.splice(0)) rmSync(t.root, { recursive: true, force: true });
});

describe.each([
  ["the addon's socket", ''],
  ["node:net's socket", 'net'],
])('a session bus path too long for a Unix socket, over %s', (_, transport) => {
  it('get says the path is too long and its length, exit 4; the link its fix makes reaches the bus', async () => {
    const t = makeTempHome();
    homes.push(t);
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const bus = sessionBusPath(process.env)!;
    expect(bus.startsWith('/')).toBe(true); // dbus-run-session's bus: a path, which a link can name
    const dir = join(t.root, 'b'.repeat(120));
    mkdirSync(dir);
    const long = join(dir, 'bus');
    symlinkSync(bus, long); // the running bus itself, at a path too long
    const env = { CPW_VAULT_DBUS: transport, DBUS_SESSION_BUS_ADDRESS: `unix:path=${long}` };

    const r = await cli(t, ['get', 'huggingface', 'token'], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`the session bus's socket path (DBUS_SESSION_BUS_ADDRESS) is ${Buffer.byteLength(long)} bytes long, and a Unix socket's address holds at most 107: ${long}.`);
    expect(r.stderr).not.toMatch(/no D-Bus session bus|EINVAL|ENOENT/);
    // The keychain runs: no vault file offered in its place (h227, h229).
    expect(r.stderr).not.toContain('age-encrypted file');

    // The fix's commands, as printed, then the same get.
    const fix = /e\.g\. (ln -sfn .*), then retry\./.exec(r.stderr)?.[1];
    expect(fix, r.stderr).toBeDefined();
    // A link left at ~/.cpw-bus by an earlier session (to a bus long gone) is replaced, not a failed ln (h229).
    symlinkSync('/nonexistent/old-bus', join(t.home, '.cpw-bus'));
    const retried = spawnSync('sh', ['-c', `${fix} && exec "$0" "$1" get huggingface token`, process.execPath, BIN], {
      cwd: t.cwd, encoding: 'utf8', env: { ...process.env, ...env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service },
    });
    expect(retried.stderr).toBe('');
    expect(retried.stdout).toBe(HF);
  });
});

describe('the fix of a too-long bus path, under a home folder that is long itself', () => {
  it('names no ~/.cpw-bus that would be too long as well: a link of at most 107 bytes, said so', () => {
    const long = `/tmp/${'b'.repeat(120)}/bus`;
    const home = `/tmp/${'h'.repeat(100)}`;
    const err = busPathTooLongError(long, { bytes: Buffer.byteLength(long), room: 107 }, { HOME: home });
    expect(err.fix).not.toContain('~/.cpw-bus');
    expect(err.fix).toContain('at a path of at most 107 bytes');
    expect(busPathTooLongError(long, { bytes: Buffer.byteLength(long), room: 107 }, { HOME: '/home/me' }).fix).toContain('~/.cpw-bus');
  });
});
