import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesContaining } from '../helpers/canary';
import { fileCli, makeFileVaultHome } from '../helpers/file-vault';

/**
 * Watches every process's command line (/proc/<pid>/cmdline) while a test
 * runs, and remembers the ones holding any of `needles`.
 */
function watchArgv(needles: string[]) {
  const hits = new Set<string>();
  const scan = () => {
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      let argv: string;
      try {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue; // gone already
      }
      for (const n of needles) if (argv.includes(n)) hits.add(`pid ${pid}: ${argv.replaceAll('\0', ' ').replaceAll(n, '<NEEDLE>').slice(0, 160)}`);
    }
  };
  const timer = setInterval(scan, 5);
  return { hits, stop: () => clearInterval(timer) };
}

describe('canary on the file backend', () => {
  it('a value pushed through every command is in no file but the encrypted ones, in no argv, in no output or log but get/env', async () => {
    const tag = randomBytes(6).toString('hex');
    const canary = `hf_cAnArY${tag}QQQQQQQQQQQQQQQQQQQQQQQQ`;
    const custom = `zq-canary-${tag}-custom-shape`;
    // Not an age interop test: a lower work factor for the vault; the export still uses age's default.
    const h = await makeFileVaultHome({ logN: 12, passphrase: `canary passphrase ${tag}` });
    const argv = watchArgv([canary, custom, h.passphrase]);
    // The watcher sees a process whose argv holds a needle (so the check below can fail).
    const probe = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)', h.passphrase]);
    await new Promise((r) => probe.once('exit', r));
    expect([...argv.hits].some((x) => x.includes('setTimeout(() => {}, 300) <NEEDLE>'))).toBe(true);
    argv.hits.clear();

    const talk: string[] = [];
    const allowed: string[] = [];
    const run = async (args: string[], options: Parameters<typeof fileCli>[2] = {}, printsValue = false) => {
      const r = await fileCli(h, args, options);
      (printsValue ? allowed : talk).push(r.stdout, r.stderr);
      return r;
    };
    await run(['set', 'huggingface', 'token'], { input: canary }); // locked: exit 4
    await run(['unlock', '--passphrase-file', join(h.root, 'missing')]);
    const wrong = join(h.root, 'wrong');
    writeFileSync(wrong, `wrong ${h.passphrase}\n`, { mode: 0o600 });
    await run(['unlock', '--passphrase-file', wrong]);
    // Not in a CI job here (a runner's tracking id is all of its environment the agent takes: agent-ci-cleanup.test.ts).
    const noJob = { RUNNER_TRACKING_ID: undefined, VSTS_PROCESS_LOOKUP_ID: undefined, JENKINS_NODE_COOKIE: undefined, BUILD_ID: undefined };
    const unlocked = await run(['unlock', '--ttl', '5m', '--passphrase-file', h.passFile, '--json'], { env: noJob });
    expect(unlocked.code).toBe(0);
    const agentPid = JSON.parse(unlocked.stdout).pid as number;
    expect(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8')).toMatch(/^cpw-vault-agent/);
    expect(readFileSync(`/proc/${agentPid}/environ`, 'utf8')).toBe('');
    expect((await run(['set', 'huggingface', 'token'], { input: canary })).code).toBe(0);
    expect((await run(['set', 'custom', 'secret'], { input: custom })).code).toBe(0);
    await run(['set', 'tmdb', 'api_key'], { input: custom }); // format refused
    await run(['set', 'tmdb', 'api_key'], { input: `${custom}\nsecond line` }); // invalid
    await run(['set', 'tmdb', 'api_key'], { input: custom.repeat(400) }); // too long
    await run(['set', 'Bad Name', 'x'], { input: custom });
    await run(['set', 'custom', 'secret', custom]); // on argv: refused (and the watcher sees it only in this child, below)
    expect((await run(['get', 'custom', 'secret'], {}, true)).stdout).toBe(custom);
    expect((await run(['get', 'huggingface', 'token', '--json'], {}, true)).code).toBe(0);
    await run(['env', '--workflow', 'transcribe'], {}, true);
    for (const args of [['list'], ['list', '--json'], ['which', 'custom', 'secret'], ['which', '--all'], ['check', 'transcribe'], ['doctor', '--json'], ['runs']]) await run(args);
    const stage = 'process.exit(/^hf_cAnArY/.test(process.env.HF_TOKEN ?? "") ? 0 : 7)';
    expect((await run(['exec', '--workflow', 'transcribe', '--', process.execPath, '-e', stage])).code).toBe(0);
    const exportPass = join(h.root, 'export-pass');
    writeFileSync(exportPass, `export ${h.passphrase}\n`, { mode: 0o600 });
    expect((await run(['export', '--to', 'out.age', '--passphrase-file', exportPass])).code).toBe(0);
    // Import of that export (plan, then nothing to write: every value identical) and a switch to a keychain this host lacks (rolled back).
    expect((await run(['import', 'out.age', '--dry-run', '--passphrase-file', exportPass])).code).toBe(0);
    expect((await run(['import', 'out.age', '--yes', '--json', '--passphrase-file', exportPass])).code).toBe(0);
    expect((await run(['backend', 'use', 'keychain'])).code).not.toBe(0);
    expect((await run(['backend', '--json'])).stdout).toContain('"backend": "file"');
    expect((await run(['delete', 'custom', 'secret', '--yes'])).code).toBe(0);
    expect((await run(['lock'])).code).toBe(0);
    await run(['get', 'huggingface', 'token']); // locked again: exit 4
    argv.stop();

    for (const text of talk) for (const secret of [canary, custom, h.passphrase]) expect(text).not.toContain(secret);
    expect(allowed.join('')).toContain(canary);
    // Only the refused `set ... <value>` child ever had the value on its command line: the one put there by the test.
    expect([...argv.hits].filter((x) => !x.includes('set custom secret <NEEDLE>'))).toEqual([]);
    for (const secret of [canary, custom]) expect(filesContaining(h.root, secret)).toEqual([]);
    expect(filesContaining(h.root, h.passphrase).sort()).toEqual(['export-pass', 'pass.txt', 'wrong']);
    expect(readFileSync(join(h.home, '.cp-whisperx', 'audit.log'), 'utf8')).toContain('"event":"credentials_exported"');
  }, 600_000);
});
