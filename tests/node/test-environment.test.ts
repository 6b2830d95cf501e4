import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';
import { makeTempHome } from '../helpers/temp';

describe('the test environment is throwaway', () => {
  it('HOME and XDG_DATA_HOME live under the run root, never the developer home', () => {
    const root = process.env['CPW_TEST_ROOT']!;
    expect(root).toBeTruthy();
    expect(homedir().startsWith(root)).toBe(true);
    expect(process.env['XDG_DATA_HOME']!.startsWith(root)).toBe(true);
    expect(process.env['CPW_KEYCHAIN_SERVICE']).toBe('cp-whisperx-test');
  });

  it('a private D-Bus session with an unlocked keyring answers store and lookup', () => {
    expect(process.env['DBUS_SESSION_BUS_ADDRESS']).toBeTruthy();
    const value = `probe-${process.pid}-${Date.now()}`;
    const store = spawnSync('secret-tool', ['store', '--label=env test', 'service', 'cp-whisperx-test', 'account', 'env.probe'], { input: value });
    expect(store.status).toBe(0);
    const look = spawnSync('secret-tool', ['lookup', 'service', 'cp-whisperx-test', 'account', 'env.probe'], { encoding: 'utf8' });
    expect(look.stdout).toBe(value);
    const locked = spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', '--object-path', '/org/freedesktop/secrets/aliases/default', '--method', 'org.freedesktop.DBus.Properties.Get', 'org.freedesktop.Secret.Collection', 'Locked'], { encoding: 'utf8' });
    expect(locked.stdout.trim()).toBe('(<false>,)');
  });

  it('a keyring daemon that dies mid-run is started again unlocked (D-Bus alone would start a locked one)', async () => {
    const t = makeTempHome();
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: t.home };
    for (const [name, sub] of Object.entries({ XDG_DATA_HOME: 'data', XDG_CONFIG_HOME: 'config', XDG_RUNTIME_DIR: 'run' })) {
      env[name] = join(t.root, sub);
      mkdirSync(env[name]!, { recursive: true, mode: 0o700 });
      chmodSync(env[name]!, 0o700);
    }
    const script = join(t.root, 'die.mjs');
    writeFileSync(script, `import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKeyring } from ${JSON.stringify(join(process.cwd(), 'scripts/throwaway-keyring.mjs'))};
await startKeyring();
const look = () => spawnSync('secret-tool', ['lookup', 'service', 'die', 'account', 'a'], { encoding: 'utf8', timeout: 10000 }).stdout;
spawnSync('secret-tool', ['store', '--label=die', 'service', 'die', 'account', 'a'], { input: 'kept' });
const before = look();
const pidOf = () => /uint32 (\\d+)/.exec(spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'org.freedesktop.secrets'], { encoding: 'utf8' }).stdout)?.[1];
const killed = pidOf();
process.kill(Number(killed), 'SIGKILL');
// No keychain call until the keeper's daemon owns the name: a call before would have D-Bus start the standard
// (locked) daemon itself, which this bare session (unlike the harness's) does not guard against. Asked of the bus
// (no activation): the name is free, or still the killed daemon's, until the keeper's daemon takes it.
for (let i = 0; i < 600 && [undefined, killed].includes(pidOf()); i++) await sleep(50);
let after = '';
for (let i = 0; i < 300 && after !== 'kept'; i++) { after = look(); if (after !== 'kept') await sleep(100); }
const locked = spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', '--object-path', '/org/freedesktop/secrets/aliases/default', '--method', 'org.freedesktop.DBus.Properties.Get', 'org.freedesktop.Secret.Collection', 'Locked'], { encoding: 'utf8' }).stdout.trim();
const restarts = (await import('node:fs')).readFileSync(process.env.XDG_RUNTIME_DIR + '/cpw-vault-keyring-restarts', 'utf8').split('\\n').filter(Boolean).length;
console.log(JSON.stringify({ before, after, locked, restarts }));
process.exit(0);
`);
    const r = await collect(spawn('dbus-run-session', ['--', process.execPath, script], { env, cwd: t.cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ before: 'kept', after: 'kept', locked: '(<false>,)', restarts: 1 });
    expect(r.stderr).toContain('exited (SIGKILL); started again, unlocked');
  }, 60_000);

  it('a test body runs again only when the keyring daemon was restarted under it; its own failures are thrown', async () => {
    const log = join(makeTempHome().root, 'restarts');
    let runs = 0;
    const value = await againIfKeyringRestarted('helper test', async () => {
      if (++runs === 1) {
        writeFileSync(log, 'restart\n'); // what the keeper writes when it starts the daemon again
        throw new Error('the keychain went away');
      }
      return 'second run';
    }, 3, log);
    expect([value, runs]).toEqual(['second run', 2]);
    await expect(againIfKeyringRestarted('helper test', async () => {
      throw new Error('a real failure');
    }, 3, log)).rejects.toThrow('a real failure');
  }, 30_000);
});
