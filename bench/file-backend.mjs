// The age vault file backend: unlock, and get / set with the agent running, vs the keychain.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, HF, TMDB, interleaved, once, root, row, section, timeAsync } from './lib.mjs';

/**
 * The age vault file backend: a profile of its own (storage.backend "file")
 * with a vault created at age's default scrypt work factor, then unlock,
 * get and set through the CLI with the agent running, and in-process.
 */
async function measure() {
  const { build } = await import('esbuild');
  const { nodeBundleOptions } = await import('../scripts/node-bundle.mjs');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const dir = join(process.env.HOME, 'file-backend');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const profile = join(dir, 'user.profile');
  const passFile = join(dir, 'pass');
  writeFileSync(passFile, 'benchmark vault passphrase\n', { mode: 0o600 });
  const helper = join(dir, 'helper.mjs');
  await build({ ...nodeBundleOptions, stdin: { contents: "export { createFileSecretStore } from './shared/node/secrets/file-store';", resolveDir: root, loader: 'ts' }, outfile: helper });
  const lib = await import(pathToFileURL(helper).href);
  const env = { ...process.env, CPW_PROFILE: profile };
  const run = (args, input) => execFileSync(process.execPath, [BIN, ...args], { input, env, stdio: ['pipe', 'pipe', 'ignore'] });
  // The keychain side of the comparison holds the same values (this section may run alone: BENCH_ONLY=file).
  execFileSync(process.execPath, [BIN, 'set', 'huggingface', 'token'], { input: HF, stdio: ['pipe', 'ignore', 'ignore'] });
  // The vault is made as a user makes it: `backend use file` on a fresh profile (one scrypt to seal the new identity).
  const switchMs = once({ argv: [process.execPath, BIN, 'backend', 'use', 'file', '--passphrase-file', passFile], env });
  const unlockRuns = Array.from({ length: 5 }, () => { const ms = once({ argv: [process.execPath, BIN, 'unlock', '--passphrase-file', passFile], env }); run(['lock']); return ms; }).sort((a, b) => a - b);
  const unlock = unlockRuns[2];
  run(['unlock', '--passphrase-file', passFile]);
  run(['set', 'huggingface', 'token'], HF);
  run(['set', 'tmdb', 'api_key'], TMDB);
  const [get, keychainGet] = interleaved([{ argv: [process.execPath, BIN, 'get', 'huggingface', 'token'], env }, { argv: [process.execPath, BIN, 'get', 'huggingface', 'token'] }]);
  const [set, keychainSet] = interleaved([{ argv: [process.execPath, BIN, 'set', 'tmdb', 'api_key'], input: TMDB, env }, { argv: [process.execPath, BIN, 'set', 'tmdb', 'api_key'], input: TMDB }], { runs: 11 });
  const viaAgent = lib.createFileSecretStore({ profilePath: profile });
  await viaAgent.get('huggingface.token');
  const agentGet = (await timeAsync(100, () => viaAgent.get('huggingface.token'))).median;
  const agentSet = (await timeAsync(30, (i) => viaAgent.set('custom.bench', `value-${i}-${'x'.repeat(30)}`))).median;
  await viaAgent.close();
  run(['lock']);
  const local = lib.createFileSecretStore({ profilePath: profile, askPassphrase: (open) => open('benchmark vault passphrase') });
  const t0 = process.hrtime.bigint();
  await local.get('huggingface.token');
  const firstGetUnlocking = Number(process.hrtime.bigint() - t0) / 1e6;
  const localGet = (await timeAsync(100, () => local.get('huggingface.token'))).median;
  const localSet = (await timeAsync(30, (i) => local.set('custom.bench', `value-${i}-${'x'.repeat(30)}`))).median;
  return { switchMs, unlock, get, keychainGet, set, keychainSet, agentGet, agentSet, firstGetUnlocking, localGet, localSet };
}


export async function fileBackend() {
  const f = await measure();
  section("The age vault file backend (scrypt work factor 18, age's default); ratios: file / keychain, timed in alternation");
  row('cpw-vault backend use file, fresh profile (new vault: scrypt)', f.switchMs, undefined);
  row('cpw-vault unlock (scrypt + start the agent)', f.unlock, undefined);
  row('cpw-vault get, keychain', f.keychainGet, 1);
  row('cpw-vault get, file backend, agent running', f.get, f.get / f.keychainGet);
  row('cpw-vault set, keychain', f.keychainSet, 1);
  row('cpw-vault set, file backend, agent running', f.set, f.set / f.keychainSet);
  row('store.get in-process, through the agent', f.agentGet, undefined);
  row('store.set in-process, through the agent', f.agentSet, undefined);
  row('store: first get, unlocking in-process', f.firstGetUnlocking, undefined);
  row('store.get in-process, key in this process', f.localGet, undefined);
  row('store.set in-process, key in this process', f.localSet, undefined);
}
