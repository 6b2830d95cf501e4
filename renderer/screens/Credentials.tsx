import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { CredentialView } from '../../shared/core/views';
import { CredentialDetail } from '../components/CredentialDetail';
import { CredentialForm } from '../components/CredentialForm';
import { ErrorNote, Field, Loading, useSecondsLeft } from '../components/common';
import { useVault } from '../store';
import { CREDENTIAL_FILTERS, CREDENTIAL_SORTS, visibleCredentials, type CredentialFilter, type CredentialSort } from '../store/credentials-slice';

const FILTER_TEXT: Record<CredentialFilter, string> = { all: 'All', stored: 'Stored', missing: 'Missing', custom: 'Custom', env: 'From environment' };
const SORT_TEXT: Record<CredentialSort, string> = { name: 'Name', 'last-used': 'Last used', updated: 'Updated' };

/**
 * Rows the list renders at most. Past that, every row is still searchable, filterable and counted, but only
 * the first LIST_ROWS (and the selected one) are in the page: at 10,000 credentials the full list took seconds
 * to mount and made every key typed in Search lag (each keystroke re-rendered every row).
 */
export const LIST_ROWS = 500;

function status(c: CredentialView): string {
  if (c.source?.kind === 'env') return `from ${c.source.name}`;
  if (c.source?.kind === 'legacy') return 'plaintext file';
  return c.source ? 'stored' : 'missing';
}

/** The copied value's fate: a countdown to main's clear, then "cleared" (or "left alone"). */
function ClipboardStatus() {
  const clip = useVault((s) => s.clipboard);
  const left = useSecondsLeft(clip?.outcome === 'pending' ? clip.clearsAt : null);
  if (!clip) return <p role="status" className="clipboard-status" />;
  const text = clip.outcome === 'cleared' ? `Clipboard cleared (it held ${clip.label}).`
    : clip.outcome === 'left' ? 'The clipboard holds something else now; cpw-vault left it alone.'
    : `Copied ${clip.label}. The clipboard is cleared in ${left} s.`;
  return <p role="status" className="clipboard-status">{text}</p>;
}

