// A process at its open-file limit (`ulimit -n`, here `prlimit --nofile`): what could not be opened for want of a
// descriptor was reported as something else. A file: "Cannot read PROFILE (EMFILE)" with the fix "Check that PROFILE
// exists and can be read". The keychain's socket: "there is no D-Bus session bus (no desktop session in this shell)",
// with a fix to start one and the offer of a vault file. A stage: "cannot start true: EMFILE", no fix. Each now says the limit was reached and how
// to raise it.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collect, fixture } from '../helpers/children';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const WHY = 'this process has as many files open as its limit allows (EMFILE)';
const FIX = 'Raise the limit (ulimit -n 1024 in the shell that runs it), then run the command again.';

describe('a command at its open-file limit', () => {
  it('the keychain, asked with no descriptor left: the limit and its fix, never "no D-Bus session bus"; asked again once some are free, it answers', async () => {
    const t = makeTempHome();
    const env = { ...process.env, HOME: t.home };
    const r = await collect(spawn('prlimit', ['--nofile=256', '--', process.execPath, fixture('descriptors-used-up')], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { taken: number; refused: { code: string; message: string; fix: string }; after: string };
    expect(out.taken).toBeGreaterThan(200);
    expect(out.refused).toEqual({ code: 'KEYCHAIN_UNAVAILABLE', message: `The keychain cannot be reached: ${WHY}.`, fix: FIX });
    expect(out.after).toBe('read: undefined'); // nothing stored under that service: the keychain answered
  });

  it('list, get and exec, at each limit from where Node starts: every EMFILE said with the limit and its fix, none as a missing file, bus or stage', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'Fd'.repeat(17)}` })).code).toBe(0);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const refused: string[] = [];
    // get over node:net's socket too (CPW_VAULT_DBUS=net, where the addon is not built): the addon's needs no descriptor
    // more than the reads before it, so at no limit is its socket the one refused; node:net's needs more.
    const runs: Array<[string[], Record<string, string>]> = [[['list'], {}], [['get', 'huggingface', 'token'], {}], [['get', 'huggingface', 'token'], { CPW_VAULT_DBUS: 'net' }], [['exec', '--workflow', 'transcribe', '--', 'true'], {}]];
    for (const [args, more] of runs) {
      // Below ~18 Node itself aborts before any code of ours runs; from some limit up every command passes.
      for (let n = 18, passed = 0; n <= 64 && passed < 3; n++) {
        const r = await collect(spawn('prlimit', [`--nofile=${n}`, '--', process.execPath, BIN, ...args], { cwd: t.cwd, env: { ...env, ...more }, stdio: ['ignore', 'pipe', 'pipe'] }));
        if (r.code === 0 && !r.stderr.includes('EMFILE')) passed++;
        else if (r.stderr.includes('EMFILE') && !r.stderr.includes('at Module._load')) refused.push(r.stderr);
      }
    }
    expect(refused.length).toBeGreaterThan(0);
    for (const stderr of refused) {
      expect(stderr).toContain(WHY);
      expect(stderr).not.toMatch(/exists and can be read|no D-Bus session bus|: EMFILE\n/);
      // The keychain is there: keeping the secrets in a file instead is no fix for it.
      expect(stderr).not.toContain('backend use file');
    }
    // The profile's read is among them (list at a limit just above Node's own needs), and the keychain's socket (get).
    expect(refused.some((s) => s.includes(`Cannot read ${t.home}`) && s.includes(`fix: ${FIX}`))).toBe(true);
    expect(refused.some((s) => s.includes(`The keychain cannot be reached: ${WHY}.\nfix: ${FIX}\n`))).toBe(true);
  });
});
