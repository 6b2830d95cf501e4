// P5: migration plans that scale, and an apply close to the keychain's own cost.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, once, root, row, section } from './lib.mjs';

function source(dir, n, kind) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = Array.from({ length: n }, (_, i) => [`svc${i}_api_key`, `value-${i}-${'z'.repeat(24)}`]);
  if (kind === 'env') {
    const path = join(dir, 'big.env');
    writeFileSync(path, keys.map(([k, v]) => `${k.toUpperCase()}=${v}`).join('\n'));
    return path;
  }
  const path = join(dir, 'secrets.json');
  writeFileSync(path, JSON.stringify(Object.fromEntries(keys)));
  return path;
}

/** Writes `n` items straight through the Secret Service client (the keychain's own cost), ms per item per hundred. */
async function keychainOwn(n) {
  const { build } = await import('esbuild');
  const out = join(process.env.HOME, 'ss-client.mjs');
  await build({ stdin: { contents: "export { SecretServiceStore } from './shared/node/secrets/secret-service';", resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
  const { SecretServiceStore } = await import(pathToFileURL(out).href);
  const store = new SecretServiceStore({ service: `${process.env.CPW_KEYCHAIN_SERVICE}-own`, env: process.env, timeoutMs: 30_000 });
  const perItem = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await store.set(`svc${i}.api_key`, `value-${i}-${'w'.repeat(24)}`);
    perItem.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  // gnome-keyring's write cost grows with the items the collection holds (it rewrites its file on each change):
  // these go again, so the migration measured next starts from the same keyring.
  for (let i = 0; i < n; i++) await store.delete(`svc${i}.api_key`);
  store.close();
  return { total, perItem };
}

export async function migration() {
  section('P5: migrate --dry-run (the plan reads every target in one batch), by size');
  for (const kind of ['json', 'env']) {
    const times = [100, 1_000, 10_000].map((n) => {
      const dir = join(process.env.HOME, `plan-${kind}-${n}`);
      const path = source(dir, n, kind);
      const env = { ...process.env, HOME: dir };
      return median3(() => once({ argv: [process.execPath, BIN, 'migrate', '--from', path, '--dry-run', '--include-unknown'], env }));
    });
    [100, 1_000, 10_000].forEach((n, i) => row(`migrate --dry-run, ${kind === 'env' ? '.env' : 'secrets.json'}, ${n.toLocaleString('en')} keys`, times[i], i ? times[i] / times[i - 1] : undefined, n === 1_000 ? undefined : undefined));
    console.log(`  1,000 keys in ${(times[1] / 1000).toFixed(2)} s (target <= 1 s: ${times[1] <= 1000 ? 'meets' : 'MISSES'}); 10x the keys costs ${(times[2] / times[1]).toFixed(1)}x (linear: ~10x)`);
  }

  section('P5: migrate 1,000 keys, vs the keychain\'s own time for 1,000 writes (gnome-keyring slows as it fills)');
  const own = await keychainOwn(1_000);
  const dir = join(process.env.HOME, 'apply-1000');
  const path = source(dir, 1_000, 'json');
  const env = { ...process.env, HOME: dir, CPW_KEYCHAIN_SERVICE: `${process.env.CPW_KEYCHAIN_SERVICE}-apply` };
  const apply = once({ argv: [process.execPath, BIN, 'migrate', '--from', path, '--include-unknown', '--yes'], env });
  row('1,000 writes straight through the Secret Service client', own.total, 1);
  row('cpw-vault migrate of 1,000 keys (write + read-back each, one commit)', apply, apply / own.total, 1.2);
  const avg = (from, to) => own.perItem.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
  console.log(`  gnome-keyring's own write cost: ${avg(0, 10).toFixed(1)} ms/item near 0 items, ${avg(90, 110).toFixed(1)} near 100, ${avg(490, 510).toFixed(1)} near 500, ${avg(980, 1000).toFixed(1)} near 1,000`);
  execFileSync(process.execPath, [BIN, 'list'], { env, stdio: 'ignore' });
}

function median3(fn) {
  const xs = [fn(), fn(), fn()].sort((a, b) => a - b);
  return xs[1];
}
