// A value holding a C1 control (U+009B, the one-character ESC [) or a text-direction mark was stored with --force,
// imported from an export or a teammate's team file, and then printed as it is by `get` and `env` on a terminal,
// where U+009B starts an escape sequence as ESC [ does. The one value rule refused only C0 controls and DEL.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const KEY = '0123456789abcdef';
const BAD: Array<[string, string]> = [
  ['C1 CSI', `${KEY}\u009b31mred${KEY}`],
  ['C1 NEL', `${KEY}\u0085${KEY}`],
  ['right-to-left override', `${KEY}\u202e${KEY}`],
  ['isolate', `${KEY}\u2066${KEY}`],
  ['line separator', `${KEY}\u2028${KEY}`],
];

describe('the one value rule: C1 controls and text-direction marks', () => {
  it.each(BAD)('set --force of a value with a %s: CREDENTIAL_INVALID (exit 2), nothing stored, the value never echoed', async (_what, value) => {
    const t = makeTempHome();
    const r = await cli(t, ['set', 'deepl', 'api_key', '--force'], { input: value });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('CREDENTIAL_INVALID');
    expect(r.stderr).toContain('contains a line break, a control character or a text-direction mark');
    expect(r.stderr).not.toContain(KEY);
    expect((await cli(t, ['get', 'deepl', 'api_key'])).code).toBe(3);
  });

  it('migrate --dry-run names the entry and the rule, and plans the others; right-to-left letters are text and pass', async () => {
    const t = makeTempHome();
    const env = join(t.cwd, '.env');
    writeFileSync(env, `DEEPL_API_KEY=${KEY}\u009b2J${KEY}\nOPENAI_API_KEY=sk-${'a1'.repeat(24)}\nMY_SVC_TOKEN=${KEY}\u05d0\u05d1${KEY}\n`, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', env, '--dry-run', '--json', '--include-unknown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(KEY);
    const rows = (JSON.parse(r.stdout) as { plan: { rows: Array<{ target: string; action: string; apply: boolean; reason?: string }> } }).plan.rows;
    const row = (target: string) => rows.find((x) => x.target === target);
    expect(row('deepl.api_key')).toMatchObject({ action: 'invalid', reason: 'contains a line break, a control character or a text-direction mark' });
    expect(row('openai.api_key')).toMatchObject({ action: 'import', apply: true });
    expect(row('my_svc.token')).toMatchObject({ apply: true });
  });
});
