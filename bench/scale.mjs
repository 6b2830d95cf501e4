// P4: scale curves at 10 / 1,000 / 10,000 credentials. The index side is
// measured with the real CLI code over a secret store that costs next to
// nothing (one file per value, registered through the factory like the tests'
// fake), so the curve is the vault's own; the real keychain curve goes to
// 1,000 (filling gnome-keyring further takes hours).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, HF, cpw, interleaved, root, row, section } from './lib.mjs';

const SIZES = [10, 1_000, 10_000];

/** Builds the CLI (light and full bundles) with one more backend, `bench-store`: values as files in a folder, no keychain. */
export async function benchCli(dir) {
  const { build } = await import('esbuild');
  const { nodeBundleOptions } = await import('../scripts/node-bundle.mjs');
  const { banner: _b, ...common } = nodeBundleOptions;
  // Values as one file each in a folder, and their count in a file (as an in-memory store's Map.size): every
  // operation but list costs O(1), so the curve is the vault's.
  const register = `
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerSecretBackend } from './shared/node/secrets/open-secret-store';
const base = process.env.CPW_BENCH_STORE ?? '/nonexistent'; // unset while the code cache is made
const dir = join(base, 'values');
const countFile = join(base, 'count');
const read = (a) => { try { return readFileSync(join(dir, a), 'utf8'); } catch { return undefined; } };
const count = () => Number(readFileSync(countFile, 'utf8'));
registerSecretBackend('bench-store', () => ({
  backend: 'bench-store', description: 'benchmark store',
  get: async (a) => read(a), getMany: async (as) => new Map(as.map((a) => [a, read(a)])),
  set: async (a, v) => { const had = read(a) !== undefined; mkdirSync(dir, { recursive: true }); writeFileSync(join(dir, a), v); if (!had) writeFileSync(countFile, String(count() + 1)); },
  delete: async (a) => { const had = read(a) !== undefined; rmSync(join(dir, a), { force: true }); if (had) writeFileSync(countFile, String(count() - 1)); return had; },
  list: async () => readdirSync(dir).sort(), count: async () => count(),
  status: async () => ({ ok: true, backend: 'benchmark store' }), close: () => {},
}));`;
  const cjs = { ...common, format: 'cjs', define: { 'import.meta.url': '__u' }, banner: { js: "const __u = require('node:url').pathToFileURL(__filename).href;" }, minify: !process.env.CPW_NO_MINIFY };
  await Promise.all([
    build({ ...cjs, stdin: { contents: `${register}\nexport { main } from './shared/cli/bin';`, resolveDir: root, loader: 'ts' }, outfile: join(dir, 'dist/cli.cjs') }),
    build({ ...cjs, stdin: { contents: `${register}\nexport { main } from './shared/cli/fast';`, resolveDir: root, loader: 'ts' }, outfile: join(dir, 'dist/fast.cjs'), external: [...common.external, './cli.cjs', 'age-encryption'] }),
  ]);
  // The launcher and its loader, beside the bundles as in the package (bin/ and dist/ are siblings there).
  const { copyFileSync } = await import('node:fs');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(root, 'bin/load-bundle.cjs'), join(dir, 'bin/load-bundle.cjs'));
  const launcher = join(dir, 'bin/cpw-vault.cjs');
  copyFileSync(BIN, launcher);
  // With their code caches, as the package has them: the curve is then the installed CLI's.
  const { buildCodeCaches } = await import('../scripts/code-cache.mjs');
  buildCodeCaches(join(dir, 'dist'));
  return launcher;
}

/** A HOME whose profile indexes `n` credentials (plus the HF token), all held by the benchmark store. */
export function homeWith(n, launcher) {
  const dir = join(process.env.HOME, `scale-${n}`);
  mkdirSync(join(dir, '.cp-whisperx'), { recursive: true, mode: 0o700 });
  const now = new Date().toISOString();
  const metadata = {};
  const values = { 'huggingface.token': HF };
  metadata['huggingface.token'] = { created_at: now, updated_at: now, hint: `••••${HF.slice(-4)}`, storage: 'keychain' };
  for (let i = 0; i < n; i++) {
    metadata[`svc${i}.api_key`] = { created_at: now, updated_at: now, hint: '••••abcd', storage: 'keychain', custom: true, env_var: `SVC${i}_API_KEY` };
    values[`svc${i}.api_key`] = `value-${i}-${'x'.repeat(24)}abcd`;
  }
  const store = join(dir, 'store');
  mkdirSync(join(store, 'values'), { recursive: true });
  for (const [account, value] of Object.entries(values)) writeFileSync(join(store, 'values', account), value);
  writeFileSync(join(store, 'count'), String(Object.keys(values).length));
  writeFileSync(join(dir, '.cp-whisperx', 'user.profile'), `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: metadata, storage: { backend: 'bench-store', namespace: '' } }, null, 2)}\n`, { mode: 0o600 });
  const env = { ...process.env, HOME: dir, CPW_BENCH_STORE: store };
  execFileSync(process.execPath, [launcher, 'profile', 'set', 'name=Bench'], { env, stdio: 'ignore' }); // settle defaults once
  return env;
}

