// Options that mean something only beside another were accepted and ignored: `exec --timeout 5 -- job` set no limit
// on the stage (--timeout is the provider calls' deadline, with --verify), `get --identity-file F` without --team read
// nothing from F, and `exec --mask --no-mask` kept whichever came last. Each is refused now: exit 2, nothing done, the
// message naming the option it needs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const touch = ['--', 'sh', '-c', 'touch ran'];

describe('an option given without the one it needs', () => {
  it.each([
    ['exec --timeout', ['exec', '--workflow', 'subtitle', '--timeout', '5', ...touch], '--timeout works only with --verify'],
    ['check --timeout', ['check', 'subtitle', '--timeout', '5'], '--timeout works only with --verify'],
    ['get --identity-file', ['get', 'tmdb', 'api_key', '--identity-file', 'id.txt'], '--identity-file works only with --team'],
    ['which --identity-file', ['which', 'tmdb', 'api_key', '--identity-file', 'id.txt'], '--identity-file works only with --team'],
    ['exec --identity-file', ['exec', '--workflow', 'subtitle', '--identity-file', 'id.txt', ...touch], '--identity-file works only with --team'],
    ['exec --mask --no-mask', ['exec', '--workflow', 'subtitle', '--mask', '--no-mask', ...touch], '--mask and --no-mask are both given'],
  ])('%s: refused (exit 2, nothing run), naming what it needs', async (_name, args, message) => {
    const t = makeTempHome();
    const r = await cli(t, args, { env: { HF_TOKEN: `hf_${'Opti'.repeat(9)}`, TMDB_API_KEY: 'abcdefabcdefabcdefabcdefabcdef12' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error \\[INVALID_ARGUMENT\\] ${message.replace(/-/g, '\\-')}.*\\nfix: \\S`));
    expect(r.stdout).toBe('');
    expect(existsSync(join(t.cwd, 'ran'))).toBe(false);
  });

  it('--json: the refusal is one JSON document on stdout', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['check', 'subtitle', '--timeout', '5', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('INVALID_ARGUMENT');
  });

  it('with the option it needs, or one mask flag twice, it is taken', async () => {
    const t = makeTempHome();
    const env = { HF_TOKEN: `hf_${'Opti'.repeat(9)}`, TMDB_API_KEY: 'abcdefabcdefabcdefabcdefabcdef12' };
    expect((await cli(t, ['exec', '--workflow', 'subtitle', '--mask', '--mask', ...touch], { env })).code).toBe(0);
    expect(existsSync(join(t.cwd, 'ran'))).toBe(true);
    // The stage's own flags after -- are the stage's.
    expect((await cli(t, ['exec', '--workflow', 'subtitle', '--', 'sh', '-c', 'exit 0', '--timeout', '--no-mask'], { env })).code).toBe(0);
  });
});
