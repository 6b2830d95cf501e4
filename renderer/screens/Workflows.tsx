import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorNote, Loading } from '../components/common';
import { keychainReason } from '../components/CredentialDetail';
import { VerifyAll } from '../components/VerifyAll';
import { useVault } from '../store';
import { selectKeychainProblem } from '../store/app-slice';
import { readinessOf } from '../store/workflows-slice';

const STATUS_TEXT = { ready: '✓ Ready', missing: '✗ Missing credentials', unknown: '? Unknown' } as const;

/** A card per workflow: ready, missing (with a Fix that opens the right form) or unknown while the keychain cannot be read; then "Verify all". */
export function Workflows() {
  const s = useVault(useShallow((st) => ({
    workflows: st.workflows, loading: st.workflowsLoading, error: st.workflowsError, load: st.loadWorkflows,
    credentials: st.credentials, loadCredentials: st.loadCredentials, go: st.go,
  })));
  const keychain = useVault(selectKeychainProblem);
  const { load, loadCredentials } = s;
  useEffect(() => void Promise.all([load(), loadCredentials()]), [load, loadCredentials]);
  if (s.error) return <ErrorNote error={s.error} onRetry={() => void load()} />;
  if (s.loading && !s.workflows.length) return <Loading what="workflows" />;
  if (!s.workflows.length) return <p>No workflows to show.</p>;
  return (
    <>
      <ul className="cards">
        {s.workflows.map((w) => {
          const readiness = readinessOf(w, s.credentials, !!keychain);
          return (
            <li key={w.workflow} className={`card ${readiness}`}>
              <h3>{w.title}</h3>
              <p className="status">{STATUS_TEXT[readiness]}</p>
              {readiness === 'unknown' && keychain && <p className="muted">It uses {w.uses.join(', ')}, which cannot be checked: {keychainReason(keychain)}.</p>}
              {readiness === 'ready' && <p className="muted">Uses {w.uses.join(', ')}</p>}
              {w.missing.map((m) => (
                <div key={m.description} className="missing-item">
                  <p>Missing: {m.description}</p>
                  <button type="button" className="primary" onClick={() => s.go('credentials', m.credentials[0] ?? null)} aria-label={`Fix ${w.title}: add ${m.description}`}>Fix</button>
                </div>
              ))}
              {w.warnings.map((x) => <p key={x} className="warning">{x}</p>)}
              {w.notes.map((x) => <p key={x} className="muted">{x}</p>)}
            </li>
          );
        })}
      </ul>
      <VerifyAll />
    </>
  );
}
