// exec's list of credentials (VaultReader.credentialCarriers): what `list` lists, with only what exec needs of each
// (the env vars it strips or injects, whether a stored secret is masked), built without the usage marks or the
// environment scan a list shows. The same credentials in the same order as listCredentials, whatever the profile.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVault } from '../../shared/node/open';
import { openReader } from '../../shared/node/open-read';
import { BIN, cli } from '../helpers/cli';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome } from '../helpers/temp';

describe('credentialCarriers', () => {
  it('lists every credential listCredentials lists, in its order, with the same env vars, secrecy and storage', async () => {
    const t = makeTempHome();
    const secrets = new MemorySecretStore();
    const env = { MY_CUSTOM_KEY: 'from-the-shell-1234', HF_TOKEN: '' };
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env, secrets, caller: 'cli', warn: () => {} });
    await vault.setCredential('huggingface', 'token', `hf_${'a'.repeat(34)}`);
    await vault.setCredential('zeta', 'api_key', 'zeta-value-1234', { envVar: 'MY_CUSTOM_KEY' });
    await vault.setCredential('alpha', 'api_key', 'alpha-value-1234', { envVar: 'ZETA_API_KEY' }); // zeta's own name: zeta carries none
    await vault.setCredential('beta', 'secret', 'beta-value-1234');
    const reader = openReader({ homeDir: t.home, cwd: t.cwd, env, secrets, caller: 'cli', warn: () => {} }).reader;
    const listed = reader.listCredentials().map((c) => ({ id: c.id, secret: c.secret, custom: c.custom, envVars: c.envVars, stored: c.stored, storage: c.meta?.storage }));
    const carriers = reader.credentialCarriers().map((c) => ({ id: c.id, secret: c.secret, custom: c.custom, envVars: c.envVars, stored: c.stored, storage: c.meta?.storage }));
    expect(carriers).toEqual(listed);
    expect(carriers.filter((c) => c.custom).map((c) => c.id)).toEqual(expect.arrayContaining(['zeta.api_key', 'alpha.api_key', 'beta.secret']));
    expect(carriers.some((c) => !c.secret)).toBe(true); // the catalog's non-secret entries are there too
    // The full vault answers the same.
    expect(vault.credentialCarriers().map((c) => c.id)).toEqual(listed.map((c) => c.id));
  });
});

describe('exec builds its list without reading the usage marks', () => {
  it('opens no usage folder (list reads it for the last use; exec never shows one)', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'Carrier1'.repeat(5)}` })).code).toBe(0);
    // A first read made the usage folder and its mark.
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    const log = join(t.root, 'strace.log');
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=openat,getdents64', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'true'], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const usage = join(t.home, '.cp-whisperx', 'usage');
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(`${usage}"`))).toEqual([]);
    // And `list`, which shows the last use, still reads it (so the check above can see the folder's opening).
    const listLog = join(t.root, 'strace-list.log');
    spawnSync('strace', ['-f', '-qq', '-o', listLog, '-e', 'trace=openat', process.execPath, BIN, 'list'], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8',
    });
    expect(readFileSync(listLog, 'utf8').split('\n').filter((l) => l.includes(`${usage}"`)).length).toBeGreaterThan(0);
  });
});
