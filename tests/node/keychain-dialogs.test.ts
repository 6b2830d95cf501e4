// The keychain dialog policy (who can answer a provider's dialog, how long it
// is waited for) and what doctor says about a provider.
import { describe, expect, it } from 'vitest';
import { DEFAULT_DIALOG_WAIT_MS, dialogWaitMs, personCanAnswer, terminalDialogs } from '../../shared/node/secrets/dialogs';
import { describeProvider, providerWarnings, type ProviderInfo } from '../../shared/node/secrets/provider';
import { childEnv } from '../../shared/node/exec/child-env';
import { appKeychainDialogs } from '../../electron/main/keychain-dialogs';

const KPX = (version?: string): [ProviderInfo, string | undefined] => [{ label: 'KeePassXC', executable: 'keepassxc', pid: 1, activated: false }, version];

describe('who can answer a keychain dialog', () => {
  it('a person at a terminal, not CI, not a stage under exec', () => {
    expect(personCanAnswer({}, true)).toBe(true);
    expect(personCanAnswer({}, false)).toBe(false);
    expect(personCanAnswer({ CI: 'true' }, true)).toBe(false);
    expect(personCanAnswer({ CI: 'false' }, true)).toBe(true);
    expect(personCanAnswer({ CPW_VAULT_STAGE: '1' }, true)).toBe(false);
  });

  it('every stage exec starts is marked, so a cpw-vault inside it never waits 60 s for a dialog', () => {
    const { env } = childEnv({ parent: { PATH: '/bin' }, injected: {}, uses: [], carriers: new Map(), inheritSecrets: false, preferences: { ai_provider: 'openai', default_source_language: 'auto', enable_cost_tracking: false } });
    expect(env['CPW_VAULT_STAGE']).toBe('1');
    expect(terminalDialogs(env, true, () => {})).toBeUndefined();
  });

  it('the wait: 60 s, or CPW_KEYCHAIN_DIALOG_TIMEOUT seconds (1-3600); nonsense falls back to 60 s', () => {
    expect(DEFAULT_DIALOG_WAIT_MS).toBe(60_000);
    expect(dialogWaitMs({})).toBe(60_000);
    expect(dialogWaitMs({ CPW_KEYCHAIN_DIALOG_TIMEOUT: '5' })).toBe(5_000);
    expect(dialogWaitMs({ CPW_KEYCHAIN_DIALOG_TIMEOUT: '0.5' })).toBe(60_000);
    for (const bad of ['', 'abc', '-3', '1e9', 'Infinity']) expect(dialogWaitMs({ CPW_KEYCHAIN_DIALOG_TIMEOUT: bad })).toBe(60_000);
  });

  it('the terminal notice goes to stderr as one line; the app notifies on the desktop', () => {
    const lines: string[] = [];
    terminalDialogs({}, true, (t) => lines.push(t))!.notify('waiting for KeePassXC: answer its unlock dialog (up to 60 s)…');
    expect(lines).toEqual(['waiting for KeePassXC: answer its unlock dialog (up to 60 s)…\n']);
    const notes: Array<{ title: string; body: string }> = [];
    const app = appKeychainDialogs({ CPW_KEYCHAIN_DIALOG_TIMEOUT: '90' }, { notify: (n) => notes.push(n) });
    expect(app.waitMs).toBe(90_000);
    app.notify('waiting for KeePassXC: answer its access confirmation (up to 90 s)…');
    expect(notes).toEqual([{ title: 'cpw-vault is waiting for the keychain', body: 'Waiting for KeePassXC: answer its access confirmation (up to 90 s)…' }]);
  });
});

describe('what doctor says about the provider', () => {
  it('warns about the replace dialog of KeePassXC before 2.7.6 only', () => {
    expect(providerWarnings(...KPX('2.7.4')).join()).toMatch(/KeePassXC 2\.7\.4 asks to confirm every time cpw-vault replaces a value/);
    expect(providerWarnings(...KPX('2.7.5'))).toHaveLength(1);
    expect(providerWarnings(...KPX('2.7.6'))).toEqual([]);
    expect(providerWarnings(...KPX('2.8'))).toEqual([]);
    expect(providerWarnings(...KPX(undefined))).toEqual([]);
  });

  it('says when gnome-keyring was started by D-Bus activation (KeePassXC not running yet)', () => {
    const w = providerWarnings({ label: 'gnome-keyring', executable: 'gnome-keyring-daemon', pid: 1, activated: true }, '42.1');
    expect(w.join()).toMatch(/started by D-Bus activation.*start KeePassXC/);
    expect(providerWarnings({ label: 'gnome-keyring', executable: 'gnome-keyring-daemon', pid: 1, activated: false }, '42.1')).toEqual([]);
  });

  it('names a process from /proc: this test runner is "node", not activated by D-Bus', () => {
    expect(describeProvider(process.pid)).toMatchObject({ executable: expect.stringMatching(/node/), activated: false });
    expect(describeProvider(2 ** 22 + 12345)).toBeUndefined();
  });
});
