import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/temp';

const root = resolve(import.meta.dirname, '../..');

describe('npm test without the keychain tools', () => {
  it('fails, naming the Debian packages to install, and never prints a green summary', () => {
    const t = makeTempHome();
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    // Only node and a shell: dbus-run-session, gnome-keyring-daemon, secret-tool, gdbus are "not installed".
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = spawnSync(process.execPath, [join(root, 'scripts/test.mjs')], { cwd: root, env: { ...process.env, PATH: bin }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Install the Debian\/Ubuntu packages: dbus gnome-keyring libsecret-tools libglib2\.0-bin/);
    expect(r.stdout.trim()).toBe('0 passed, 1 failed');
  });
});
