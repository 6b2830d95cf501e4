import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { inPrivateSession } from '../helpers/private-session';
import { makeTempHome, type TempHome } from '../helpers/temp';

const EX = resolve(import.meta.dirname, '../../examples');
/** The cpw_vault package the Python examples import (as after `pip install ./python`). */
const PYPKG = resolve(import.meta.dirname, '../../python/src');
const HF = `hf_${'Ex4m'.repeat(9)}`;
const TMDB = 'fedcba9876543210fedcba9876543210';
const OPENAI = `sk-proj-${'e'.repeat(40)}`;

/** A PATH where `cpw-vault` is the launcher under test, as after `npm install -g`. */
function pathWithCli(t: TempHome): string {
  const dir = join(t.root, 'bin');
  mkdirSync(dir, { recursive: true });
  try {
    symlinkSync(BIN, join(dir, 'cpw-vault'));
  } catch {
    // already linked for this home
  }
  return `${dir}:${process.env['PATH']}`;
}

const STAGES: Record<string, { cmd: (t: TempHome) => string[]; needs: Array<'hf' | 'tmdb' | 'openai'>; says: RegExp }> = {
  '02_tmdb_enrichment.py (cpw-vault get via subprocess)': { cmd: () => ['python3', join(EX, 'python/02_tmdb_enrichment.py')], needs: ['hf', 'tmdb'], says: /TMDB API key loaded: yes/ },
  '05_pyannote_vad.py (under cpw-vault exec)': { cmd: () => ['cpw-vault', 'exec', '--workflow', 'diarize', '--', 'python3', join(EX, 'python/05_pyannote_vad.py')], needs: ['hf'], says: /pyannote token loaded: yes/ },
  '06_whisperx_asr.py (under cpw-vault exec)': { cmd: () => ['cpw-vault', 'exec', '--workflow', 'transcribe', '--', 'python3', join(EX, 'python/06_whisperx_asr.py')], needs: ['hf'], says: /HuggingFace token loaded: yes\n.*source language: en; cost tracking: on/ },
  '13_ai_summarization.py (require_workflow + get)': { cmd: () => ['python3', join(EX, 'python/13_ai_summarization.py')], needs: ['openai'], says: /provider: openai; API key loaded: yes\n.*cost tracking: on/ },
  'node/summarize.mjs (the library)': { cmd: () => [process.execPath, join(EX, 'node/summarize.mjs')], needs: ['openai'], says: /openai API key loaded: yes \(from keychain\)/ },
  'shell/subtitle.sh (check + env)': { cmd: () => ['sh', join(EX, 'shell/subtitle.sh')], needs: ['hf', 'tmdb'], says: /TMDB API key loaded: yes/ },
};

async function store(t: TempHome, needs: Array<'hf' | 'tmdb' | 'openai'>) {
  if (needs.includes('hf')) await cli(t, ['set', 'huggingface', 'token'], { input: HF });
  if (needs.includes('tmdb')) await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB });
  if (needs.includes('openai')) await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
}

function runStage(t: TempHome, argv: string[]) {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: t.cwd,
    env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, PATH: pathWithCli(t), PYTHONPATH: PYPKG, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child);
}

