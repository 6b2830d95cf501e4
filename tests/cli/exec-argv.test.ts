// exec's stage command given without `--`: what follows its first word is the stage's. Options there were taken as
// exec's (`exec --workflow W echo x --no-history` gave the stage `x` and recorded no run) or refused as unknown
// (`sh -c '...'`: "unknown option '-c'", not naming `--`).
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'ExecArgv1'.repeat(4)}`;

describe('exec: the stage command without --', () => {
  it("keeps every word after the command's first for the stage, options included; exec's own go before it", async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const runs = async () => (JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs as unknown[]).length;
    const echo = await cli(t, ['exec', '--workflow', 'transcribe', 'echo', 'x', '--no-history', '--with', 'tmdb.api_key']);
    expect([echo.code, echo.stdout], echo.stderr).toEqual([0, 'x --no-history --with tmdb.api_key\n']);
    expect(await runs()).toBe(1); // --no-history was the stage's: the run is recorded
    const sh = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', 'sh', '-c', 'echo "[$1] $HF_TOKEN"', '_', '--mask']);
    expect([sh.code, sh.stdout], sh.stderr).toEqual([0, `[--mask] ${HF}\n`]);
    // Before the command, they are exec's: this run is not recorded.
    const own = await cli(t, ['exec', '--workflow', 'transcribe', '--no-history', 'echo', 'y']);
    expect([own.code, own.stdout], own.stderr).toEqual([0, 'y\n']);
    expect(await runs()).toBe(2);
    // `--profile` after the subcommand is still the command's; with `--` as before.
    const dashed = await cli(t, ['exec', '--profile', t.profile, '--workflow', 'transcribe', '--', 'echo', '--no-history']);
    expect([dashed.code, dashed.stdout], dashed.stderr).toEqual([0, '--no-history\n']);
    expect((await cli(t, ['get', 'huggingface', 'token', '--profile', t.profile])).stdout).toBe(HF);
  });
});
