import { useEffect, useRef, useState, type ReactNode } from 'react';
import { catalogEntry } from '../../shared/core/catalog';
import { agreeing } from '../../shared/core/plural';
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

export function KeysStep({ main, chosen, provider, heading, nav }: { main: WorkflowName; chosen: WorkflowName[]; provider: AiProvider | undefined; heading: ReactNode; nav: (canContinue: boolean, canLeave: boolean) => ReactNode }) {
  const { offered, has, ready } = useOffered(main, chosen, provider);
  // Every form opened stays open until saved or cancelled: one form in place of another dropped the key half typed
  // into it, and so did Continue or Back (the step goes), which wait meanwhile for those with typing.
  const [editing, setEditing] = useState<ReadonlySet<string>>(new Set());
  const [typing, setTyping] = useState<ReadonlySet<string>>(new Set());
  const [refocus, setRefocus] = useState<string | null>(null);
  // One callback per credential for good: the form reports through it from an effect keyed by it.
  const typedCallbacks = useRef(new Map<string, (on: boolean) => void>());
  const typedFor = (id: string) => {
    if (!typedCallbacks.current.has(id)) typedCallbacks.current.set(id, (on) => setTyping((was) => (was.has(id) === on ? was : on ? new Set(was).add(id) : new Set([...was].filter((x) => x !== id)))));
    return typedCallbacks.current.get(id)!;
  };
  const close = (id: string) => (setEditing((was) => new Set([...was].filter((x) => x !== id))), setRefocus(id));
  const unsaved = offered.filter(({ id }) => typing.has(id)).map(({ id }) => catalogEntry(id)!.label);
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
              {editing.has(id) ? (
                <CredentialForm service={entry.service} key_={entry.key} onTyped={typedFor(id)} onDone={() => close(id)} />
              ) : (
                <button type="button" ref={(el) => void buttons.current.set(id, el)} onClick={() => setEditing((was) => new Set(was).add(id))}>{has(id) ? 'Replace' : 'Add'} {entry.label}</button>
              )}
            </li>
          );
        })}
      </ul>
      {!ready.ready && <p className="hint">{WORKFLOWS[main].title} needs {ready.missing.map((m) => m.description).join(' and ')} before you continue.</p>}
      {unsaved.length > 0 && <p className="hint">Save or cancel the {agreeing(unsaved.length, 'key', 'keys')} you typed ({unsaved.join(', ')}) first: {agreeing(unsaved.length, 'it is', 'they are')} not saved yet.</p>}
      {nav(ready.ready && !unsaved.length, !unsaved.length)}
    </div>
  );
}