describe.each(Object.entries(STAGES))('example %s', (_name, stage) => {
  it('ready: runs, logs presence only, never a value', async () => {
    const t = makeTempHome();
    await store(t, stage.needs);
    const r = await runStage(t, stage.cmd(t));
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(stage.says);
    for (const secret of [HF, TMDB, OPENAI]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('missing: a clear message with the fix, exit 3', async () => {
    const t = makeTempHome();
    const r = await runStage(t, stage.cmd(t));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cpw-vault set|not ready|missing/i);
    expect(r.stderr).not.toMatch(/Traceback/);
    // Each way out said once (the not-ready message used to repeat the fix's Run lines).
    const runs = r.stderr.match(/run: cpw-vault set \S+ \S+/g) ?? [];
    expect(runs, r.stderr).toEqual([...new Set(runs)]);
  });

  it('locked keychain: a clear message naming KEYCHAIN_LOCKED, exit 4', async () => {
    const t = makeTempHome();
    const seed = stage.needs.map((n) => (n === 'hf' ? `printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token` : n === 'tmdb' ? `printf %s '${TMDB}' | '${process.execPath}' '${BIN}' set tmdb api_key` : `printf %s '${OPENAI}' | '${process.execPath}' '${BIN}' set openai api_key`)).join(' 2>/dev/null\n');
    const r = await inPrivateSession('locked', stage.cmd(t), { home: t, setup: seed, env: { PATH: pathWithCli(t), PYTHONPATH: PYPKG, PYTHONDONTWRITEBYTECODE: '1', CPW_KEYCHAIN_SERVICE: t.service } });
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/KEYCHAIN_LOCKED/);
    for (const secret of [HF, TMDB, OPENAI]) expect(r.stdout + r.stderr).not.toContain(secret);
  });
});

describe('shell/subtitle.sh when env fails after check passed (a keychain locked in between)', () => {
  it('exits with env\'s status, never carries on without its keys', async () => {
    const t = makeTempHome();
    await store(t, ['hf', 'tmdb']);
    // A cpw-vault whose `env` fails as a keychain locked since the check would: check passes, env exits 4.
    const wrapper = join(t.root, 'cpw-vault-locks');
    writeFileSync(wrapper, `#!/bin/sh\nif [ "$1" = env ]; then echo 'error [KEYCHAIN_LOCKED] The keychain is locked.' >&2; exit 4; fi\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o700 });
    const child = spawn('sh', [join(EX, 'shell/subtitle.sh')], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, CPW_VAULT: wrapper }, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child);
    expect(r.code).toBe(4);
    expect(r.stdout).not.toContain('loaded');
  });
});

describe('shell/subtitle.sh with no cpw-vault to start (not on PATH, CPW_VAULT a path that is not there)', () => {
  it('says it could not start it and how to point at it, in bash and dash; never "cpw-vault said why above"', async () => {
    const t = makeTempHome();
    for (const shell of ['bash', 'dash']) {
      for (const cpwVault of [undefined, join(t.root, 'no-such-cpw-vault')]) {
        const env: NodeJS.ProcessEnv = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, PATH: '/usr/bin:/bin' };
        if (cpwVault) env['CPW_VAULT'] = cpwVault;
        else delete env['CPW_VAULT'];
        const r = await collect(spawn(shell, [join(EX, 'shell/subtitle.sh')], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
        expect(r.code, `${shell} ${cpwVault}`).toBe(127);
        expect(r.stderr).toContain(`[subtitle.sh] cannot run: ${cpwVault ?? 'cpw-vault'} could not be started. Put cpw-vault on PATH, or set CPW_VAULT to its path`);
        expect(r.stderr).not.toContain('said why above');
      }
    }
  });
});

describe('a Python stage under exec, with no cpw-vault on PATH (npx, node bin/cpw-vault.cjs)', () => {
  it('the package calls the cpw-vault running it (exec sets CPW_VAULT_BIN, unless the stage already has one)', async () => {
    const t = makeTempHome();
    await store(t, ['hf', 'tmdb']);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, PYTHONPATH: PYPKG, PYTHONDONTWRITEBYTECODE: '1' };
    delete env['CPW_VAULT_BIN'];
    const argv = [BIN, 'exec', '--workflow', 'subtitle', '--', 'python3', join(EX, 'python/02_tmdb_enrichment.py')];
    const r = await collect(spawn(process.execPath, argv, { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.stderr).not.toMatch(/CLI_NOT_FOUND|Traceback/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TMDB API key loaded: yes/);
    // One the user set wins (here a wrong one, to see it is the one used).
    const own = await collect(spawn(process.execPath, argv, { cwd: t.cwd, env: { ...env, CPW_VAULT_BIN: '/nonexistent/cpw-vault' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(own.stderr).toContain('/nonexistent/cpw-vault was not found');
  });
});

describe('shell/subtitle.sh under exec, with no cpw-vault on PATH (npx, node bin/cpw-vault.cjs)', () => {
  it('runs the cpw-vault running it (CPW_VAULT_BIN, as the Python package does), in bash and dash; it exited 127 "could not be started"', async () => {
    const t = makeTempHome();
    await store(t, ['hf', 'tmdb']);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, PATH: '/usr/bin:/bin' };
    delete env['CPW_VAULT'];
    delete env['CPW_VAULT_BIN'];
    for (const shell of ['bash', 'dash']) {
      const argv = [BIN, 'exec', '--workflow', 'subtitle', '--', shell, join(EX, 'shell/subtitle.sh')];
      const r = await collect(spawn(process.execPath, argv, { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
      expect(r.code, `${shell}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('[subtitle.sh] TMDB API key loaded: yes\n[subtitle.sh] HuggingFace token loaded: yes\n');
      for (const secret of [HF, TMDB]) expect(r.stdout + r.stderr).not.toContain(secret);
    }
  });
});

describe('the Node example on a locked vault file (a headless server before unlock)', () => {
  it('exits 4 with VAULT_LOCKED, as the CLI does (it exited 1: only KEYCHAIN_* mapped to 4)', async () => {
    const { fileCli, fileEnv, makeFileVaultHome } = await import('../helpers/file-vault');
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'openai', 'api_key'], { input: OPENAI })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    const r = await collect(spawn(process.execPath, [join(EX, 'node/summarize.mjs')], { cwd: h.cwd, env: fileEnv(h), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.stderr).toContain('[VAULT_LOCKED]');
    expect(r.code).toBe(4);
  });
});
