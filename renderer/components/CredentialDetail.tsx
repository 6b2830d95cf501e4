import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { catalogEntry } from '../../shared/core/catalog';
import type { KeychainStatus } from '../../shared/core/secret-store';
import { sourceLabel, type CredentialView } from '../../shared/core/views';
import { storeName } from '../../shared/core/secret-store';
import { asApiError, type ApiError } from '../api';
import { useVault } from '../store';
import { selectBackend, selectKeychainProblem } from '../store/app-slice';
import { CredentialForm } from './CredentialForm';
import { ErrorNote, SoftButton, useSecondsLeft, When } from './common';
import { canVerify, VerifyDetails } from './VerifyStatus';

/** How long a revealed value stays on screen. */
export const REVEAL_MS = 30_000;

/** Why keychain actions are off, in a few words. */
export function keychainReason(k: Extract<KeychainStatus, { ok: false }>): string {
  return k.code === 'KEYCHAIN_LOCKED' ? `the keychain is locked (${k.code})` : `the keychain cannot be reached (${k.code})`;
}

/** The value, read once per Reveal (one keychain read, one audit event), shown for 30 s with a countdown. */
function RevealedValue({ credential, onHide }: { credential: CredentialView; onHide: () => void }) {
  const reveal = useVault((s) => s.revealCredential);
  const [value, setValue] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [until, setUntil] = useState<number | null>(null);
  const hide = useRef(onHide);
  hide.current = onHide;
  const { service, key } = credential;
  useEffect(() => {
    let alive = true;
    reveal({ service, key }).then(
      (v) => alive && (setValue(v), setUntil(Date.now() + REVEAL_MS)),
      (e: unknown) => alive && setError(asApiError(e)),
    );
    const timer = setTimeout(() => hide.current(), REVEAL_MS);
    return () => {
      alive = false;
      clearTimeout(timer);
      setValue(null);
    };
  }, [service, key, reveal]);
  const left = useSecondsLeft(until);
  // What went wrong, its code and its fix (a bare message left the user with nothing to do).
  if (error) return <ErrorNote error={error} />;
  return (
    <div className="revealed-box">
      <code className="revealed" aria-label={`${credential.label} value`}>{value ?? '…'}</code>
      {value !== null && <p className="muted countdown">Hides in {left} s</p>}
    </div>
  );
}

/**
 * A value that is not a secret (the OpenAI organization ID), in full, from the profile that holds it: its stored hint
 * is cut to 16 characters ("org-abcdefghijkl" for a 28-character ID), which the README promises it is not. The
 * profile is read again whenever the credential's metadata changes, so the value shown is the one stored.
 */
function usePlainValue(c: CredentialView): string | undefined {
  const section = c.secret ? undefined : catalogEntry(c.id)?.section;
  const value = useVault((s) => (section ? s.profile?.profile[section]?.[c.service]?.[c.key] : undefined));
  const loadProfile = useVault((s) => s.loadProfile);
  const stamp = c.meta?.updated_at;
  useEffect(() => void (section && loadProfile()), [section, stamp, loadProfile]);
  return typeof value === 'string' && value ? value : undefined;
}

function Meta({ c }: { c: CredentialView }) {
  const plain = usePlainValue(c);
  return (
    <dl className="meta">
      <dt>Source</dt><dd>{sourceLabel(c.source)}</dd>
      <dt>Env</dt><dd>{c.envVars.join(', ')}</dd>
      {plain ? <><dt>Value</dt><dd><code>{plain}</code> (not a secret: kept in your profile)</dd></> : <><dt>Hint</dt><dd>{c.meta?.hint ?? '—'}</dd></>}
      <dt>Created</dt><dd><When iso={c.meta?.created_at} /></dd>
      <dt>Updated</dt><dd><When iso={c.meta?.updated_at} /></dd>
      <dt>Last used</dt><dd><When iso={c.meta?.last_used_at} /></dd>
    </dl>
  );
}

