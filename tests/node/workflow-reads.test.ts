// A workflow's credentials are read in one batch of the secret store (exec adds
// the values it masks to the same batch), and a credential the index lists but
// the store lost makes the workflow fall back to its alternative, read in turn.
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets } from '../../shared/core/redact';
import { createVault } from '../../shared/node/open';
import { keychainError } from '../../shared/node/secrets/reasons';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { rejected } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Wr1t'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const PYANNOTE = `hf_${'Py4n'.repeat(9)}`;

afterEach(() => clearRegisteredSecrets());

/** A store that reads in batches, counting calls. */
class CountingStore extends MemorySecretStore {
  gets = 0;
  batches: string[][] = [];
  override async get(account: string) {
    this.gets++;
    return super.get(account);
  }
  async getMany(accounts: readonly string[]) {
    if (this.failWith) throw keychainError(this.failWith);
    this.batches.push([...accounts]);
    return new Map(accounts.map((a) => [a, this.items.get(a)] as const));
  }
}

function setup(caller: 'cli' | 'library' = 'cli') {
  const t = makeTempHome();
  const secrets = new CountingStore();
  const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller, warn: () => {} });
  return { vault, secrets };
}

describe('workflow reads', () => {
  it('subtitle: both credentials in one batch, no single reads, every alias set', async () => {
    const { vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    secrets.gets = 0;
    secrets.batches = [];
    expect(await vault.workflowEnv('subtitle')).toEqual({ HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: TMDB });
    expect(secrets.batches).toEqual([['huggingface.token', 'tmdb.api_key']]);
    expect(secrets.gets).toBe(0);
  });

  it('diarize: a pyannote token the keychain lost falls back to the HuggingFace token, read in turn', async () => {
    const { vault, secrets } = setup();
    await vault.setCredential('pyannote', 'token', PYANNOTE);
    await vault.setCredential('huggingface', 'token', HF);
    secrets.items.delete('pyannote.token');
    secrets.batches = [];
    expect(await vault.workflowEnv('diarize')).toMatchObject({ HF_TOKEN: HF });
    expect(secrets.batches).toEqual([['pyannote.token'], ['huggingface.token']]);
  });

  it('a workflow whose only credential the keychain lost is not ready (and says what is missing)', async () => {
    const { vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    secrets.items.delete('huggingface.token');
    expect((await vault.validateWorkflow('transcribe')).ready).toBe(true); // the index alone
    expect((await vault.validateWorkflow('transcribe', { verify: true })).ready).toBe(false);
    expect((await rejected(vault.workflowEnv('transcribe'))).code).toBe('WORKFLOW_NOT_READY');
  });

  // A key another program stored under the vault's name is indexed again only when a vault opens: this one opened before.
  it('a key the store holds but the index lacks counts (the library, long-lived), read in one more batch only when the workflow is not ready', async () => {
    const { vault, secrets } = setup('library');
    await vault.setCredential('huggingface', 'token', HF);
    secrets.items.set('tmdb.api_key', TMDB);
    secrets.batches = [];
    expect(await vault.workflowEnv('subtitle')).toEqual({ HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: TMDB });
    expect(secrets.batches).toEqual([['huggingface.token'], ['tmdb.api_key']]);
    // Ready from the index: nothing more is asked (pyannote's place taken by the HuggingFace token, as the index says).
    secrets.items.set('pyannote.token', PYANNOTE);
    secrets.batches = [];
    expect((await vault.validateWorkflow('diarize', { verify: true })).uses).toEqual(['huggingface.token']);
    expect(secrets.batches).toEqual([['huggingface.token']]);
  });

  it('a workflow the store cannot complete either stays not ready, each key asked once', async () => {
    const { vault, secrets } = setup('library');
    await vault.setCredential('huggingface', 'token', HF);
    secrets.batches = [];
    expect((await rejected(vault.workflowEnv('summarize'))).code).toBe('WORKFLOW_NOT_READY');
    expect(secrets.batches).toEqual([['openai.api_key', 'anthropic.api_key', 'google.api_key']]);
  });

  it('a locked keychain is an error, never "missing"', async () => {
    const { vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    secrets.failWith = 'KEYCHAIN_LOCKED';
    expect((await rejected(vault.workflowEnv('transcribe'))).code).toBe('KEYCHAIN_LOCKED');
  });
});
