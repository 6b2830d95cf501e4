import { useEffect, useRef, useState, type ReactNode } from 'react';
import { catalogEntry } from '../../shared/core/catalog';
import type { AiProvider, OfferedCredential, WorkflowName } from '../../shared/core/workflows';
import { WORKFLOWS, offeredCredentials, validateWorkflow } from '../../shared/core/workflows';
import { CredentialForm } from '../components/CredentialForm';
import { useVault } from '../store';
import { selectBackend } from '../store/app-slice';

/**
 * The keys step: the credentials the chosen workflows need, derived from the
 * workflow catalog exactly as `cpw-vault setup` derives them. Continue opens
 * once the default workflow is ready.
 */
export function useOffered(main: WorkflowName, chosen: WorkflowName[], provider: AiProvider | undefined) {
  const credentials = useVault((s) => s.credentials);
  const has = (id: string) => !!credentials.find((c) => c.id === id)?.source;
  const offered: OfferedCredential[] = offeredCredentials(main, chosen, provider);
  const ready = validateWorkflow(main, has, provider);
  return { offered, has, ready };
}

export function KeysStep({ main, chosen, provider, heading, nav }: { main: WorkflowName; chosen: WorkflowName[]; provider: AiProvider | undefined; heading: ReactNode; nav: (canContinue: boolean) => ReactNode }) {
  const { offered, has, ready } = useOffered(main, chosen, provider);
  const [editing, setEditing] = useState<string | null>(null);
  const [refocus, setRefocus] = useState<string | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement | null>());
  const backend = useVault(selectBackend);
  useEffect(() => {
    if (refocus) buttons.current.get(refocus)?.focus();
    setRefocus(null);
  }, [refocus]);
  return (
    <div>
      {heading}
      <p>Your keys go to {backend === 'file' ? 'your vault file' : 'the OS keychain'}. {WORKFLOWS[main].title} is your default workflow: what it needs is required; the rest is optional and can be added later.</p>
      <ul className="onboarding-keys">
        {offered.map(({ id, required, purpose }) => {
          const entry = catalogEntry(id)!;
          return (
            <li key={id}>
              <p><strong>{entry.label}</strong> {required ? '(required)' : '(optional)'} — for {purpose} — {has(id) ? '✓ stored' : 'not set'}</p>
              {editing === id ? (
                <CredentialForm service={entry.service} key_={entry.key} onDone={() => (setEditing(null), setRefocus(id))} />
              ) : (
                <button type="button" ref={(el) => void buttons.current.set(id, el)} onClick={() => setEditing(id)}>{has(id) ? 'Replace' : 'Add'} {entry.label}</button>
              )}
            </li>
          );
        })}
      </ul>
      {!ready.ready && <p className="hint">{WORKFLOWS[main].title} needs {ready.missing.map((m) => m.description).join(' and ')} before you continue.</p>}
      {nav(ready.ready)}
    </div>
  );
}
