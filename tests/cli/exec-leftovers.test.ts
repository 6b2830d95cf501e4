// The pipes' folders of an exec killed -9 in the few milliseconds they exist:
// nothing removed them (3 of 40 random kill -9s left one, some with a FIFO).
// A later exec removes them, and only them. (FIFOs: exec starting its stages with Node's spawn, FIFO_EXEC.)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipesFolderPrefix } from '../../shared/node/exec/pipe-leftovers';
import { collect } from '../helpers/children';
import { FIFO_EXEC, mkfifoAtWork, noPool, POOL } from '../helpers/pipe-pool';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { theTracedCli } from '../helpers/traced';

const HF = `hf_${'Left'.repeat(9)}`;

async function ready(): Promise<{ t: TempHome; tmp: string; exec: (env?: Record<string, string>) => Promise<void> }> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  const tmp = join(t.root, 'tmp');
  mkdirSync(tmp, { mode: 0o700 });
  // stdout and stderr are pipes here: masked, so exec makes its FIFOs (and removes leftovers).
  const exec = async () => {
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'echo "$HF_TOKEN"'], { env: { TMPDIR: tmp, ...FIFO_EXEC } });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '****\n', '']);
  };
  return { t, tmp, exec };
}

/** A pid that is certainly dead: a child that has exited and been reaped. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

/** A folder as exec makes one (mode 0700) at `path`, holding FIFOs `fifos`. */
function folder(path: string, fifos: string[] = ['out'], mode = 0o700): string {
  mkdirSync(path);
  chmodSync(path, mode);
  for (const f of fifos) expect(spawnSync('mkfifo', ['-m', '600', join(path, f)]).status).toBe(0);
  return path;
}

const leftovers = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('cpw-vault-exec-'));
const HOUR_AGO = (Date.now() - 2 * 3600_000) / 1000;

describe('exec: pipes folders left by a killed exec', () => {
  it('are removed by the next exec when their exec is gone; a live one, a symlink, a 0755, another user\'s or another name are left', async () => {
    const { t, tmp, exec } = await ready();
    const dead = deadPid();
    const gone = [
      folder(`${pipesFolderPrefix(tmp, dead, '4242')}Aa11Bb`),
      folder(`${pipesFolderPrefix(tmp, deadPid(), '4242')}Cc22Dd`, ['out', 'err']),
      folder(`${pipesFolderPrefix(tmp, deadPid(), '4242')}Ee33Ff`, []),
      // The pid alive, but another process's since (it started later than the exec that made the folder).
      folder(`${pipesFolderPrefix(tmp, process.pid, '1')}Gg44Hh`, ['both']),
      // Of a version that named no exec, or of another place (a container sharing TMPDIR): gone once an hour old.
      folder(join(tmp, 'cpw-vault-exec-Ii55Jj')),
      folder(join(tmp, 'cpw-vault-exec-1234.99.0123456789abcdefn1-Kk66Ll')),
    ];
    for (const old of gone.slice(-2)) utimesSync(old, HOUR_AGO, HOUR_AGO);
    const elsewhere = folder(join(t.root, 'elsewhere'), ['out']);
    writeFileSync(join(elsewhere, 'keep'), 'x');
    const kept = [
      // This (live) process's own, its start as recorded.
      folder(`${pipesFolderPrefix(tmp)}Mm77Nn`),
      folder(`${pipesFolderPrefix(tmp, dead, '4242')}Oo88Pp`, ['out'], 0o755),
      // Something besides the FIFOs in it: not exec's to remove.
      folder(`${pipesFolderPrefix(tmp, dead, '4242')}Qq99Rr`, ['out', 'notes']),
      folder(join(tmp, 'cpw-vault-exec-Ss00Tt')),
      folder(join(tmp, 'cpw-vault-exec-1234.99.0123456789abcdefn1-Uu11Vv')),
      folder(`${pipesFolderPrefix(tmp, dead, '4242')}Ww22Xx-more`),
      folder(join(tmp, 'cpw-vault-exec')),
      folder(join(tmp, 'not-cpw-vault-exec-Yy33Zz')),
    ];
    for (const old of kept.slice(-3)) utimesSync(old, HOUR_AGO, HOUR_AGO);
    const link = `${pipesFolderPrefix(tmp, dead, '4242')}Ab12Cd`;
    symlinkSync(elsewhere, link);
    const regularFile = `${pipesFolderPrefix(tmp, dead, '4242')}Ef34Gh`;
    writeFileSync(regularFile, '');
    kept.push(link, regularFile);
    if (process.getuid?.() === 0) {
      const theirs = folder(`${pipesFolderPrefix(tmp, dead, '4242')}Ij56Kl`);
      chownSync(theirs, 65534, 65534);
      kept.push(theirs);
    }
    await exec();
    // Besides the pool of spare FIFOs exec made (pipe-pool.ts).
    expect(readdirSync(tmp).sort()).toEqual([...kept.map((k) => basename(k)), POOL].sort());
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(elsewhere).sort()).toEqual(['keep', 'out']);
    expect(lstatSync(join(kept[2]!, 'out')).isFIFO()).toBe(true);
  });

  it('after kill -9s of exec at random instants and while its pipes are made, one more exec leaves none', async () => {
    const { t, tmp, exec } = await ready();
    // The private folders of exec's own (its pool unusable here): the pool's leftovers are exec-pipe-pool.test.ts's.
    noPool(tmp);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TMPDIR: tmp, ...FIFO_EXEC };
    const args = [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'echo "$HF_TOKEN"'];
    // At random instants, as the tester did; each may or may not land in the window.
    for (let i = 0; i < 8; i++) {
      const child = spawn(process.execPath, args, { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, '');
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      child.kill('SIGKILL');
      await done;
    }
    // A mkfifo that an exec killed at random started may still be at work in its folder: let it finish.
    while (mkfifoAtWork(tmp)) await new Promise((r) => setTimeout(r, 5));
    // Surely in the window: mkfifo held by strace after making the first FIFO, exec killed once it is there.
    const made = leftovers(tmp).length;
    for (let i = 0; i < 3; i++) {
      const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=mknod,mknodat', '-e', 'inject=mknod,mknodat:delay_exit=1000000:when=1', process.execPath, ...args], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, '');
      let exited = false;
      void done.then(() => (exited = true));
      const before = new Set(leftovers(tmp));
      const fifoMade = () => leftovers(tmp).some((d) => !before.has(d) && existsSync(join(tmp, d, 'out')));
      while (!exited && !fifoMade()) await new Promise((r) => setTimeout(r, 5));
      expect(exited, 'exec ended before its pipes were made').toBe(false);
      process.kill(theTracedCli(child.pid!), 'SIGKILL');
      // strace ends with the last of its tracees: mkfifo, done with the folder.
      await done;
    }
    expect(leftovers(tmp).length).toBeGreaterThanOrEqual(made + 3);
    await exec();
    expect(readdirSync(tmp)).toEqual([POOL]);
  });
});