/** Where a delete removes the value from: the keychain or the vault file, or the profile for a value that is not a secret. */
function where(c: CredentialView, backend: string): string {
  if (!c.secret || c.meta?.storage === 'profile') return `It is removed from your profile (it is not a secret, so it was never in ${storeName(backend)}).`;
  return `Its value is removed from ${storeName(c.source?.kind === 'keychain' && c.source.store === 'file' ? 'file' : 'keychain')}.`;
}

/** The delete question. While the delete runs (`busy`) both buttons are off but keep the focus: a second press (a double click) deletes nothing more. */
function ConfirmDelete({ c, busy, onCancel, onConfirm }: { c: CredentialView; busy: boolean; onCancel: () => void; onConfirm: () => void }) {
  const id = useId();
  const backend = useVault(selectBackend);
  return (
    <div role="alertdialog" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`} aria-busy={busy || undefined} className="confirm" onKeyDown={(e) => e.key === 'Escape' && !busy && (e.stopPropagation(), onCancel())}>
      <p id={`${id}-t`}><strong>Delete {c.label}?</strong></p>
      <p id={`${id}-d`}>{where(c, backend)} This cannot be undone.</p>
      <div className="actions">
        <SoftButton type="button" off={busy} onClick={onCancel} autoFocus>Cancel</SoftButton>
        <SoftButton type="button" off={busy} className="danger" onClick={onConfirm}>{busy ? 'Deleting…' : 'Delete'}</SoftButton>
      </div>
    </div>
  );
}

/**
 * One credential: metadata, and Reveal (30 s), Copy (cleared after 20 s),
 * Edit and Delete (confirm focuses Cancel). While the keychain is locked or
 * unreachable, the actions that need it are disabled and say why. Focus
 * returns to the button that opened a form or dialog when it closes.
 */
export function CredentialDetail({ c, startEditing, onEditStarted, onEditing, onTyped, onDeleted }: { c: CredentialView; startEditing: boolean; onEditStarted?: () => void; onEditing?: (id: string, open: boolean | null) => void; onTyped?: (typed: boolean) => void; onDeleted: (c: CredentialView) => void }) {
  const copyCredential = useVault((s) => s.copyCredential);
  const deleteCredential = useVault((s) => s.deleteCredential);
  const verifyCredential = useVault((s) => s.verifyCredential);
  const testing = useVault((s) => s.verifying.includes(c.id));
  const testable = canVerify(c);
  const keychain = useVault(selectKeychainProblem);
  const needsKeychain = c.secret && c.source?.kind !== 'env';
  const blockedRead = !!keychain && needsKeychain;
  const blockedWrite = !!keychain && c.secret;
  const [mode, setMode] = useState<'view' | 'edit' | 'confirm'>(startEditing && !blockedWrite ? 'edit' : 'view');
  // The reveal belongs to the value it showed: it is dropped as soon as that may have changed (saved here, deleted,
  // replaced or removed by the CLI: new metadata or no source). A stale value left on screen, or one left with no
  // Hide button after a delete, showed a secret that was no longer (or never again) what the vault held. Edit
  // hides it too: the form takes the place of the buttons, Hide among them.
  const valueStamp = JSON.stringify([c.stored, c.source, c.meta?.updated_at ?? null, c.meta?.hint ?? null]);
  const [revealedFor, setRevealedFor] = useState<string | null>(null);
  const revealed = !!c.source && revealedFor === valueStamp;
  const setRevealed = (on: boolean) => setRevealedFor(on ? valueStamp : null);
  const [returnFocus, setReturnFocus] = useState<'edit' | 'delete' | null>(null);
  const editRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const reasonId = useId();
  const started = mode === 'edit' && startEditing;
  useEffect(() => {
    if (started) onEditStarted?.();
    // Only on mount: the form opened because the caller asked, once.
  }, []);
  // The caller keeps this credential on screen while its form is open (a search typed meanwhile must not replace it):
  // told when the form opens and closes, and when this credential leaves the pane (null).
  const editingOpen = mode === 'edit';
  useEffect(() => onEditing?.(c.id, editingOpen), [c.id, editingOpen, onEditing]);
  useEffect(() => () => onEditing?.(c.id, null), [c.id, onEditing]);
  // A layout effect: the focus moves in the same commit that removed the form or box holding it, never via <body>.
  useLayoutEffect(() => {
    if (returnFocus === 'edit') editRef.current?.focus();
    if (returnFocus === 'delete') deleteRef.current?.focus();
    if (returnFocus) setReturnFocus(null);
  }, [returnFocus]);
  const ref = { service: c.service, key: c.key };
  const blocked = [...(blockedWrite ? [c.stored ? 'Edit' : 'Add'] : []), ...(blockedRead && c.source ? ['Reveal', 'Copy', ...(testable ? ['Test'] : [])] : []), ...(blockedWrite && c.stored ? ['Delete'] : [])];
  const described = blocked.length ? reasonId : undefined;
  // One delete per confirmation: a ref, so a second click before the re-render is already refused.
  const deleting = useRef(false);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    if (deleting.current) return;
    deleting.current = true;
    setBusy(true);
    setRevealed(false);
    const outcome = await deleteCredential(ref);
    deleting.current = false;
    setBusy(false);
    // The question is answered either way (a catalog credential stays on screen, now missing: its box went on asking).
    setMode('view');
    if (outcome === 'failed') setReturnFocus('delete');
    else onDeleted(c);
  };
  return (
    <section className="credential-detail" aria-labelledby={`${reasonId}-h`}>
      <h3 id={`${reasonId}-h`}>{c.label}</h3>
      <p className="muted"><code>{c.id}</code>{c.custom ? ' · custom' : ''}</p>
      <Meta c={c} />
      {testable && <VerifyDetails c={c} />}
      {revealed && <RevealedValue credential={c} onHide={() => setRevealed(false)} />}
      {keychain && blocked.length > 0 && <p id={reasonId} className="warning">{blocked.join(', ').replace(/, ([^,]+)$/, ' and $1')} {blocked.length > 1 ? 'are' : 'is'} unavailable: {keychainReason(keychain)}. See the banner for the fix.</p>}
      {mode !== 'edit' && (
        <div className="actions">
          <button type="button" ref={editRef} onClick={() => (setRevealed(false), setMode('edit'))} disabled={blockedWrite} aria-describedby={described}>{c.stored ? 'Edit' : 'Add'}</button>
          {c.source && <button type="button" onClick={() => setRevealed(!revealed)} aria-pressed={revealed} disabled={blockedRead} aria-describedby={described}>{revealed ? 'Hide' : 'Reveal'}</button>}
          {c.source && <button type="button" onClick={() => void copyCredential(ref)} disabled={blockedRead} aria-describedby={described}>Copy</button>}
          {/* Off while it asks, not `disabled`: the focus stays on it (a disabled button drops it to <body> and leaves the
              tab order), presses are ignored, and the check's live status says "Asking the provider…", then the answer. */}
          {testable && <SoftButton type="button" onClick={() => void verifyCredential(ref)} off={testing} aria-busy={testing || undefined} disabled={blockedRead} aria-describedby={described}>{testing ? 'Testing…' : 'Test'}</SoftButton>}
          {c.stored && <button type="button" ref={deleteRef} className="danger" onClick={() => setMode('confirm')} disabled={blockedWrite || mode === 'confirm'} aria-describedby={described}>Delete</button>}
        </div>
      )}
      {mode === 'confirm' && <ConfirmDelete c={c} busy={busy} onCancel={() => (setMode('view'), setReturnFocus('delete'))} onConfirm={() => void remove()} />}
      {mode === 'edit' && <CredentialForm service={c.service} key_={c.key} onTyped={onTyped} onDone={(saved) => (saved && setRevealed(false), setMode('view'), setReturnFocus('edit'))} />}
    </section>
  );
}
