import { useId, useLayoutEffect, useRef, useState } from 'react';
import type { VaultErrorJSON } from '../../shared/core/errors';
import type { SecurityStatus, VaultApi } from '../../shared/core/ipc-contract';
import { notAnsweringWhy, resumeStopped, type AgentNotAnswering } from '../../shared/core/secret-store';
import { ApiError, getApi } from '../api';
import { ErrorNote, Field, Loading, SecretInput, SoftButton, When } from '../components/common';
import { appFix, describeError } from '../errors';
import { useVault } from '../store';
import { reloadAll, useBusy } from './security-busy';
import { ImportCard } from './SecurityImport';
import { useSecurityStatus } from './security-status';
import { agreeing, counted } from '../../shared/core/plural';

/** Shortest passphrase main accepts for a vault file, a new passphrase or an export (the CLI's rule). */
export const MIN_PASSPHRASE = 12;

const BACKEND_TEXT: Record<string, string> = {
  keychain: 'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager). It unlocks with your login.',
  file: 'An age-encrypted vault file beside your profile. It opens with its own passphrase, once per session (the CLI and the app share the unlock).',
};

/** Inline checks of a new passphrase and its confirmation (main checks again). */
function newPassphraseErrors(next: string, confirm: string, current?: string): { next?: string; confirm?: string } {
  const out: { next?: string; confirm?: string } = {};
  if (next && [...next].length < MIN_PASSPHRASE) out.next = `At least ${MIN_PASSPHRASE} characters (${[...next].length} so far).`;
  else if (current !== undefined && next && next === current) out.next = 'Must differ from the current passphrase.';
  if (confirm && confirm !== next) out.confirm = 'Does not match the new passphrase.';
  return out;
}

/** An error as the line under a field: what happened, then the fix. */
function fieldError(error: ApiError | null): string | undefined {
  if (!error) return undefined;
  const { message, fix } = describeError(error);
  return `${message} ${fix}`;
}

/**
 * The unlock form: shown as the whole screen while the vault file is locked, and in the Security section. `ifFocusLost`
 * (Security): its field takes the focus only when the focus was lost (the Lock now pressed went), not from a field the
 * user is typing in when a status read again finds the vault file locked.
 */
export function Unlock({ onUnlocked, ifFocusLost = false }: { onUnlocked?: (s: SecurityStatus) => void; ifFocusLost?: boolean }) {
  const [passphrase, setPassphrase] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useLayoutEffect(() => {
    const at = document.activeElement;
    if (ifFocusLost && (!at || at === document.body)) form.current?.querySelector('input')?.focus();
  }, [ifFocusLost]);
  const { busy, error, onSubmit } = useBusy();
  const toast = useVault((s) => s.toast);
  const submit = onSubmit(async () => {
    const s = await getApi().securityUnlock({ passphrase });
    setPassphrase('');
    toast('success', 'Vault file unlocked for 8 hours (the CLI uses the same unlock).');
    onUnlocked?.(s);
    await reloadAll();
  });
  return (
    <form className="card" aria-label="Unlock the vault file" onSubmit={submit} ref={form}>
      <h3>The vault file is locked</h3>
      <p>Your secrets are in an age-encrypted file. Type its passphrase to open it for 8 hours (pipelines started from a terminal use the same unlock).</p>
      <Field label="Vault passphrase" error={fieldError(error)}>
        {(ids) => <SecretInput id={ids.id} value={passphrase} onChange={setPassphrase} describedBy={ids.describedBy} invalid={ids.invalid} required autoFocus={!ifFocusLost} />}
      </Field>
      <SoftButton type="submit" off={busy || !passphrase}>{busy ? 'Unlocking…' : 'Unlock'}</SoftButton>
    </form>
  );
}

