// Half of a UTF-16 pair (\ud800 written by a hand in the profile) in a label or the user's name: `set --label` and
// `profile set` refuse it, while a read took it, and every command showed it (`list --json` as "\ud800", which a
// reader's UTF-8 cannot hold; `profile show` as U+FFFD) with doctor finding nothing. A read now names the field.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Broken1'.repeat(6)}`;
const BROKEN = 'holds a broken character (half of a UTF-16 pair)';

describe('a hand-edited profile holding half of a UTF-16 pair', () => {
  it('list, list --json, doctor and profile show name the field and its fix, get and exec read on; the text the vault recorded is not trusted for it', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token', '--label', 'My token'], { input: HF })).code).toBe(0);
    // The shortcut is live: the text as written is recorded, and a read of exactly that text skips the schema.
    expect(existsSync(join(t.home, '.cp-whisperx', 'profile.checked'))).toBe(true);
    expect((await cli(t, ['list'])).code).toBe(0);
    const text = readFileSync(t.profile, 'utf8');
    writeFileSync(t.profile, text.replace('"My token"', '"My \\ud800 token"'));
    const label = `credential_metadata.huggingface.token.label ${BROKEN}`;
    for (const args of [['list'], ['list', '--json'], ['profile', 'show']]) {
      const r = await cli(t, args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toContain(`is not valid: ${label}.`);
      expect(r.stdout).not.toContain('\\ud800');
    }
    // `get` and `exec` print no label: a pipeline keeps its key, as with any field only doctor checks.
    expect(await cli(t, ['get', 'huggingface', 'token'])).toMatchObject({ code: 0, stdout: HF });
    expect(await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'test "$HF_TOKEN" = "$0"', HF])).toMatchObject({ code: 0 });
    const doctor = await cli(t, ['doctor']);
    expect(doctor.stderr).toContain(`is not valid: ${label}.\n    fix: Fix the fields named above in the profile file`);
    expect(doctor.stderr).toMatch(/^✗ profile .*\n.*\n    PROFILE_INVALID /);
    writeFileSync(t.profile, text.replace('"name": ""', '"name": "Ada \\udc00"'));
    const show = await cli(t, ['profile', 'show']);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain(`is not valid: user.name ${BROKEN}.`);
    // Put right, it reads again.
    writeFileSync(t.profile, text);
    expect((await cli(t, ['list', '--json'])).code).toBe(0);
  });
});
