// A command reading a value from stdin whose writer never writes nor closes (`set huggingface token < <(sleep 1000)`, a
// pipe a script left open): a Ctrl-C or SIGTERM ended it by the signal's default action, with no word and no 130/143,
// unlike every other command. Now "cancelled: nothing changed", 130 (143), nothing stored. The test holds the pipe's
// writer open and signals the command once it waits on its stdin.
import { describe, expect, it } from 'vitest';
import { cli, keychainValues } from '../helpers/cli';
import { withStdinHeld } from '../helpers/stdin-held';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'HeldStdin'.repeat(4)}`;
const env = (t: TempHome) => ({ ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service });

/** Runs `args` on a held stdin (given `written` first), signals it once it waits there, and returns how it ended. */
async function signalledWhileReading(t: TempHome, args: string[], signal: NodeJS.Signals, written = '') {
  const run = withStdinHeld(t.cwd, env(t), args, written);
  await run.waiting;
  run.child.kill(signal);
  return run.done;
}

describe('a signal while a command reads its value from a stdin that never ends', () => {
  it.each([
    ['SIGINT', 130, ''],
    ['SIGTERM', 143, ''],
    ['SIGINT', 130, 'hf_a_value_half_wri'], // the writer wrote part of it and never closed
  ] as const)('set, %s: "cancelled: nothing changed", exit %i, the stored value kept (stdin given %j)', async (signal, code, written) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const before = await keychainValues(t);
    const r = await signalledWhileReading(t, ['set', 'huggingface', 'token', '--force'], signal, written);
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code, signal: null });
    expect(r.stderr).toBe('cancelled: nothing changed\n');
    expect(await keychainValues(t)).toEqual(before);
  }, 60_000);

  it('set of a value not stored yet, Ctrl-C: cancelled, nothing stored', async () => {
    const t = makeTempHome();
    const r = await signalledWhileReading(t, ['set', 'tmdb', 'api_key'], 'SIGINT');
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
    expect(r.stderr).toBe('cancelled: nothing changed\n');
    expect(await keychainValues(t)).toEqual({});
  }, 60_000);

  it('team identity --import -, Ctrl-C: cancelled, exit 130, the identity kept', async () => {
    const t = makeTempHome();
    const identity = await cli(t, ['team', 'identity']);
    expect(identity.code, identity.stderr).toBe(0);
    const r = await signalledWhileReading(t, ['team', 'identity', '--import', '-'], 'SIGINT', '# created: 2026-01-01\n');
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
    expect(r.stderr).toBe('cancelled: nothing changed\n');
    expect((await cli(t, ['team', 'identity'])).stdout).toBe(identity.stdout);
  }, 60_000);

  it.each(['get', 'store'])('git-credential %s, SIGTERM before the request ends: cancelled, exit 143, nothing answered or stored', async (operation) => {
    const t = makeTempHome();
    const r = await signalledWhileReading(t, ['git-credential', operation], 'SIGTERM', `protocol=https\nhost=huggingface.co\nusername=u\npassword=${HF}\n`);
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 143, signal: null });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('cancelled: nothing changed\n');
    expect(await keychainValues(t)).toEqual({});
  }, 60_000);
});
