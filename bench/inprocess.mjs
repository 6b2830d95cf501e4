// P6: the library in a long-running stage, and what the CLI's processes weigh.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, HF, root, row, section, timeAsync } from './lib.mjs';

export async function inProcess() {
  section('P6: getCredential in-process, warm, over 10,000 calls');
  // A profile of its own holding the HF token (this section runs alone too).
  const home = join(process.env.HOME, 'inprocess');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = { ...process.env, HOME: home };
  execFileSync(process.execPath, [BIN, 'set', 'huggingface', 'token'], { input: HF, env, stdio: ['pipe', 'ignore', 'ignore'] });
  const { openVault } = await import(pathToFileURL(join(root, 'dist/index.mjs')).href);
  const vault = await openVault({ caller: 'library', homeDir: home });
  await vault.getCredential('huggingface', 'token');
  const t = await timeAsync(10_000, () => vault.getCredential('huggingface', 'token'));
  row('median', t.median, undefined);
  row('p99', t.p99, undefined);
  console.log(`  targets: median <= 2 ms ${t.median <= 2 ? 'meets' : 'MISSES'}; p99 <= 5 ms ${t.p99 <= 5 ? 'meets' : 'MISSES'}`);
  vault.close();

  section('P6: memory (resident set) of the CLI');
  const rss = (args) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...args], { encoding: 'utf8', env });
    return Number(r.stderr.trim().split('\n').pop()) / 1024;
  };
  console.log(`  cpw-vault get: ${rss(['get', 'huggingface', 'token']).toFixed(1)} MiB at its peak`);
  const during = spawnSync(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--no-history', '--', 'sh', '-c', "grep VmRSS /proc/$PPID/status | tr -s ' ' | cut -d' ' -f2"], { encoding: 'utf8', env });
  console.log(`  cpw-vault exec, while its child runs: ${(Number(during.stdout.trim()) / 1024).toFixed(1)} MiB`);
}