function ChangePassphrase({ onDone }: { onDone: (s: SecurityStatus) => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const { busy, error, onSubmit } = useBusy();
  const toast = useVault((s) => s.toast);
  const errors = newPassphraseErrors(next, confirm, current);
  const ready = !!current && !!next && next === confirm && !errors.next && !errors.confirm;
  const submit = onSubmit(async () => {
    const s = await getApi().securityChangePassphrase({ current, next });
    setCurrent('');
    setNext('');
    setConfirm('');
    toast('success', 'Passphrase changed: only the new one opens the vault file. Unlock again with it.');
    onDone(s);
    await reloadAll();
  });
  return (
    <form className="card" aria-label="Change the vault passphrase" onSubmit={submit}>
      <h3>Change the passphrase</h3>
      <Field label="Current passphrase" error={fieldError(error)}>
        {(ids) => <SecretInput id={ids.id} value={current} onChange={setCurrent} describedBy={ids.describedBy} invalid={ids.invalid} required />}
      </Field>
      <Field label="New passphrase" hint={`At least ${MIN_PASSPHRASE} characters; four or five random words work well.`} error={errors.next}>
        {(ids) => <SecretInput id={ids.id} value={next} onChange={setNext} describedBy={ids.describedBy} invalid={ids.invalid} required />}
      </Field>
      <Field label="Confirm the new passphrase" error={errors.confirm}>
        {(ids) => <SecretInput id={ids.id} value={confirm} onChange={setConfirm} describedBy={ids.describedBy} invalid={ids.invalid} required />}
      </Field>
      <SoftButton type="submit" off={busy || !ready}>{busy ? 'Re-encrypting…' : 'Change passphrase'}</SoftButton>
    </form>
  );
}

/**
 * The status of a vault file whose unlock agent is there but did not answer (main's agentNotAnswering: stopped with
 * kill -STOP, busy or hung, as far as main could tell), worded as cpw-vault backend words it. Shown as "locked", it
 * told the user the key was gone while a stopped process held it, and hid Lock now, which ends it. A stopped one can
 * also be resumed, as doctor says (resumeStopped): the app said only Lock now, which ends it and its key.
 */
function NotAnswering({ agent }: { agent: AgentNotAnswering }) {
  const which = agent.pids.length ? ` (pid ${agent.pids.join(', ')})` : '';
  const resume = resumeStopped(agent);
  return <p role="status"><strong>Not answering</strong>: the vault file&apos;s unlock agent{which} {notAnsweringWhy(agent)}. It may still hold the key in memory. <span className="fix">Fix: Lock now ends it, its key with it; then unlock again.{resume && ` Or, in a terminal, ${resume}.`}</span></p>;
}

/**
 * Stands in for every screen but Security while doctor finds the vault file's unlock agent there but not answering,
 * as the unlock form does for a locked vault: the form asked for a passphrase while that process held the key.
 */
export function AgentNotAnsweringCard({ agent }: { agent: AgentNotAnswering }) {
  return (
    <section className="card" aria-label="The unlock agent is not answering">
      <h3>The vault file&apos;s unlock agent is not answering</h3>
      <NotAnswering agent={agent} />
      <LockNow onLocked={() => undefined} />
    </section>
  );
}

/** `onSwitching`: the backend a switch under way goes to, then null once it ended (done or failed). */
function BackendChoice({ status, onChanged, onSwitching }: { status: SecurityStatus; onChanged: (s: SecurityStatus) => void; onSwitching: (to: string | null) => void }) {
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const { busy, error, onSubmit } = useBusy();
  const toast = useVault((s) => s.toast);
  const toFile = status.backend === 'keychain';
  const errors = newPassphraseErrors(next, confirm);
  const ready = !toFile || (!!next && next === confirm && !errors.next && !errors.confirm);
  const submit = onSubmit(async () => {
    let r: Awaited<ReturnType<VaultApi['securityUseBackend']>>;
    onSwitching(toFile ? 'file' : 'keychain');
    try {
      r = await getApi().securityUseBackend(toFile ? { backend: 'file', passphrase: next } : { backend: 'keychain' });
    } catch (err) {
      // A Lock now pressed meanwhile left its answer, "a switch is still under way", on the card: said as it is now.
      await getApi().securityStatus().then(onChanged, () => undefined);
      throw err;
    } finally {
      onSwitching(null);
    }
    setNext('');
    setConfirm('');
    toast('success', `Moved ${counted(r.moved.length, 'credential')} to the ${toFile ? 'vault file' : 'keychain'}; each was read back first.`);
    onChanged(r.status);
    await reloadAll();
  });
  return (
    <form className="card" aria-label="Where your secrets live" onSubmit={submit}>
      <h3>Where your secrets live</h3>
      <p><strong>{status.backend === 'file' ? 'Vault file' : 'Keychain'}</strong>: {BACKEND_TEXT[status.backend] ?? status.backend}</p>
      {status.agentNotAnswering ? <NotAnswering agent={status.agentNotAnswering} /> : status.ok ? <p className="muted">Available now{status.unlockedUntil ? <>, unlocked until <When iso={status.unlockedUntil} /></> : ''}.</p> : <p role="status"><code>{status.code}</code> {status.message} <span className="fix">Fix: {appFix(status.code, status.fix, status.message)}</span></p>}
      {status.offerFile && <p>No keychain on this computer? Keep the secrets in an age-encrypted vault file instead. Nothing switches by itself, and nothing is ever stored in plaintext.</p>}
      {toFile ? (
        <>
          <p className="muted">Switching moves every secret into a new vault file, reads each one back, then empties the keychain — all or nothing.</p>
          <Field label="Vault passphrase" hint={`At least ${MIN_PASSPHRASE} characters. Without it nobody, you included, can read the secrets.`} error={errors.next}>
            {(ids) => <SecretInput id={ids.id} value={next} onChange={setNext} describedBy={ids.describedBy} invalid={ids.invalid} />}
          </Field>
          <Field label="Confirm the vault passphrase" error={errors.confirm}>
            {(ids) => <SecretInput id={ids.id} value={confirm} onChange={setConfirm} describedBy={ids.describedBy} invalid={ids.invalid} />}
          </Field>
        </>
      ) : (
        <p className="muted">Switching back moves every secret into the keychain, reads each one back, then removes the vault files.</p>
      )}
      {error && <ErrorNote error={error} />}
      <SoftButton type="submit" off={busy || !ready}>{busy ? 'Moving…' : toFile ? 'Use a vault file' : 'Use the keychain'}</SoftButton>
    </form>
  );
}

function ExportCard() {
  const [pass, setPass] = useState('');
  const [confirm, setConfirm] = useState('');
  /** Credentials the last export left out (listed without a value): said until the next export, not in a passing toast. */
  const [leftOut, setLeftOut] = useState<string[]>([]);
  const { busy, error, onSubmit } = useBusy();
  const toast = useVault((s) => s.toast);
  const errors = newPassphraseErrors(pass, confirm);
  const ready = !!pass && pass === confirm && !errors.next && !errors.confirm;
  const submit = onSubmit(async () => {
    setLeftOut([]);
    const r = await getApi().securityExport({ passphrase: pass });
    if (!r) return; // the save dialog was cancelled
    setPass('');
    setConfirm('');
    setLeftOut(r.warnings);
    const left = r.warnings.length ? ` ${counted(r.warnings.length, 'credential')} ${agreeing(r.warnings.length, 'was', 'were')} left out: see Export.` : '';
    toast(left ? 'info' : 'success', `Exported ${counted(r.count, 'credential')} to ${r.file} (age; read it with: age -d).${left}`);
  });
  return (
    <form className="card" aria-label="Export" onSubmit={submit}>
      <h3>Export to an encrypted file</h3>
      <p className="muted">Every secret and its details, in an age file with a passphrase of its own: to move the vault to another computer.</p>
      <Field label="Export passphrase" hint={`At least ${MIN_PASSPHRASE} characters.`} error={errors.next}>
        {(ids) => <SecretInput id={ids.id} value={pass} onChange={setPass} describedBy={ids.describedBy} invalid={ids.invalid} />}
      </Field>
      <Field label="Confirm the export passphrase" error={errors.confirm}>
        {(ids) => <SecretInput id={ids.id} value={confirm} onChange={setConfirm} describedBy={ids.describedBy} invalid={ids.invalid} />}
      </Field>
      {leftOut.length > 0 && (
        <div className="warning" role="alert" aria-label="Left out of the export">
          <ul>{leftOut.map((w) => <li key={w}>{w}</li>)}</ul>
        </div>
      )}
      {error && <ErrorNote error={error} />}
      <SoftButton type="submit" off={busy || !ready}>{busy ? 'Encrypting…' : 'Export…'}</SoftButton>
    </form>
  );
}

/**
 * "Lock now": a lock that fails (the unlock agent unreachable, the vault file gone) says why under the button, which
 * keeps the focus and stays pressable for another try; it did nothing at all before. The button is described by that
 * error (aria-describedby), as ExternalLink's is: a screen reader on the button heard nothing of it. `failed`: main's
 * second lock, run as a switch ended, failed (status.lockFailed): said in the same place, as the Lock pressed failing;
 * the card alone said "unlocked until ..." with no word that the Lock asked for did not happen.
 */
function LockNow({ onLocked, failed }: { onLocked: (s: SecurityStatus) => void; failed?: VaultErrorJSON | undefined }) {
  const { busy, error: own, run } = useBusy();
  const error = own ?? (failed && !busy ? new ApiError(failed) : null);
  const errorId = useId();
  const lock = () => run(async () => {
    const s = await getApi().securityLock();
    onLocked(s);
    // Locked while a backend switch is under way: the screens' reads wait for it (the button said "Locking…" the
    // while, up to 30 s), and the switch reloads them as it ends.
    if (s.code !== 'BACKEND_SWITCHING') await reloadAll();
  });
  return (
    <div>
      <p><SoftButton type="button" className="ghost" onClick={() => void lock()} off={busy} aria-describedby={error ? errorId : undefined}>{busy ? 'Locking…' : 'Lock now'}</SoftButton></p>
      {error && <ErrorNote error={error} id={errorId} />}
    </div>
  );
}

/** Security: where the secrets live (and switching), unlock, passphrase change, encrypted export and import. */
export function Security() {
  const { status, setStatus, error, load } = useSecurityStatus();
  const [switchingTo, setSwitchingTo] = useState<string | null>(null);
  // A read again that failed leaves the status shown, and the forms with what is typed in them, under its error.
  const failed = error && <ErrorNote error={error} onRetry={load} />;
  if (!status) return failed || <Loading what="security" />;
  // An agent that does not answer is not "locked": Lock now (which ends it) is offered, not the unlock form.
  const locked = status.backend === 'file' && status.code === 'VAULT_LOCKED' && !status.agentNotAnswering;
  // During a switch to the vault file the profile still says keychain, and Lock now was reachable only through IPC:
  // main takes it then (the switch leaves the vault file locked). After a Lock whose second round failed, Lock now
  // stays to say so and to try again, whichever backend the switch left.
  const lockNow = (status.backend === 'file' && !locked) || switchingTo === 'file' || !!status.lockFailed;
  return (
    <div className="security">
      {failed}
      {locked && <Unlock onUnlocked={setStatus} ifFocusLost />}
      <BackendChoice status={status} onChanged={setStatus} onSwitching={setSwitchingTo} />
      {lockNow && <LockNow onLocked={setStatus} failed={status.lockFailed} />}
      {status.backend === 'file' && <ChangePassphrase onDone={setStatus} />}
      {status.ok && <ExportCard />}
      {status.ok && <ImportCard />}
    </div>
  );
}
