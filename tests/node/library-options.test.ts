// openVault called from JavaScript as a stage's author writes it: no compiler checks the options object.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openVault } from '../../shared/node/open';
import { makeTempHome } from '../helpers/temp';

const TMDB = '0123456789abcdef0123456789abcdef';

/** openVault's answer: the VaultError's code and message, or 'opened'. */
async function attempt(options: unknown): Promise<{ code: string; message: string } | 'opened'> {
  try {
    (await openVault(options as Parameters<typeof openVault>[0])).close();
    return 'opened';
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? (err as Error).constructor.name, message: e.message };
  }
}

describe('openVault options', () => {
  it('a misspelt option is refused by name: the default profile is never opened in place of the one named', async () => {
    const t = makeTempHome();
    const env = { ...process.env, CPW_KEYCHAIN_SERVICE: t.service };
    const named = join(t.root, 'team', 'user.profile');
    const own = await openVault({ profilePath: named, homeDir: t.home, cwd: t.cwd, env, warn: () => {} });
    await own.setCredential('tmdb', 'api_key', TMDB);
    own.close();
    // `profile` for profilePath: the default profile in HOME was opened, where tmdb is not set.
    expect(await attempt({ profile: named, homeDir: t.home, cwd: t.cwd, env, warn: () => {} })).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'openVault has no option "profile".',
    });
    expect(existsSync(t.profile)).toBe(false);
  });

  it('options of the wrong type are refused, naming the option, never its value, before anything is opened', async () => {
    const t = makeTempHome();
    const base = { homeDir: t.home, cwd: t.cwd, env: { ...process.env, CPW_KEYCHAIN_SERVICE: t.service }, warn: () => {} };
    const cases: [unknown, string][] = [
      [null, 'openVault takes an options object; it was given null.'],
      ['/tmp/x.profile', 'openVault takes an options object; it was given a string.'],
      [{ ...base, keychainTimeoutMs: Number(undefined) }, "openVault's option keychainTimeoutMs must be a finite number above 0."],
      [{ ...base, profilePath: '' }, "openVault's option profilePath must be a path: a non-blank string (not empty, not only spaces), no NUL, at most 4096 characters."],
      [{ ...base, profilePath: '  ' }, "openVault's option profilePath must be a path: a non-blank string (not empty, not only spaces), no NUL, at most 4096 characters."],
      [{ ...base, profilePath: `/tmp/${'a'.repeat(1 << 20)}` }, "openVault's option profilePath must be a path: a non-blank string (not empty, not only spaces), no NUL, at most 4096 characters."],
      [{ ...base, profilePath: join(t.root, 'a\0b') }, "openVault's option profilePath must be a path: a non-blank string (not empty, not only spaces), no NUL, at most 4096 characters."],
      [{ ...base, warn: 'console' }, "openVault's option warn must be a function."],
      [{ ...base, env: { HF_TOKEN: 5 } }, "openVault's option env must map names to strings, as process.env does."],
      [{ ...base, caller: 'constructor' }, "openVault's option caller must be one of: cli, app, library."],
      [JSON.parse('{"__proto__": {"profilePath": "/tmp/elsewhere.profile"}}'), 'openVault has no option "__proto__".'],
      [{ ...base, [`x${'y'.repeat(1 << 20)}`]: 1 }, 'openVault was given a property that is none of its options (its name is not shown).'],
    ];
    for (const [options, message] of cases) expect(await attempt(options)).toEqual({ code: 'INVALID_ARGUMENT', message });
    // An option left undefined is no option set: the defaults, as before.
    expect(await attempt({ ...base, profilePath: undefined })).toBe('opened');
  });

  // Only the object's own properties are read (a polluted Object.prototype must not choose the profile), so an option
  // it inherits, from a class's getter or Object.create(defaults), was dropped without a word: the default profile
  // opened in place of the one named, as with a misspelt option.
  it('an option the object inherits (a class getter, Object.create) is refused by name, never dropped', async () => {
    const t = makeTempHome();
    const base = { homeDir: t.home, cwd: t.cwd, env: { ...process.env, CPW_KEYCHAIN_SERVICE: t.service }, warn: () => {} };
    const named = join(t.root, 'team', 'user.profile');
    class StageOptions {
      get profilePath(): string {
        return named;
      }
    }
    const message = "openVault's option profilePath is inherited (a getter of its class, or its prototype's), not the options object's own, and openVault reads only its own: copy it into a plain object, e.g. { profilePath: options.profilePath }.";
    for (const options of [Object.assign(new StageOptions(), base), Object.assign(Object.create({ profilePath: named }) as object, base)]) {
      expect(await attempt(options)).toEqual({ code: 'INVALID_ARGUMENT', message });
    }
    expect(existsSync(t.profile)).toBe(false);
  });

  it('a CPW_PROFILE of spaces only is refused naming it, nothing written; CPW_PROFILE= (empty) is unset: the default profile', async () => {
    const t = makeTempHome();
    const base = { homeDir: t.home, cwd: t.cwd, warn: () => {} };
    const env = { ...process.env, CPW_KEYCHAIN_SERVICE: t.service };
    const own = await openVault({ ...base, env });
    await own.setCredential('tmdb', 'api_key', TMDB);
    own.close();
    // Resolved as a path, ' ' was a profile named by its spaces in the working directory.
    expect(await attempt({ ...base, env: { ...env, CPW_PROFILE: ' ' } })).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'CPW_PROFILE is only spaces: it names no profile file, so nothing was read or written (the default profile is not used in its place).',
    });
    expect(readdirSync(t.cwd)).toEqual([]);
    // Empty is unset, as every variable cpw-vault reads (README): the default profile, where tmdb is set.
    const vault = await openVault({ ...base, env: { ...env, CPW_PROFILE: '' } });
    expect((await vault.getCredential('tmdb', 'api_key')).value === TMDB, "the default profile's value").toBe(true);
    vault.close();
  });
});
