// A command behind another cpw-vault's lock says it is waiting (after a
// second), then goes on once the lock is free: it never looks hung for the
// 30 s it may wait, and never gives up while the holder lives.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { fixture } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'LockWait'.repeat(5)}`;

describe('a command waiting for the profile lock', () => {
  it('set says who it waits for, then stores the value once the holder is gone; the notice never holds the value', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Waiter'])).code).toBe(0);
    const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL')); // also when the test fails before it lets go
    const set = spawn(process.execPath, [BIN, 'set', 'huggingface', 'token'], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
    set.stdin.end(HF);
    let stderr = '';
    const told = new Promise<void>((resolve) => set.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), stderr.includes('waiting for') && resolve())));
    const code = new Promise<number | null>((resolve) => set.on('close', resolve));
    await told;
    expect(stderr).toMatch(new RegExp(`cpw-vault: waiting for process ${holder.pid} \\(since [^)]+\\) to release ${t.profile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.lock \\(at most \\d+ s more\\)\\.\\.\\.`));
    holder.kill('SIGKILL');
    expect(await code).toBe(0);
    expect(stderr).not.toContain(HF);
    expect(stderr.match(/waiting for/g)).toHaveLength(1);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(existsSync(`${t.profile}.lock`)).toBe(false);
    expect(readFileSync(t.profile, 'utf8')).toContain('huggingface.token');
  });
});
