import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openVault } from '../../shared/node/open';
import { createFileSecretStore } from '../../shared/node/secrets/file-store';
import { SecretServiceStore } from '../../shared/node/secrets/secret-service';
import { openIdentity } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { fixture } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';

// Not an interop test: a low scrypt work factor lets 200 kills fit the budget (each switch to the file creates a vault).
const LOG_N = 10;
const PASS = 'passphrase of the backend kill test';
const SECRETS: Record<string, string> = { 'huggingface.token': `hf_${'MoVe'.repeat(9)}`, 'tmdb.api_key': '11112222333344445555666677778888', 'openai.api_key': `sk-proj-${'m'.repeat(40)}` };
const KILLS = Number(process.env['CPW_BACKEND_KILLS'] ?? 200);

/** The move record beside the profile, if a switch left one (a sidecar: `backend-move`, or `<profile>.backend-move`). */
const recordLeft = (t: TempHome) => readdirSync(dirname(t.profile)).some((n) => n.endsWith('backend-move'));

function storageOf(profile: string): { backend: string; namespace: string } {
  const s = (JSON.parse(readFileSync(profile, 'utf8')) as { storage?: { backend?: string; namespace?: string } }).storage;
  return { backend: s?.backend ?? 'keychain', namespace: s?.namespace ?? '' };
}

/** What each backend holds of SECRETS right now (read directly, no recovery). */
async function holdings(t: TempHome): Promise<{ keychain: Record<string, string>; file: Record<string, string> | undefined }> {
  const ns = storageOf(t.profile).namespace;
  const kc = new SecretServiceStore({ service: ns ? `${t.service}:${ns}` : t.service, env: process.env, timeoutMs: 10_000 });
  const keychain: Record<string, string> = {};
  try {
    for (const id of Object.keys(SECRETS)) {
      const v = await kc.get(id);
      if (v !== undefined) keychain[id] = v;
    }
  } finally {
    kc.close();
  }
  const files = vaultFilesFor(t.profile);
  if (!existsSync(files.vault) || !existsSync(files.identity)) return { keychain, file: undefined };
  const { key } = await openIdentity(files, PASS, { wrongDelayMs: 0 });
  const store = createFileSecretStore({ profilePath: t.profile, key });
  const file: Record<string, string> = {};
  for (const id of await store.list()) file[id] = (await store.get(id))!;
  return { keychain, file };
}

let switchMs = 400;

/** Starts the switch loop, lets 0 or 1 switch complete, then SIGKILLs it at a random instant of the next one. */
async function killMidSwitch(t: TempHome): Promise<void> {
  const child = spawn(process.execPath, [fixture('backend-loop')], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CPW_KEYCHAIN_SERVICE: t.service } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(JSON.stringify({ profile: t.profile, passphrase: PASS, logN: LOG_N }));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
  const completions = Math.floor(Math.random() * 2);
  let seen = -1;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => reject(new Error(`the switch loop exited: ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const ms = /^switched \w+ (\d+)/.exec(line)?.[1];
        if (ms) switchMs = 0.8 * switchMs + 0.2 * Number(ms);
        if (++seen === completions) resolve();
      }
    });
  });
  await new Promise((r) => setTimeout(r, Math.random() * switchMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('backend use under SIGKILL', () => {
  it(`${KILLS} SIGKILLs at random instants: the backend the profile names holds every secret; after the next start exactly one backend does`, async () => {
    // SIGKILLs mid-request can abort gnome-keyring itself (an upstream bug): such a run is repeated, never counted.
    await againIfKeyringRestarted('backend use under SIGKILL', async () => {
      const t = makeTempHome();
      const env = { ...process.env, CPW_KEYCHAIN_SERVICE: t.service };
      const vault = await openVault({ profilePath: t.profile, env, warn: () => {} });
      for (const [id, v] of Object.entries(SECRETS)) {
        const [s, k] = id.split('.') as [string, string];
        await vault.setCredential(s, k, v);
      }
      vault.close();
      const seen = { keychain: 0, file: 0, recovered: 0 };
      for (let i = 0; i < KILLS; i++) {
        await killMidSwitch(t);
        // A killed holder's lock: removed so 200 kills fit the budget (the storage core also takes over a dead holder's lock).
        rmSync(`${t.profile}.lock`, { recursive: true, force: true });
        const named = storageOf(t.profile).backend;
        const before = await holdings(t);
        // Before any recovery: the backend in use holds every secret.
        expect(named === 'file' ? before.file : before.keychain, `kill ${i + 1}: ${named} in use`).toEqual(SECRETS);
        if (recordLeft(t)) seen.recovered++;
        // The next start finishes the switch: then only that backend holds them.
        const reopened = await openVault({ profilePath: t.profile, env, warn: () => {} });
        reopened.close();
        const after = await holdings(t);
        expect(recordLeft(t), `kill ${i + 1}: record left`).toBe(false);
        if (named === 'file') {
          expect(after.file).toEqual(SECRETS);
          expect(after.keychain, `kill ${i + 1}: keychain emptied`).toEqual({});
        } else {
          expect(after.keychain).toEqual(SECRETS);
          expect(after.file, `kill ${i + 1}: vault files removed`).toBeUndefined();
          expect(existsSync(vaultFilesFor(t.profile).identity)).toBe(false);
        }
        seen[named as 'keychain' | 'file']++;
      }
      // The kills landed on both sides, and some mid-switch (a record to finish).
      expect(seen.keychain).toBeGreaterThan(0);
      expect(seen.file).toBeGreaterThan(0);
      expect(seen.recovered).toBeGreaterThan(0);
      console.log(`backend kill test: ${KILLS} kills; keychain in use after ${seen.keychain}, file after ${seen.file}; ${seen.recovered} left a switch for the next start to finish`);
    });
  }, 1_800_000);
});
