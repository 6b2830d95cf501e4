// exec reads a masked stage's pipes with the addon (shared/node/exec/pipe-reader.ts), not node:net: its load and
// first Socket cost each masked exec ~3.5 ms of ~70 (issue: performance at pipeline scale, P2), where nothing else
// in exec loads it. Tested as an outcome (the modules loaded), with the output still masked, whole and in order.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { nativeSpawnAvailable } from '../../shared/node/exec/native-spawn';

const HF = `hf_${'ExecMods1'.repeat(5)}`;

/** Runs exec in `t` with stdout and stderr pipes (masked); its output and the Node modules it loaded. */
function execLoaded(t: TempHome, script: string, env: Record<string, string> = {}) {
  const loaded = join(t.root, 'modules');
  const preload = join(t.root, 'modules.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));`);
  const r = spawnSync(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', script], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, NODE_OPTIONS: `--require=${preload}`, ...env }, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 8 << 20,
  });
  return { r, modules: readFileSync(loaded, 'utf8').split('\n') };
}

describe.runIf(nativeSpawnAvailable())('exec reads its masked pipes without node:net', () => {
  it('a silent stage and a talkative one (1 MiB on each stream, the key in it): no node:net nor node:os, every byte there, the key masked', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const silent = execLoaded(t, 'true');
    expect(silent.r.status, silent.r.stderr).toBe(0);
    expect(silent.modules).not.toContain('NativeModule net');
    // Nor node:os (~0.3 ms): the host name its run and its history's lock record is read from /proc, TMPDIR asked only for FIFOs.
    expect(silent.modules).not.toContain('NativeModule os');
    // 16,384 lines of 64 bytes on each stream, the key in the middle of each.
    const talk = 'i=0; while [ $i -lt 16384 ]; do printf "%05d ........ $HF_TOKEN ........\\n" $i; i=$((i+1)); done';
    const loud = execLoaded(t, `(${talk}) & (${talk}) >&2; wait`);
    expect(loud.r.status, loud.r.stderr).toBe(0);
    for (const out of [loud.r.stdout, loud.r.stderr]) {
      expect(out).not.toContain(HF);
      const lines = out.split('\n').filter(Boolean);
      expect(lines.length).toBe(16384);
      expect(lines.map((l) => Number(l.slice(0, 5)))).toEqual([...Array(16384).keys()]);
    }
  });

  it('with CPW_VAULT_SPAWN=node (FIFOs, Node\'s spawn) it reads them with node:net, as before the addon', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const { r, modules } = execLoaded(t, 'printf "%s\\n" "$HF_TOKEN" >&2', { CPW_VAULT_SPAWN: 'node' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(HF);
    expect(r.stderr).toMatch(/\S/);
    expect(modules).toContain('NativeModule net');
  });
});