export async function scale() {
  const dir = join(process.env.HOME, 'scale-cli');
  mkdirSync(dir, { recursive: true });
  const launcher = await benchCli(dir);
  const run = (args, env) => ({ argv: [process.execPath, launcher, ...args], env });
  section('P4: scale curves, the index side (the CLI over a store that costs nothing), medians in alternation');
  const envs = SIZES.map((n) => homeWith(n, launcher));
  const runs = Math.min(11, Number(process.env.BENCH_RUNS ?? 11));
  for (const [name, args, input] of [['get', ['get', 'huggingface', 'token']], ['list', ['list']], ['check', ['check', 'transcribe']], ['set', ['set', 'huggingface', 'token'], HF]]) {
    const times = interleaved(envs.map((env) => ({ ...run(args, env), input })), { runs });
    SIZES.forEach((n, i) => row(`${name} at ${n.toLocaleString('en')} credentials`, times[i], times[i] / times[0], i === SIZES.length - 1 ? 1.2 : undefined));
    const floor = FLOORS[name];
    if (!floor) continue;
    // What any program pays for this work on this file format, with nothing of cpw-vault: the curve's own floor.
    const [low, high] = interleaved([envs[0], envs[SIZES.length - 1]].map((env) => ({ argv: [process.execPath, '-e', floor.script, join(env.HOME, '.cp-whisperx', 'user.profile')] })), { runs });
    const most = SIZES[SIZES.length - 1].toLocaleString('en');
    row(`  floor at 10 (${floor.what})`, low, 1);
    row(`  floor at ${most}`, high, high / low);
    console.log(`  floor's own growth 10 -> ${most}: +${(high - low).toFixed(0)} ms; the 1.2x target allows ${name} +${(times[0] * 0.2).toFixed(0)} ms; ${name} grew +${(times[SIZES.length - 1] - times[0]).toFixed(0)} ms (${(times[SIZES.length - 1] / high).toFixed(2)}x its floor at ${most})`);
  }
}

/**
 * Floors of the curves that grow with the credentials, in bare Node: list
 * must read every entry and print a row each; set (one profile file holding
 * the index) must read, parse, change, serialize and atomically rewrite it.
 */
const FLOORS = {
  list: {
    what: 'bare node: parse, print rows',
    script: `const p = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); const rows = []; for (const [id, m] of Object.entries(p.credential_metadata)) { const d = id.indexOf('.'); rows.push([id.slice(0, d), id.slice(d + 1), m.storage, m.hint, m.created_at.slice(0, 16).replace('T', ' ') + 'Z', '-'].join('  ')); } process.stdout.write(rows.join('\\n') + '\\n');`,
  },
  set: {
    what: 'bare node: parse, change, rewrite',
    script: `const fs = require('fs'); const f = process.argv[1]; const p = JSON.parse(fs.readFileSync(f, 'utf8')); p.credential_metadata['huggingface.token'].updated_at = new Date().toISOString(); const t = f + '.floor-tmp'; const fd = fs.openSync(t, 'w', 0o600); fs.writeSync(fd, JSON.stringify(p, null, 2) + '\\n'); fs.fsyncSync(fd); fs.closeSync(fd); fs.renameSync(t, f);`,
  },
};

/** The real keychain up to 1,000 credentials: get, list, check, set at 10 and 1,000 items. */
export async function scaleKeychain() {
  section('P4: the real keychain (gnome-keyring) at 10 and 1,000 credentials');
  const envs = [10, 1_000].map((n) => {
    const dir = join(process.env.HOME, `kscale-${n}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const env = { ...process.env, HOME: dir, CPW_KEYCHAIN_SERVICE: `${process.env.CPW_KEYCHAIN_SERVICE}-k${n}` };
    const doc = Object.fromEntries(Array.from({ length: n }, (_, i) => [`svc${i}_api_key`, `value-${i}-${'y'.repeat(24)}`]));
    doc.hf_token = HF;
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify(doc));
    execFileSync(process.execPath, [BIN, 'migrate', '--from', join(dir, 'secrets.json'), '--include-unknown', '--yes'], { env, stdio: 'ignore' });
    return env;
  });
  for (const [name, args, input] of [['get', ['get', 'huggingface', 'token']], ['list', ['list']], ['check', ['check', 'transcribe']], ['set', ['set', 'huggingface', 'token'], HF]]) {
    const [a, b] = interleaved(envs.map((env) => cpw(args, { env, input })), { runs: 11 });
    row(`${name}, keychain, 10 credentials`, a, 1);
    row(`${name}, keychain, 1,000 credentials`, b, b / a);
  }
}
