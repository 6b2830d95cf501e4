// A backend switch (`backend use file`) and a set of another cpw-vault, interleaved at the two instants that matter:
// the set between its value and its index entry when the switch commits, and the set starting once the switch has
// committed but before it empties the old backend. Two vaults of one profile, each with its own lock-free gate, as two
// processes are: the journal and the profile's lock are all that keep them apart. The switch emptied the keychain
// under the set, whose undo (refused against the new backend) then put its value back there: a copy of the secret
// left in a backend no longer in use, which nothing ever removed.
import { describe, expect, it, vi } from 'vitest';
import { createVault } from '../../shared/node/open';
import type { JournalFile } from '../../shared/node/credentials/journal-file';
import type { ProfileStore } from '../../shared/node/profile/store';
import { SecretServiceStore } from '../../shared/node/secrets/secret-service';
import { openIdentity } from '../../shared/node/secrets/vault-admin';
import { createFileSecretStore } from '../../shared/node/secrets/file-store';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import type { Vault } from '../../shared/node/vault/vault';
import { makeTempHome, type TempHome } from '../helpers/temp';

const LOG_N = 10;
const PASS = 'passphrase of the switch-during-set test';
const HF = `hf_${'SwSet1'.repeat(6)}`;
const HF2 = `hf_${'SwSet2'.repeat(6)}`;

const profileOf = (vault: Vault) => (vault as unknown as { profile: ProfileStore }).profile;

function vaults(t: TempHome): { setter: Vault; switcher: Vault } {
  const env = { CPW_KEYCHAIN_SERVICE: t.service, DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] };
  const open = () => createVault({ homeDir: t.home, cwd: t.cwd, env, caller: 'cli', warn: () => {} });
  return { setter: open(), switcher: open() };
}

/** The token as the keychain holds it (no namespace: a fresh profile's), and as the vault file does (if there is one). */
async function holdings(t: TempHome): Promise<{ keychain: string | undefined; file: string | undefined }> {
  const kc = new SecretServiceStore({ service: t.service, env: process.env, timeoutMs: 10_000 });
  let keychain: string | undefined;
  try {
    keychain = await kc.get('huggingface.token');
  } finally {
    kc.close();
  }
  const files = vaultFilesFor(t.profile);
  let file: string | undefined;
  try {
    const { key } = await openIdentity(files, PASS, { wrongDelayMs: 0 });
    file = await createFileSecretStore({ profilePath: t.profile, key }).get('huggingface.token');
  } catch {
    file = undefined;
  }
  return { keychain, file };
}

/** Holds the setter's index write (its value already stored) until `release`; `reached` resolves when it is held. */
function holdIndexWrite(vault: Vault) {
  const profile = profileOf(vault);
  const original = profile.updateIndex.bind(profile);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const held = new Promise<void>((r) => (reached = r));
  vi.spyOn(profile, 'updateIndex').mockImplementation(async (...args) => {
    reached();
    await gate;
    return original(...args);
  });
  return { held, release };
}

describe('a backend switch and a set of another cpw-vault, interleaved', () => {
  it('the set between its value and its index entry when the switch would commit: the switch is refused, then goes through; no copy stays in the keychain', async () => {
    const t = makeTempHome();
    const { setter, switcher } = vaults(t);
    await setter.setCredential('huggingface', 'token', HF);
    const hold = holdIndexWrite(setter);
    const set = setter.setCredential('huggingface', 'token', HF2);
    await hold.held;
    const first = await switcher.useBackend('file', { passphrase: PASS, logN: LOG_N }).then(() => undefined, (err: unknown) => err);
    hold.release();
    const refused = await set.then(() => undefined, (err: unknown) => err);
    // Before: the switch went through under the set, whose undo put the old value back into the emptied keychain.
    expect(await holdings(t)).toEqual({ keychain: HF2, file: undefined });
    expect(refused).toBeUndefined();
    expect(first).toMatchObject({ code: 'PROFILE_LOCKED', message: 'A credential was being changed while the backend was being switched; nothing was moved.' });
    expect((await switcher.useBackend('file', { passphrase: PASS, logN: LOG_N })).moved).toEqual(['huggingface.token']);
    expect(await holdings(t)).toEqual({ keychain: undefined, file: HF2 });
  });

  it('a set (its store opened on the keychain) claiming its credential after the switch committed, before it emptied the keychain: the set is refused before it stores anything; no copy stays in the keychain', async () => {
    const t = makeTempHome();
    const { setter, switcher } = vaults(t);
    await setter.setCredential('huggingface', 'token', HF);
    // The switcher held right after its commit (the profile names the file), before it empties the keychain.
    const store = profileOf(switcher);
    const update = store.update.bind(store);
    let releaseSwitch!: () => void;
    const switchGate = new Promise<void>((r) => (releaseSwitch = r));
    let committed!: () => void;
    const switchHeld = new Promise<void>((r) => (committed = r));
    vi.spyOn(store, 'update').mockImplementation(async (...args) => {
      const p = await update(...args);
      if (p.storage?.backend === 'file') {
        committed();
        await switchGate;
      }
      return p;
    });
    // The set held before it claims its credential in the journal: as a `set` that opened the keychain before the
    // switch committed (a process opens its store once).
    const journal = (setter as unknown as { journal: JournalFile }).journal;
    const add = journal.add.bind(journal);
    let releaseClaim!: () => void;
    const claimGate = new Promise<void>((r) => (releaseClaim = r));
    let claiming!: () => void;
    const claimHeld = new Promise<void>((r) => (claiming = r));
    vi.spyOn(journal, 'add').mockImplementation(async (...args) => {
      claiming();
      await claimGate;
      return add(...args);
    });
    const hold = holdIndexWrite(setter);
    const set = setter.setCredential('huggingface', 'token', HF2).then(() => undefined, (err: unknown) => err);
    await claimHeld;
    const moving = switcher.useBackend('file', { passphrase: PASS, logN: LOG_N });
    await switchHeld;
    releaseClaim();
    await Promise.race([hold.held, set]);
    releaseSwitch();
    expect((await moving).moved).toEqual(['huggingface.token']);
    hold.release();
    expect(await set).toMatchObject({ code: 'PROFILE_LOCKED', message: "The vault's backend was switched from keychain to file while this change ran (another cpw-vault); nothing was changed." });
    expect(await holdings(t)).toEqual({ keychain: undefined, file: HF });
  });
});
