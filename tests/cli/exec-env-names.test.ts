// The stage's environment is the parent's, variable for variable, whatever the variables are called: names that are
// also the names of Object.prototype's members are ordinary variables to a shell.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Name'.repeat(9)}`;

describe('exec: the parent environment the stage gets', () => {
  // `__proto__=x` went through the environment cpw-vault read but not into the stage's: the child's environment was
  // built in a plain object, where an assignment to `__proto__` sets the object's prototype (a string: ignored).
  it('passes on variables named __proto__, constructor, toString, hasOwnProperty and valueOf, injects the workflow\'s, strips the others\'', () => {
    const t = makeTempHome();
    const assignments = ['__proto__=p', 'constructor=c', 'toString=t', 'hasOwnProperty=h', 'valueOf=v'];
    const r = spawnSync('env', [...assignments, `HF_TOKEN=${HF}`, 'OPENAI_API_KEY=sk-other', 'KEPT=1', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--no-mask', '--', 'env'], {
      cwd: t.cwd,
      env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const line of assignments) expect(lines, line).toContain(line);
    expect(lines).toContain('KEPT=1');
    expect(lines).toContain(`HUGGING_FACE_HUB_TOKEN=${HF}`);
    expect(lines.filter((l) => l.startsWith('OPENAI_API_KEY='))).toEqual([]);
  });
});
