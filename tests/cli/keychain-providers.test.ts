// The keychain contract, against two real Secret Service providers: a
// headless KeePassXC (Debian's 2.7.4, a throwaway database made with
// keepassxc-cli) and gnome-keyring (with gcr-prompter for its unlock
// prompt), each alone on a private D-Bus session with nothing activatable,
// their dialogs on an Xvfb display and answered (or not) with xdotool.
// Every command ends within its deadline; a dismissed dialog is
// KEYCHAIN_DENIED (exit 4), never "missing" (exit 3); an unanswered one is
// KEYCHAIN_TIMEOUT at the command's deadline, and leaves keychain and index
// agreeing. The table of state, command, exit code and time is printed.
import { describe, expect, it } from 'vitest';
import { tableLine, withProvider, type StepResult } from '../helpers/provider-session';

const TOKEN = `hf_${'KpXcOnTrAcT'.repeat(3)}1`;
const TOKEN2 = `hf_${'KpXcReplace'.repeat(3)}2`;
/** The command's deadline (9.8 s after start) plus process start and exit on a loaded machine. */
const DEADLINE_MS = 11_000;
const TABLE: string[] = [];

function row(provider: string, results: StepResult[]): void {
  for (const r of results) {
    TABLE.push(tableLine(provider, r));
    console.log(tableLine(provider, r));
  }
}

const SET = (label: string, value = TOKEN) => ({ label, run: ['set', 'huggingface', 'token'], input: value });
const GET = (label: string) => ({ label, run: ['get', 'huggingface', 'token'] });
const EXEC = (label: string) => ({ label, run: ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'test -n "$HF_TOKEN" && echo stage-ran'] });

