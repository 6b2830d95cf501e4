import { useShallow } from 'zustand/react/shallow';
import { useEffect } from 'react';
import { useVault } from '../store';
import { ErrorNote, Loading } from '../components/common';

/** A card per workflow: ready or not, what is missing, and a Fix that opens the right form. */
export function Workflows() {
  const { workflows, workflowsLoading, workflowsError, loadWorkflows, go } = useVault(useShallow((s) => ({ workflows: s.workflows, workflowsLoading: s.workflowsLoading, workflowsError: s.workflowsError, loadWorkflows: s.loadWorkflows, go: s.go })));
  useEffect(() => void loadWorkflows(), [loadWorkflows]);
  if (workflowsError) return <ErrorNote error={workflowsError} onRetry={() => void loadWorkflows()} />;
  if (workflowsLoading && !workflows.length) return <Loading what="workflows" />;
  if (!workflows.length) return <p>No workflows to show.</p>;
  return (
    <ul className="cards">
      {workflows.map((w) => (
        <li key={w.workflow} className={`card ${w.ready ? 'ready' : 'missing'}`}>
          <h2>{w.title}</h2>
          <p className="status">{w.ready ? '✓ Ready' : '✗ Missing credentials'}</p>
          {w.ready && <p className="muted">Uses {w.uses.join(', ')}</p>}
          {w.missing.map((m) => (
            <div key={m.description} className="missing-item">
              <p>Missing: {m.description}</p>
              <button type="button" className="primary" onClick={() => go('credentials', m.credentials[0] ?? null)} aria-label={`Fix ${w.title}: add ${m.description}`}>Fix</button>
            </div>
          ))}
          {w.warnings.map((x) => <p key={x} className="warning">{x}</p>)}
          {w.notes.map((x) => <p key={x} className="muted">{x}</p>)}
        </li>
      ))}
    </ul>
  );
}
