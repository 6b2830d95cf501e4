// SIGUSR1 makes Node start its inspector: an unauthenticated debugger on 127.0.0.1 that any local user can attach to
// and read the secrets a long-running stage holds. The CLI refuses it itself; the library offers it as an opt-in.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');

/** A stage that imports the library, calls refuseInspectorSignal() or not, says ready, then idles or spins. */
function startStage(mode: 'refuse' | 'refuse-busy' | 'control') {
  const script = join(makeTempHome().root, 'stage.mjs');
  writeFileSync(script, `
    import { refuseInspectorSignal } from ${JSON.stringify(LIBRARY)};
    const mode = process.argv[2];
    if (mode !== 'control') refuseInspectorSignal();
    process.stdout.write('ready\\n', () => { if (mode === 'refuse-busy') for (;;); });
    setInterval(() => {}, 1000);
  `);
  // Port 0: the control's inspector takes a free port, never the machine's 9229.
  const child = spawn(process.execPath, ['--inspect-port=0', script, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(child);
  const ready = new Promise<void>((res) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res()));
  let stderr = '';
  const listening = new Promise<'listening'>((res) => child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()).includes('Debugger listening') && res('listening')));
  return { child, done, ready, listening };
}

describe('refuseInspectorSignal()', () => {
  it.each([['idle', 'refuse'], ['busy in a loop', 'refuse-busy']] as const)('a stage that called it (%s) is ended by SIGUSR1, and no debugger ever listens', async (_name, mode) => {
    const { child, done, ready, listening } = startStage(mode);
    await ready;
    child.kill('SIGUSR1');
    // Whichever comes first: the stage's end, or a debugger listening (then the stage would run on).
    const first = await Promise.race([done.then(() => 'ended'), listening]);
    if (first === 'listening') child.kill('SIGKILL');
    const r = await done;
    expect(first).toBe('ended');
    expect(r.signal).toBe('SIGUSR1');
    expect(r.stderr).not.toContain('Debugger listening');
  });

  it('without it (the control), SIGUSR1 starts the inspector and the stage runs on', async () => {
    const { child, done, ready, listening } = startStage('control');
    await ready;
    child.kill('SIGUSR1');
    await listening;
    expect(child.exitCode).toBe(null);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
  });
});
