import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';

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
});
