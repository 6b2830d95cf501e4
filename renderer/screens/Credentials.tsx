import { useShallow } from 'zustand/react/shallow';
import { useEffect, useMemo, useState } from 'react';
import { sourceLabel, type CredentialView } from '../../shared/core/views';
import { asApiError } from '../api';
import { CredentialForm } from '../components/CredentialForm';
import { ErrorNote, Loading, When } from '../components/common';
import { useVault } from '../store';
import { groupByService } from '../store/credentials-slice';

/** How long a revealed value stays on screen. */
export const REVEAL_MS = 30_000;

function Revealed({ credential, onHide }: { credential: CredentialView; onHide: () => void }) {
  const reveal = useVault((s) => s.revealCredential);
  const [value, setValue] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    reveal({ service: credential.service, key: credential.key }).then((v) => alive && setValue(v), (e: unknown) => alive && setError(asApiError(e).message));
    const timer = setTimeout(onHide, REVEAL_MS);
    return () => {
      alive = false;
      clearTimeout(timer);
      setValue(null);
    };
  }, [credential.service, credential.key, reveal, onHide]);
  if (error) return <p role="alert" className="field-error">{error}</p>;
  return <code className="revealed" aria-label={`${credential.label} value`}>{value ?? '…'}</code>;
}

function CredentialRow({ c }: { c: CredentialView }) {
  const { deleteCredential, copyCredential, focusCredential } = useVault(useShallow((s) => ({ deleteCredential: s.deleteCredential, copyCredential: s.copyCredential, focusCredential: s.focusCredential })));
  const [editing, setEditing] = useState(focusCredential === c.id);
  const [revealed, setRevealed] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const ref = { service: c.service, key: c.key };
  return (
    <li className="credential">
      <div className="credential-head">
        <div>
          <h3>{c.label}</h3>
          <p className="muted"><code>{c.id}</code> · env {c.envVars.join(', ')}</p>
        </div>
        <dl>
          <dt>Source</dt><dd>{sourceLabel(c.source)}</dd>
          <dt>Hint</dt><dd>{c.meta?.hint ?? '—'}</dd>
          <dt>Created</dt><dd><When iso={c.meta?.created_at} /></dd>
          <dt>Updated</dt><dd><When iso={c.meta?.updated_at} /></dd>
          <dt>Last used</dt><dd><When iso={c.meta?.last_used_at} /></dd>
        </dl>
      </div>
      {revealed && <Revealed credential={c} onHide={() => setRevealed(false)} />}
      <div className="actions">
        <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>{c.stored ? 'Edit' : 'Add'}</button>
        {c.source && <button type="button" onClick={() => setRevealed(!revealed)} aria-pressed={revealed}>{revealed ? 'Hide' : 'Reveal'}</button>}
        {c.source && <button type="button" onClick={() => void copyCredential(ref)}>Copy</button>}
        {c.stored && !confirming && <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>}
      </div>
      {confirming && (
        <div role="alertdialog" aria-label={`Delete ${c.label}?`} className="confirm">
          <p>Delete {c.label} from the keychain? This cannot be undone.</p>
          <button type="button" className="danger" autoFocus onClick={() => void deleteCredential(ref).then(() => setConfirming(false))}>Delete</button>
          <button type="button" onClick={() => setConfirming(false)}>Keep it</button>
        </div>
      )}
      {editing && <CredentialForm service={c.service} key_={c.key} onDone={() => setEditing(false)} />}
    </li>
  );
}

/** Credentials grouped by service: metadata, add/edit/delete, reveal (30 s), copy (cleared after 20 s), custom credentials. */
export function Credentials() {
  const { credentialsLoading, credentialsError, loadCredentials } = useVault(useShallow((s) => ({ credentialsLoading: s.credentialsLoading, credentialsError: s.credentialsError, loadCredentials: s.loadCredentials })));
  const credentials = useVault((s) => s.credentials);
  const groups = useMemo(() => groupByService(credentials), [credentials]);
  const [adding, setAdding] = useState(false);
  useEffect(() => void loadCredentials(), [loadCredentials]);
  if (credentialsError) return <ErrorNote error={credentialsError} onRetry={() => void loadCredentials()} />;
  if (credentialsLoading && !groups.length) return <Loading what="credentials" />;
  return (
    <div>
      {!groups.length && <p>No credentials yet.</p>}
      {groups.map(([service, list]) => (
        <section key={service} aria-labelledby={`svc-${service}`} className="service">
          <h2 id={`svc-${service}`}>{service}</h2>
          <ul>{list.map((c) => <CredentialRow key={c.id} c={c} />)}</ul>
        </section>
      ))}
      <section aria-label="Custom credential" className="service">
        {adding ? <CredentialForm onDone={() => setAdding(false)} /> : <button type="button" onClick={() => setAdding(true)}>Add a custom credential</button>}
      </section>
    </div>
  );
}
