// A process at its open-file limit (`ulimit -n`, here `prlimit --nofile`): a file that could not be opened for want of
// a descriptor said "Cannot read PROFILE (EMFILE)" with the fix "Check that PROFILE exists and can be read", sending
// the user after a file that was there all along. Where Node itself runs out first (its startup needs ~16
// descriptors) it aborts before any code of ours: the limits tried start above that and go up until one passes.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

describe('a command at its open-file limit', () => {
  it('says the limit was reached and how to raise it, never to check that the file exists', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'Fd'.repeat(17)}` })).code).toBe(0);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const refused: string[] = [];
    for (let n = 18; n <= 64; n++) {
      const r = await collect(spawn('prlimit', [`--nofile=${n}`, '--', process.execPath, BIN, 'list'], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
      if (r.code === 0) break;
      if (!r.stderr.includes('EMFILE')) continue; // Node's own abort, before the CLI ran
      refused.push(r.stderr);
      expect(r.code).toBe(1);
    }
    expect(refused.length).toBeGreaterThan(0);
    for (const stderr of refused) {
      expect(stderr).toContain('as many files open as its limit allows (EMFILE)');
      expect(stderr).toContain('fix: Raise the limit (ulimit -n 1024 in the shell that runs it), then run the command again.');
      expect(stderr).not.toContain('exists and can be read');
    }
  });
});
