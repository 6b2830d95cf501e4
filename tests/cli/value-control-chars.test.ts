// A value holding a C1 control (U+009B, the one-character ESC [) or a text-direction mark was stored with --force,
// imported from an export or a teammate's team file, and then printed as it is by `get` and `env` on a terminal,
// where U+009B starts an escape sequence as ESC [ does. The one value rule refused only C0 controls and DEL.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const KEY = '0123456789abcdef';
// What is said: which kind, its code point and where (it said "a line break, a control character or a text-direction
// mark" for all, leaving the user to search the file for an invisible character of one of three kinds).
const BAD: Array<[string, string, string]> = [
  ['C1 CSI', `${KEY}\u009b31mred${KEY}`, 'contains a control character (U+009B) at character 17'],
  ['C1 NEL', `${KEY}\u0085${KEY}`, 'contains a line break (U+0085) at character 17'],
  ['right-to-left override', `${KEY}\u202e${KEY}`, 'contains a text-direction mark (U+202E) at character 17'],
  ['isolate', `🔑${KEY}\u2066${KEY}`, 'contains a text-direction mark (U+2066) at character 18'], // counted in characters: the emoji is one
  ['line separator', `${KEY}\u2028${KEY}`, 'contains a line break (U+2028) at character 17'],
];

describe('the one value rule: C1 controls and text-direction marks', () => {
  it.each(BAD)('set --force of a value with a %s: CREDENTIAL_INVALID (exit 2) naming the character and where, nothing stored, the value never echoed', async (_what, value, said) => {
    const t = makeTempHome();
    const r = await cli(t, ['set', 'deepl', 'api_key', '--force'], { input: value });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('CREDENTIAL_INVALID');
    expect(r.stderr).toContain(`The value for deepl.api_key ${said}.`);
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
    expect(row('deepl.api_key')).toMatchObject({ action: 'invalid', reason: 'contains a control character (U+009B) at character 17' });
    expect(row('openai.api_key')).toMatchObject({ action: 'import', apply: true });
    expect(row('my_svc.token')).toMatchObject({ apply: true });
  });
});
