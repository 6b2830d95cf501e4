import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openVault } from '../../shared/node/open';
import { createFileSecretStore } from '../../shared/node/secrets/file-store';
import { SecretServiceStore } from '../../shared/node/secrets/secret-service';
import { openIdentity, type OpenedIdentity } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { LoopKiller } from '../helpers/kill-loop';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';

// Not an interop test: a low scrypt work factor lets 200 kills fit the budget (each switch to the file creates a vault,
// each switch back opens it). At 2^10 each of those was tens of ms of JavaScript scrypt (a sixth of a switch's CPU),
// a stretch in which a kill finds nothing half-written; at 2^4 a switch's time is its writes and keychain calls.
const LOG_N = 4;
const PASS = 'passphrase of the backend kill test';
const SECRETS: Record<string, string> = { 'huggingface.token': `hf_${'MoVe'.repeat(9)}`, 'tmdb.api_key': '11112222333344445555666677778888', 'openai.api_key': `sk-proj-${'m'.repeat(40)}` };
const KILLS = Number(process.env['CPW_BACKEND_KILLS'] ?? 200);

/** The move record beside the profile, if a switch left one (a sidecar: `backend-move`, or `<profile>.backend-move`). */
const recordLeft = (t: TempHome) => readdirSync(dirname(t.profile)).some((n) => n.endsWith('backend-move'));

function storageOf(profile: string): { backend: string; namespace: string } {
  const s = (JSON.parse(readFileSync(profile, 'utf8')) as { storage?: { backend?: string; namespace?: string } }).storage;
  return { backend: s?.backend ?? 'keychain', namespace: s?.namespace ?? '' };
}

/**
 * What the checks keep from one kill to the next: one Secret Service connection per namespace (closed at the test's
 * end), and the identity file's key, opened again only when the file's bytes changed (a switch to the file makes a
 * new one): scrypt twice per kill was a quarter of the checks' time.
 */
interface Reads {
  keychains: Map<string, SecretServiceStore>;
  identity?: { bytes: Buffer; key: OpenedIdentity['key'] };
}

/** What each backend holds of SECRETS right now (read directly, no recovery). */
async function holdings(t: TempHome, reads: Reads): Promise<{ keychain: Record<string, string>; file: Record<string, string> | undefined }> {
  const ns = storageOf(t.profile).namespace;
  const service = ns ? `${t.service}:${ns}` : t.service;
  if (!reads.keychains.has(service)) reads.keychains.set(service, new SecretServiceStore({ service, env: process.env, timeoutMs: 10_000 }));
  const keychain: Record<string, string> = {};
  for (const [id, v] of await reads.keychains.get(service)!.getMany(Object.keys(SECRETS))) if (v !== undefined) keychain[id] = v;
  const files = vaultFilesFor(t.profile);
  if (!existsSync(files.vault) || !existsSync(files.identity)) return { keychain, file: undefined };
  const bytes = readFileSync(files.identity);
  if (!reads.identity?.bytes.equals(bytes)) reads.identity = { bytes, key: (await openIdentity(files, PASS, { wrongDelayMs: 0 })).key };
  const store = createFileSecretStore({ profilePath: t.profile, key: reads.identity.key });
  const file: Record<string, string> = {};
  for (const [id, v] of await store.getMany(await store.list())) file[id] = v!;
  return { keychain, file };
}

/** The checks after kill `i`: the backend the profile names holds every secret; after the next start, only it does. */
async function checkKill(i: number, t: TempHome, env: NodeJS.ProcessEnv, reads: Reads, seen: Record<'keychain' | 'file' | 'recovered', number>): Promise<void> {
  // A killed holder's lock: removed so 200 kills fit the budget (the storage core also takes over a dead holder's lock).
  rmSync(`${t.profile}.lock`, { recursive: true, force: true });
  const named = storageOf(t.profile).backend;
  const before = await holdings(t, reads);
  // Before any recovery: the backend in use holds every secret.
  expect(named === 'file' ? before.file : before.keychain, `kill ${i + 1}: ${named} in use`).toEqual(SECRETS);
  if (recordLeft(t)) seen.recovered++;
  // The next start finishes the switch: then only that backend holds them.
  const reopened = await openVault({ profilePath: t.profile, env, warn: () => {} });
  reopened.close();
  const after = await holdings(t, reads);
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
      const loops = new LoopKiller('backend-loop', 400, env);
      const reads: Reads = { keychains: new Map() };
      try {
        for (let i = 0; i < KILLS; i++) {
          await loops.killMidRound({ profile: t.profile, passphrase: PASS, logN: LOG_N });
          await checkKill(i, t, env, reads, seen);
        }
      } finally {
        loops.close();
        for (const kc of reads.keychains.values()) kc.close();
      }
      // The kills landed on both sides, and some mid-switch (a record to finish).
      expect(seen.keychain).toBeGreaterThan(0);
      expect(seen.file).toBeGreaterThan(0);
      expect(seen.recovered).toBeGreaterThan(0);
      console.log(`backend kill test: ${KILLS} kills; keychain in use after ${seen.keychain}, file after ${seen.file}; ${seen.recovered} left a switch for the next start to finish`);
    });
  }, 1_800_000);
});