/** Ctrl/Cmd+F and "/" focus the search field (not while typing in another field). */
function useSearchShortcut(search: RefObject<HTMLInputElement | null>) {
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      // Kept hidden while another screen is shown (its form holds typing: see heldScreen), it takes no shortcut there.
      if (useVault.getState().screen !== 'credentials') return;
      if (((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') || (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey)) {
        e.preventDefault();
        search.current?.focus();
        search.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [search]);
}

/** The focus target that stands for the toolbar's "Add a custom credential" button. */
const ADD_BUTTON = '__add__';

function Toolbar({ search, addButton, onAdd }: { search: RefObject<HTMLInputElement | null>; addButton: RefObject<HTMLButtonElement | null>; onAdd: () => void }) {
  const v = useVault(useShallow((s) => ({ query: s.credentialQuery, filter: s.credentialFilter, sort: s.credentialSort, set: s.setCredentialView })));
  return (
    <div className="toolbar" role="search" aria-label="Find credentials">
      <Field label="Search" hint="/ or Ctrl+F">
        {(f) => <input id={f.id} ref={search} type="search" value={v.query} onChange={(e) => v.set({ credentialQuery: e.target.value })} aria-describedby={f.describedBy} autoComplete="off" spellCheck={false} />}
      </Field>
      <Field label="Show">
        {(f) => <select id={f.id} value={v.filter} onChange={(e) => v.set({ credentialFilter: e.target.value as CredentialFilter })}>{CREDENTIAL_FILTERS.map((x) => <option key={x} value={x}>{FILTER_TEXT[x]}</option>)}</select>}
      </Field>
      <Field label="Sort by">
        {(f) => <select id={f.id} value={v.sort} onChange={(e) => v.set({ credentialSort: e.target.value as CredentialSort })}>{CREDENTIAL_SORTS.map((x) => <option key={x} value={x}>{SORT_TEXT[x]}</option>)}</select>}
      </Field>
      <button type="button" ref={addButton} onClick={onAdd}>Add a custom credential</button>
    </div>
  );
}

/** The question asked before another pane replaces the open form and what was typed in it. Escape keeps editing. */
function ConfirmDiscard({ title, onKeep, onDiscard }: { title: string; onKeep: () => void; onDiscard: () => void }) {
  const id = useId();
  return (
    <div role="alertdialog" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`} className="confirm" onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), onKeep())}>
      <p id={`${id}-t`}><strong>{title}</strong></p>
      <p id={`${id}-d`}>What you typed in this form is not saved.</p>
      <div className="actions">
        <button type="button" onClick={onKeep} autoFocus>Keep editing</button>
        <button type="button" className="danger" onClick={onDiscard}>Discard</button>
      </div>
    </div>
  );
}

/**
 * Credentials as a searchable list and a detail pane: usable at 50 and at
 * 500. The list is one Tab stop (arrow keys, Home and End move within
 * it), so Tab reaches the detail pane at once. Ctrl/Cmd+C copies the selected
 * credential, "/" or Ctrl/Cmd+F searches. Focus never falls to <body>: after
 * a delete it goes to the list (or the search field when the list is empty).
 */
export function Credentials() {
  const s = useVault(useShallow((st) => ({
    credentials: st.credentials, loading: st.credentialsLoading, error: st.credentialsError, load: st.loadCredentials,
    query: st.credentialQuery, filter: st.credentialFilter, sort: st.credentialSort, selected: st.selectedCredential, select: st.selectCredential,
    focusCredential: st.focusCredential, copy: st.copyCredential, setView: st.setCredentialView, holdScreen: st.holdScreen,
  })));
  const search = useRef<HTMLInputElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const [adding, setAdding] = useState(false);
  // The pane's form (add, or a credential's) has something typed in it, and where a click meanwhile would go instead
  // (a credential, or ADD_BUTTON): asked first, since that pane would replace the form and the typing with it.
  const [formTyped, setFormTyped] = useState(false);
  const [leaveFor, setLeaveFor] = useState<string | null>(null);
  const pane = useRef<HTMLDivElement>(null);
  useEffect(() => void (formTyped || setLeaveFor(null)), [formTyped]);
  // A form with typing keeps this screen mounted (hidden) while the user goes to another one, and back.
  const { holdScreen } = s;
  useEffect(() => holdScreen('credentials', formTyped), [formTyped, holdScreen]);
  useEffect(() => () => holdScreen('credentials', false), [holdScreen]);
  // What the Fix below must not replace without asking: read when it comes, not a reason to run it again.
  const latest = useRef<{ formTyped: boolean; adding: boolean; current: string | undefined }>({ formTyped: false, adding: false, current: undefined });
  const [focusItem, setFocusItem] = useState<string | null>(null);
  // A Fix from the workflows opens that credential's form once, not every time it is selected again.
  const [editFor, setEditFor] = useState(s.focusCredential);
  const { load, focusCredential, select, setView } = s;
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (!focusCredential) return;
    setView({ credentialQuery: '', credentialFilter: 'all' });
    setEditFor(focusCredential);
    // A Fix that comes while the screen was kept with typing in a form (another credential's, or the add form): asked
    // first, as a click on another credential is; Discard then opens the one the Fix named.
    const now = latest.current;
    if (now.formTyped && (now.adding || now.current !== focusCredential)) return setLeaveFor(focusCredential);
    select(focusCredential);
  }, [focusCredential, select, setView]);
  useSearchShortcut(search);
  const visible = useMemo(() => visibleCredentials(s.credentials, s.query, s.filter, s.sort), [s.credentials, s.query, s.filter, s.sort]);
  // The credential whose form is open stays in the pane (and keeps its row) when a search, filter or sort hides it:
  // replacing the pane dropped the key half typed into its form. Once the form closes (saved, Escape) it stays until
  // the search changes again, so the focus goes back to its Edit button, not to <body> with a pane gone.
  const [pinned, setPinned] = useState<{ id: string; open: boolean } | null>(null);
  const onEditing = useCallback((id: string, open: boolean | null) => setPinned((was) => (open ? { id, open } : was?.id !== id ? was : open === false ? { id, open } : null)), []);
  useEffect(() => setPinned((was) => (was && !was.open ? null : was)), [s.query, s.filter, s.sort]);
  const current = visible.find((c) => c.id === s.selected) ?? (pinned ? s.credentials.find((c) => c.id === pinned.id) : undefined) ?? visible[0];
  latest.current = { formTyped, adding, current: current?.id };
  const rows = useMemo(() => {
    const first = visible.slice(0, LIST_ROWS);
    // The selected credential always has its row: it is the list's one Tab stop.
    return current && !first.includes(current) ? [...first, current] : first;
  }, [visible, current]);
  useEffect(() => {
    if (!focusItem) return;
    const target = focusItem === ADD_BUTTON ? addButton.current : ([...document.querySelectorAll<HTMLElement>('[data-credential]')].find((el) => el.dataset['credential'] === focusItem) ?? search.current);
    target?.focus();
    setFocusItem(null);
  }, [focusItem, visible]);

  if (s.error) return <ErrorNote error={s.error} onRetry={() => void load()} />;
  if (s.loading && !s.credentials.length) return <Loading what="credentials" />;
  const move = (e: KeyboardEvent, c: CredentialView) => {
    const i = rows.indexOf(c);
    const next = e.key === 'ArrowDown' ? rows[i + 1] : e.key === 'ArrowUp' ? rows[i - 1] : e.key === 'Home' ? rows[0] : e.key === 'End' ? rows.at(-1) : undefined;
    if (next) {
      e.preventDefault();
      // A credential's form with typing would be replaced (the add form stays: it is not the selected credential's).
      if (formTyped && !adding && next.id !== current?.id) return setLeaveFor(next.id);
      select(next.id);
      setFocusItem(next.id);
    } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c' && c.source && !window.getSelection()?.toString()) {
      e.preventDefault();
      void s.copy({ service: c.service, key: c.key });
    }
  };
  const pick = (id: string) => {
    if (formTyped && (adding || id !== current?.id)) return setLeaveFor(id);
    select(id);
    setAdding(false);
  };
  const add = () => (formTyped && !adding ? setLeaveFor(ADD_BUTTON) : setAdding(true));
  const keepEditing = () => {
    setLeaveFor(null);
    pane.current?.querySelector<HTMLElement>('form input')?.focus();
  };
  const discard = (to: string) => {
    setLeaveFor(null);
    if (to === ADD_BUTTON) return setAdding(true);
    setAdding(false);
    select(to);
    setFocusItem(to);
  };
  const afterDelete = (c: CredentialView) => {
    const i = visible.findIndex((x) => x.id === c.id);
    const stays = !c.custom; // a catalog credential stays listed, now missing
    const next = stays ? c : (visible[i + 1] ?? visible[i - 1]);
    select(next?.id ?? null);
    setFocusItem(next?.id ?? '__search__');
  };
  return (
    <div className="credentials">
      <Toolbar search={search} addButton={addButton} onAdd={add} />
      <p className="muted shortcuts">{visible.length} of {s.credentials.length} shown · ↑ ↓ move · Ctrl+C copies the selected credential</p>
      {visible.length > LIST_ROWS && <p className="muted" role="status">The list holds the first {LIST_ROWS} of {visible.length}: type in Search to find the others.</p>}
      <ClipboardStatus />
      <div className="credentials-layout">
        <ul className="credential-list" aria-label="Credentials">
          {rows.map((c) => (
            <li key={c.id}>
              <button type="button" data-credential={c.id} aria-current={c.id === current?.id ? 'true' : undefined} tabIndex={c.id === current?.id ? 0 : -1} onClick={() => pick(c.id)} onKeyDown={(e) => move(e, c)}>
                <span className="item-label">{c.label}</span> <span className={`badge ${c.source ? 'ok' : 'bad'}`}>{status(c)}</span>
                <span className="item-id">{c.id}</span>
              </button>
            </li>
          ))}
        </ul>
        {/* The pane shows the first credential until one is picked: once the user works in it (Edit, typing a key), that
            one is picked, so a list that changes meanwhile (the CLI adding a credential that sorts first, a pipeline's
            read under "Last used") no longer puts another credential in its place, and the form with the typed key with it. */}
        <div className="detail-pane" ref={pane} onFocus={() => !adding && current && current.id !== s.selected && select(current.id)}>
          {leaveFor && <ConfirmDiscard title={adding || !current ? 'Discard the custom credential you were adding?' : `Discard the value typed for ${current.label}?`} onKeep={keepEditing} onDiscard={() => discard(leaveFor)} />}
          {adding ? (
            <section aria-label="Add a custom credential">
              <h3>Add a custom credential</h3>
              {/* Saved: focus goes to the new credential's row; cancelled: back to the button that opened the form. */}
              <CredentialForm onTyped={setFormTyped} onDone={(saved, id) => (setAdding(false), saved && id ? (select(id), setFocusItem(id)) : setFocusItem(ADD_BUTTON))} />
            </section>
          ) : current ? (
            <CredentialDetail key={current.id} c={current} startEditing={current.id === editFor} onEditStarted={() => setEditFor(null)} onEditing={onEditing} onTyped={setFormTyped} onDeleted={afterDelete} />
          ) : (
            <p>{s.credentials.length ? 'No credential matches the search.' : 'No credentials yet.'}</p>
          )}
        </div>
      </div>
    </div>
  );
}
