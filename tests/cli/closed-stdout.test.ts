// A reader that goes away (`cpw-vault runs | head -1`, `list | grep -q hf`) is
// ordinary shell use, not a bug: the output just stops. Seen as a new user:
// every such command printed "error [INTERNAL] ... EPIPE ... This is a bug in
// cpw-vault" (or "cpw-vault: internal error") and exited 1.
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Pipe'.repeat(9)}`;

/** Runs cpw-vault with its stdout a pipe whose reading end is closed before the command writes anything. */
function withClosedStdout(t: TempHome, args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
  // Closed at once, long before node has started in the child: every write it makes meets EPIPE.
  child.stdout.destroy();
  return collect(child, '');
}

describe('stdout closed by its reader', () => {
  it.each([
    ['list', ['list'], 0],
    ['list --json', ['list', '--json'], 0],
    ['which --all', ['which', '--all'], 0],
    ['get', ['get', 'huggingface', 'token'], 0],
    ['env', ['env', '--workflow', 'transcribe'], 0],
    ['check --json', ['check', 'transcribe', '--json'], 0],
    ['profile show', ['profile', 'show'], 0],
    ['runs', ['runs'], 0],
    ['runs stats', ['runs', 'stats'], 0],
    ['doctor --json', ['doctor', '--json'], 0],
    ['--help', ['--help'], 0],
    ['get of a missing key (an error with --json)', ['get', 'tmdb', 'api_key', '--json'], 3],
  ])('%s: no internal error, the exit code of the command', async (_name, args, code) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const r = await withClosedStdout(t, args as string[]);
    expect(r.stderr).not.toMatch(/INTERNAL|internal error|EPIPE|bug in cpw-vault/);
    expect(r.code, r.stderr).toBe(code);
  });
});

describe('stdout on a full disk (/dev/full)', () => {
  // Found by the attack pass: the same commands said "cpw-vault: internal error", or INTERNAL "This is a bug", and a
  // --json one tried to write its error document to the full disk too.
  it.each([
    ['get', ['get', 'huggingface', 'token']],
    ['list', ['list']],
    ['list --json', ['list', '--json']],
    ['runs --json', ['runs', '--json']],
    ['profile show', ['profile', 'show']],
    ['--help', ['--help']],
  ])('%s: IO_ERROR on stderr, exit 1, no internal error', async (_name, args) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const r = await collect(spawn('sh', ['-c', '"$0" "$@" > /dev/full', process.execPath, BIN, ...args], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'] }), '');
    expect(r.stderr).not.toMatch(/INTERNAL|internal error|bug in cpw-vault/);
    expect(r.stderr).toBe('error [IO_ERROR] The output could not be written (ENOSPC): it is incomplete.\nfix: Free space on the disk the output goes to, or send it elsewhere.\n');
    expect(r.code).toBe(1);
  });
});

describe('stdout and stderr on one pipe (`2>&1 |`), its reader slow', () => {
  // Node's stderr stream makes that shared pipe non-blocking: a full pipe then took 64 KiB of a write and the rest
  // was dropped, exit 0 (a 2,000-key plan cut mid-row). Each stream must come through whole.
  it('a 2,000-row migrate plan after a warning on stderr: every row, the summary and the warning', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Pipe Test'])).code).toBe(0);
    chmodSync(t.profile, 0o644); // a warning on stderr before any output
    const keys = Array.from({ length: 2000 }, (_, i) => `CUSTOM_SERVICE_${i}_API_KEY=value-number-${i}-of-a-long-plan`);
    writeFileSync(join(t.cwd, 'big.env'), `${keys.join('\n')}\n`);
    const out = join(t.cwd, 'out');
    const line = '"$0" "$1" migrate --dry-run --from big.env --include-unknown 2>&1 | { sleep 1; cat > "$2"; }';
    const r = await collect(spawn('sh', ['-c', line, process.execPath, BIN, out], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } }), '');
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.length, text.slice(0, 2000)).toBeGreaterThan(200_000);
    expect(text).toContain('is readable by other users');
    for (const i of [0, 999, 1999]) expect(text).toContain(`CUSTOM_SERVICE_${i}_API_KEY`);
    expect(text).toMatch(/2000 to write; 0 identical/);
    expect(text).toContain('Dry run: nothing was changed.');
  }, 60_000);
});
