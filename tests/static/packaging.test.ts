import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/temp';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function pngSize(path: string): [number, number] {
  const b = readFileSync(path);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe('electron-builder configuration', () => {
  const build = pkg.build;
  it('targets AppImage + deb, dmg and nsis', () => {
    expect(build.linux.target).toEqual(['AppImage', 'deb']);
    expect(build.mac.target).toEqual(['dmg']);
    expect(build.win.target).toEqual(['nsis']);
  });
  it('packs only the built app (no sources, no tests, no maps) and unpacks keytar\'s native module from the asar', () => {
    expect(build.files).toEqual(['dist/app/**/*', 'package.json', '!**/*.map', '!**/*.ts', '!**/*.tsx']);
    expect(build.asar).toBe(true);
    expect(build.asarUnpack).toEqual(['**/node_modules/keytar/**/*.node']);
    expect(pkg.main).toBe('dist/app/main.js');
    expect(build.extraResources).toEqual([{ from: 'README.md', to: 'README.md' }]); // Help → documentation
    expect(existsSync(join(root, pkg.main))).toBe(true);
    expect(existsSync(join(root, 'dist/app/preload.js'))).toBe(true);
  });
  it('has a real icon at every size it names, and the macOS entitlements', () => {
    expect(pngSize(join(root, build.mac.icon))).toEqual([1024, 1024]);
    for (const n of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(join(root, build.linux.icon, `${n}x${n}.png`))).toEqual([n, n]);
    expect(readFileSync(join(root, build.mac.entitlements), 'utf8')).toContain('com.apple.security.cs.allow-jit');
  });
});

describe('the afterPack hook', () => {
  it('flips the fuses on the packed Electron binary: no RunAsNode, no NODE_OPTIONS, no inspect, asar only and integrity-checked, cookie encryption, no file:// privileges', async () => {
    const afterPack = require(join(root, pkg.build.afterPack));
    const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');
    const t = makeTempHome();
    const appOutDir = join(t.root, 'linux-unpacked');
    mkdirSync(appOutDir);
    // A stand-in binary with Electron's fuse wire (sentinel, version 1, 8 fuses in their default states).
    const defaults = '10110001';
    writeFileSync(join(appOutDir, 'cpw-vault'), Buffer.concat([Buffer.alloc(64, 7), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, 8]), Buffer.from(defaults), Buffer.alloc(64, 9)]));
    await afterPack({ electronPlatformName: 'linux', appOutDir, arch: 1, packager: { appInfo: { productFilename: 'cpw-vault' }, executableName: 'cpw-vault' } });
    const wire = await getCurrentFuseWire(join(appOutDir, 'cpw-vault'));
    const state = (option: number) => String.fromCharCode(wire[option]);
    expect(state(FuseV1Options.RunAsNode)).toBe('0');
    expect(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('0');
    expect(state(FuseV1Options.EnableNodeCliInspectArguments)).toBe('0');
    expect(state(FuseV1Options.OnlyLoadAppFromAsar)).toBe('1');
    expect(state(FuseV1Options.EnableCookieEncryption)).toBe('1');
    expect(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('1');
    expect(state(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe('0');
  });

  it('finds the binary on each platform', () => {
    const { electronBinary } = require(join(root, pkg.build.afterPack));
    const ctx = (p: string) => ({ electronPlatformName: p, appOutDir: '/out', packager: { appInfo: { productFilename: 'cpw-vault' }, executableName: 'cpw-vault' } });
    expect([electronBinary(ctx('linux')), electronBinary(ctx('darwin')), electronBinary(ctx('win32'))]).toEqual(['/out/cpw-vault', '/out/cpw-vault.app', '/out/cpw-vault.exe']);
  });
});
