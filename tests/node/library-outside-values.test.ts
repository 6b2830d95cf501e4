// The Node library in a long-running stage, when another program stores a key under the vault's keychain name
// (secret-tool, keyring in a Python stage): the index learns of it only when a vault opens, and this process opened
// its vault before.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSecretStore } from '../../shared/node/secrets/open-secret-store';
import { cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');
const HF = `hf_${'0utS'.repeat(9)}`;
const TMDB = 'fedcba9876543210fedcba9876543210';

describe('the Node library and a value stored outside cpw-vault', () => {
  it('requireWorkflow and workflowEnv find a key getCredential finds, in the same process, without a restart', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // Asks, waits for a line on stdin (the key stored meanwhile), asks again. Lengths and codes only: never a value.
    const script = `
      import { getCredential, requireWorkflow, workflowEnv } from ${JSON.stringify(LIBRARY)};
      const attempt = async (f) => { try { return String(await f()); } catch (e) { return e.code; } };
      const round = async () => [
        await attempt(async () => (await requireWorkflow('subtitle')).ready),
        await attempt(async () => (await getCredential('tmdb', 'api_key')).value.length),
        await attempt(async () => (await workflowEnv('subtitle')).TMDB_API_KEY.length),
      ].join(' ');
      console.log(await round());
      await new Promise((go) => process.stdin.once('data', go));
      console.log(await round());
      process.stdin.pause();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(child);
    let out = '';
    await new Promise<void>((ready, failed) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) ready();
      });
      child.on('close', () => failed(new Error(`the stage ended before its first round: ${out}`)));
    });
    expect(out).toBe('WORKFLOW_NOT_READY CREDENTIAL_MISSING WORKFLOW_NOT_READY\n');
    // Stored as secret-tool or keytar store it (the same item attributes), the index left as it was.
    const outside = openSecretStore({ backend: 'keychain', namespace: t.service, env: process.env, timeoutMs: 10_000, profilePath: t.profile });
    await outside.set('tmdb.api_key', TMDB);
    outside.close();
    child.stdin.end('go\n');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`WORKFLOW_NOT_READY CREDENTIAL_MISSING WORKFLOW_NOT_READY\ntrue ${TMDB.length} ${TMDB.length}\n`);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TMDB);
  });
});