describe('keychain contract: KeePassXC', () => {
  it('answering at once: set/get/list/check/exec/delete work, secret-tool reads what cpw-vault stored, doctor names KeePassXC 2.7.4 and warns about its replace dialog', async () => {
    const { results, byLabel } = await withProvider({
      provider: 'keepassxc',
      steps: [
        SET('set (new key)'),
        GET('get'),
        { label: 'secret-tool lookup', lookup: 'huggingface.token' },
        { label: 'list', run: ['list'] },
        { label: 'check transcribe', run: ['check', 'transcribe'] },
        EXEC('exec transcribe'),
        { label: 'doctor', run: ['doctor'] },
        // Debian's 2.7.4 confirms every replace by a new client (fixed in 2.7.6).
        { ...SET('set (replace, dialog allowed)', TOKEN2), dialog: 'allow' },
        GET('get after replace'),
        { label: 'delete', run: ['delete', 'huggingface', 'token', '--yes'] },
        GET('get after delete'),
      ],
    });
    row('KeePassXC', results);
    for (const label of ['set (new key)', 'get', 'list', 'check transcribe', 'exec transcribe', 'doctor', 'set (replace, dialog allowed)', 'delete']) expect(byLabel(label).code, `${label}: ${byLabel(label).stderr}`).toBe(0);
    expect(byLabel('get').stdout).toBe(TOKEN);
    expect(byLabel('secret-tool lookup').stdout).toBe(TOKEN);
    expect(byLabel('list').stdout).toMatch(/huggingface\s+token\s+keychain/);
    expect(byLabel('exec transcribe').stdout).toContain('stage-ran');
    expect(byLabel('doctor').stderr).toMatch(/provider: KeePassXC 2\.7\.4/);
    expect(byLabel('doctor').stderr).toMatch(/KeePassXC 2\.7\.4 asks to confirm every time cpw-vault replaces a value/);
    expect(byLabel('set (replace, dialog allowed)').dialog).toMatch(/Access Request/);
    expect(byLabel('get after replace').stdout).toBe(TOKEN2);
    expect(byLabel('get after delete').code).toBe(3);
    for (const r of results) expect(r.ms, r.label).toBeLessThan(DEADLINE_MS);
  }, 240_000);

  it('a dismissed access dialog is KEYCHAIN_DENIED (exit 4), asked once, never "missing"; check and exec fail the same way and the stage never runs', async () => {
    const { results, byLabel } = await withProvider({
      provider: 'keepassxc',
      settings: { confirmAccess: true },
      steps: [
        SET('set (new key, own item)'),
        // Another client's item now: KeePassXC confirms the read of the previous value, then the replace.
        { ...SET('set (replace, dialog dismissed)', TOKEN2), dialog: ['deny', 'leave'] },
        { ...GET('get, access dismissed'), dialog: ['deny', 'leave'] },
        { ...GET('get again, dismissed again'), dialog: ['deny', 'leave'] },
        { label: 'check transcribe, denied', run: ['check', 'transcribe'], dialog: ['deny', 'leave'] },
        { ...EXEC('exec transcribe, denied'), dialog: ['deny', 'leave'] },
      ],
    });
    row('KeePassXC', results);
    for (const label of ['set (replace, dialog dismissed)', 'get, access dismissed', 'get again, dismissed again', 'check transcribe, denied', 'exec transcribe, denied']) {
      const r = byLabel(label);
      // One command asks at most once: a second dialog would have been left unanswered (and the command would have
      // timed out). None at all once KeePassXC remembers the refusal ("Deny All & Future").
      expect(r.dialogs.length, `${label}: at most one dialog`).toBeLessThanOrEqual(1);
      for (const d of r.dialogs) expect(d).toMatch(/Access Request/);
      expect(r.code, `${label}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/KEYCHAIN_DENIED/);
      expect(r.stderr).toMatch(/fix: .*allow cpw-vault in the dialog/);
      expect(r.stderr).not.toMatch(/CREDENTIAL_MISSING|missing/i);
      expect(r.ms).toBeLessThan(DEADLINE_MS);
    }
    expect(byLabel('set (replace, dialog dismissed)').dialogs).toHaveLength(1);
    expect(byLabel('exec transcribe, denied').stdout).not.toContain('stage-ran');
  }, 240_000);

  it('a person at the terminal is told at once and answers: the access dialog allowed gives the value; unanswered, the dialog wait (CPW_KEYCHAIN_DIALOG_TIMEOUT) ends the command', async () => {
    const { results, byLabel } = await withProvider({
      provider: 'keepassxc',
      settings: { confirmAccess: true },
      steps: [
        SET('set (new key, own item)'),
        { ...GET('get on a terminal, access allowed'), tty: true, dialog: 'allow' },
        { label: 'lock', shell: 'true', lock: true },
        { ...GET('get on a terminal, unlock unanswered (wait 3 s)'), tty: true, env: { CPW_KEYCHAIN_DIALOG_TIMEOUT: '3' }, dialog: 'leave' },
      ],
    });
    row('KeePassXC', results);
    const allowed = byLabel('get on a terminal, access allowed');
    expect(allowed.code, allowed.stderr).toBe(0);
    // (The notice comes 0.4 s into an open prompt — KeePassXC answers every write with a prompt that mostly completes at once —
    // so a dialog answered faster than that shows none; the unanswered one below must show it.)
    expect(allowed.dialog).toMatch(/Access Request/);
    expect(allowed.stderr).toContain(TOKEN);
    const unanswered = byLabel('get on a terminal, unlock unanswered (wait 3 s)');
    expect(unanswered.code, unanswered.stderr).toBe(4);
    expect(unanswered.dialog).toMatch(/Unlock Database/);
    expect(unanswered.stderr).toMatch(/waiting for KeePassXC: answer its unlock dialog \(up to 3 s\)/);
    expect(unanswered.stderr).toMatch(/KEYCHAIN_TIMEOUT.*nobody answered KeePassXC's unlock dialog within 3 s/);
    expect(unanswered.ms).toBeLessThan(3_000 + DEADLINE_MS);
  }, 240_000);

  it('a locked database: its unlock dialog answered, cancelled (KEYCHAIN_LOCKED) or unanswered (KEYCHAIN_TIMEOUT at the deadline); doctor reports it locked without a dialog', async () => {
    const { results, byLabel } = await withProvider({
      provider: 'keepassxc',
      steps: [
        SET('set (new key)'),
        { label: 'doctor, locked', lock: true, run: ['doctor'], dialog: 'leave' },
        // Over ssh (no display) no dialog can be seen: none is opened, the state is told at once.
        { ...GET('get, locked, no display'), env: { DISPLAY: '' }, dialog: 'leave' },
        { ...GET('get, locked, unlock unanswered'), dialog: 'leave' },
        // KeePassXC keeps one unlock dialog per database: the one left open above now serves this command too.
        { ...SET('set, locked, unlock unanswered', TOKEN2), dialog: 'leave' },
        { ...GET('get, locked, unlock answered'), dialog: 'unlock' },
        { ...GET('get, locked, unlock cancelled'), lock: true, dialog: 'cancel' },
      ],
    });
    row('KeePassXC', results);
    const doctor = byLabel('doctor, locked');
    expect(doctor.code, doctor.stderr).toBe(4);
    expect(doctor.stderr).toMatch(/KEYCHAIN_LOCKED/);
    expect(doctor.dialogs).toEqual([]);
    const noDisplay = byLabel('get, locked, no display');
    expect(noDisplay.code, noDisplay.stderr).toBe(4);
    expect(noDisplay.stderr).toMatch(/KEYCHAIN_LOCKED.*no display here for its unlock dialog/);
    expect(noDisplay.dialogs).toEqual([]);
    const unlocked = byLabel('get, locked, unlock answered');
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toBe(TOKEN);
    const cancelled = byLabel('get, locked, unlock cancelled');
    expect(cancelled.code, cancelled.stderr).toBe(4);
    expect(cancelled.stderr).toMatch(/KEYCHAIN_LOCKED.*unlock dialog of KeePassXC was dismissed/);
    for (const label of ['get, locked, unlock unanswered', 'set, locked, unlock unanswered']) {
      const r = byLabel(label);
      expect(r.code, `${label}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/KEYCHAIN_TIMEOUT/);
      expect(r.stderr).toMatch(/fix: Nobody can answer KeePassXC's dialog here/);
      expect(r.ms).toBeLessThan(DEADLINE_MS);
    }
  }, 240_000);

  it('a replace whose dialog (2.7.4) nobody answers: exit 4 at the deadline, the write never lands, keychain and index still agree on the old value', async () => {
    const { results, byLabel } = await withProvider({
      provider: 'keepassxc',
      steps: [
        SET('set (new key)'),
        { ...SET('set (replace, dialog unanswered)', TOKEN2), dialog: 'leave' },
        GET('get after'),
        { label: 'secret-tool lookup after', lookup: 'huggingface.token' },
        { label: 'list after', run: ['list'] },
        { label: 'doctor after', run: ['doctor'] },
      ],
    });
    row('KeePassXC', results);
    const unanswered = byLabel('set (replace, dialog unanswered)');
    expect(unanswered.code, unanswered.stderr).toBe(4);
    expect(unanswered.stderr).toMatch(/KEYCHAIN_TIMEOUT/);
    expect(unanswered.ms).toBeLessThan(DEADLINE_MS);
    expect(byLabel('get after').stdout).toBe(TOKEN);
    expect(byLabel('secret-tool lookup after').stdout).toBe(TOKEN);
    expect(byLabel('doctor after').code, byLabel('doctor after').stderr).toBe(0);
    expect(byLabel('list after').stdout).toMatch(new RegExp(`huggingface\\s+token\\s+keychain\\s+••••${TOKEN.slice(-4)}`));
  }, 240_000);

  it('no group exposed (a new database) and integration off: distinct reasons, at once, no dialog, never "ready"', async () => {
    const none = await withProvider({
      provider: 'keepassxc',
      settings: { exposed: false },
      steps: [
        { ...GET('get, nothing exposed'), dialog: 'leave' },
        { ...SET('set, nothing exposed'), dialog: 'leave' },
        { label: 'doctor, nothing exposed', run: ['doctor'], dialog: 'leave' },
      ],
    });
    row('KeePassXC', none.results);
    for (const r of none.results) {
      expect(r.code, `${r.label}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/KEYCHAIN_NO_COLLECTION/);
      expect(r.stderr).toMatch(/Secret Service Integration/);
      expect(r.dialogs).toEqual([]);
      expect(r.ms).toBeLessThan(DEADLINE_MS);
    }
    expect(none.byLabel('doctor, nothing exposed').stderr).not.toMatch(/reachable and unlocked/);
    const off = await withProvider({ provider: 'keepassxc', settings: { enabled: false }, steps: [GET('get, integration off'), { label: 'doctor, integration off', run: ['doctor'] }] });
    row('KeePassXC', off.results);
    for (const r of off.results) {
      expect(r.code, `${r.label}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/KEYCHAIN_NO_PROVIDER/);
    }
  }, 240_000);
});

describe('keychain contract: gnome-keyring', () => {
  it('set/get/list/check/exec/delete; locked: its unlock prompt answered, cancelled (KEYCHAIN_LOCKED), or pending until the deadline (KEYCHAIN_TIMEOUT)', async () => {
    const { results, byLabel } = await withProvider({
      provider: 'gnome-keyring',
      steps: [
        SET('set'),
        GET('get'),
        { label: 'list', run: ['list'] },
        { label: 'check transcribe', run: ['check', 'transcribe'] },
        EXEC('exec transcribe'),
        { label: 'doctor', run: ['doctor'] },
        { ...GET('get, locked, prompt answered'), lock: true, dialog: 'unlock' },
        { ...GET('get, locked, prompt cancelled'), lock: true, dialog: 'cancel' },
        { ...GET('get, locked, prompt pending'), lock: true, dialog: 'leave' },
        { ...SET('set, locked, prompt pending', TOKEN2), dialog: 'leave' },
        { label: 'delete', run: ['delete', 'huggingface', 'token', '--yes'], dialog: 'unlock' },
      ],
    });
    row('gnome-keyring', results);
    for (const label of ['set', 'get', 'list', 'check transcribe', 'exec transcribe', 'doctor', 'get, locked, prompt answered', 'delete']) expect(byLabel(label).code, `${label}: ${byLabel(label).stderr}`).toBe(0);
    expect(byLabel('get').stdout).toBe(TOKEN);
    expect(byLabel('doctor').stderr).toMatch(/provider: gnome-keyring: reachable and unlocked/);
    expect(byLabel('get, locked, prompt answered').stdout).toBe(TOKEN);
    expect(byLabel('get, locked, prompt cancelled').code).toBe(4);
    expect(byLabel('get, locked, prompt cancelled').stderr).toMatch(/KEYCHAIN_LOCKED/);
    for (const label of ['get, locked, prompt pending', 'set, locked, prompt pending']) {
      expect(byLabel(label).code, byLabel(label).stderr).toBe(4);
      expect(byLabel(label).stderr).toMatch(/KEYCHAIN_TIMEOUT/);
    }
    for (const r of results) expect(r.ms, r.label).toBeLessThan(DEADLINE_MS);
  }, 240_000);
});
