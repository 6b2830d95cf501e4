import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, cliFromEndlessPipe, keychainValues } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** `cpw-vault ...args <&-`: stdin closed, as a caller that gave none leaves it. */
function withClosedStdin(t: TempHome, args: string[]) {
  const r = spawnSync('sh', ['-c', '"$0" "$@" <&-', process.execPath, BIN, ...args], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const IMPORT_FIX = 'fix: Pipe the file written by age-keygen (cpw-vault team identity --import - < key.txt), or give its path: --import key.txt\n';

// The reader of stdin said set's words for every command: "nothing to read the value from" to `team identity --import
// -`, whose 64 KiB check came only after reading stdin whole (`cat /dev/zero |` grew until memory ran out).
describe('team identity --import -: its own words for a stdin it cannot use, and nothing changed', () => {
  let t: TempHome;
  let recipient: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    t = makeTempHome();
    const made = await cli(t, ['team', 'identity']);
    expect(made.code, made.stderr).toBe(0);
    recipient = made.stdout.trim();
    before = await keychainValues(t);
  });
  afterAll(async () => {
    // Each refusal left the identity as it was.
    expect((await cli(t, ['team', 'identity'])).stdout.trim()).toBe(recipient);
    expect(await keychainValues(t)).toEqual(before);
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  });

  it('a closed stdin (<&-) is said as such, for an identity file, not a value', () => {
    const r = withClosedStdin(t, ['team', 'identity', '--import', '-']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`error [INVALID_ARGUMENT] stdin is closed (a \`<&-\` redirect, or a caller that gave none): there is no identity file to import from it; nothing was imported.\n${IMPORT_FIX}`);
  });

  it('more than 64 KiB is refused as no identity file', async () => {
    const r = await cli(t, ['team', 'identity', '--import', '-'], { input: '#'.repeat(64 * 1024 + 1) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`error [INVALID_ARGUMENT] stdin holds more than 65536 bytes: an identity file is a few lines, so this is not one; nothing was imported.\n${IMPORT_FIX}`);
  });

  it('cat /dev/zero | ... is refused at once, its memory bounded', async () => {
    const r = await cliFromEndlessPipe(t, ['team', 'identity', '--import', '-']);
    expect(r.stopped, 'reading /dev/zero').toBeUndefined();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('stdin holds more than 65536 bytes: an identity file is a few lines');
  });
});

describe('set from an endless pipe', () => {
  it('cat /dev/zero | set ... is refused at once, its memory bounded; nothing stored', async () => {
    const t = makeTempHome();
    const r = await cliFromEndlessPipe(t, ['set', 'tmdb', 'api_key', '--force']);
    expect(r.stopped, 'reading /dev/zero').toBeUndefined();
    expect(r.stderr).toBe('error [CREDENTIAL_INVALID] stdin holds more than 65536 bytes, over the 8192-character limit of a value; nothing was stored.\nfix: Check that you piped only the key.\n');
    expect(await keychainValues(t)).toEqual({});
  });
});

// Its memory was bounded (a request's bytes past 64 KiB are dropped), but a stdin without the blank line that ends a
// request was read for ever, at full speed. A 100 MB request is still read to its end (git-credential.test.ts).
describe('git-credential from an endless pipe', () => {
  it.each(['get', 'store'])('cat /dev/zero | git-credential %s ends, refused as no request from git; nothing changed', async (operation) => {
    const t = makeTempHome();
    const r = await cliFromEndlessPipe(t, ['git-credential', operation]);
    expect(r.stopped, 'reading /dev/zero').toBeUndefined();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error [INVALID_ARGUMENT] stdin ran on past 268435456 bytes without the blank line that ends a credential request: it is not one from git; nothing was answered or changed.\nfix: git runs this helper itself; by hand, type the request (protocol=https, host=huggingface.co) and end it with a blank line. To install it for git: cpw-vault git-credential config\n');
    expect(await keychainValues(t)).toEqual({});
  });
});

// Started by `unlock` with one JSON line; run by hand with a stdin that has no line end, it read until memory ran out.
describe('the unlock agent from an endless pipe', () => {
  it('node dist/agent.cjs < an endless pipe: refused, ready false, its memory bounded', async () => {
    const t = makeTempHome();
    const r = await cliFromEndlessPipe(t, [], resolve(dirname(BIN), '..', 'dist', 'agent.cjs'));
    expect(r.stopped, 'reading /dev/zero').toBeUndefined();
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ ready: false, code: 'INVALID_ARGUMENT', message: "The unlock agent's stdin ran on past 1048576 bytes without the end of its configuration line: it was not started by cpw-vault unlock.", fix: 'Start it with: cpw-vault unlock' });
  });
});
