import { useEffect, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { catalogEntry } from '../../shared/core/catalog';
import { timeZones } from '../../shared/core/timezone';
import { WORKFLOW_NAMES, WORKFLOWS, type WorkflowName } from '../../shared/core/workflows';
import { CredentialForm } from '../components/CredentialForm';
import { Field } from '../components/common';
import { useVault } from '../store';
import { Migration } from './Migration';

type Step = 'welcome' | 'migrate' | 'basics' | 'credentials' | 'review' | 'done';

/** Credentials each workflow asks for in onboarding; HuggingFace is always required. */
function wanted(workflows: WorkflowName[]): Array<{ id: string; required: boolean }> {
  const ids = new Set<string>(['huggingface.token']);
  if (workflows.includes('subtitle')) ids.add('tmdb.api_key');
  if (workflows.includes('diarize')) ids.add('pyannote.token');
  if (workflows.includes('summarize')) ['openai.api_key', 'anthropic.api_key', 'google.api_key'].forEach((i) => ids.add(i));
  return [...ids].map((id) => ({ id, required: id === 'huggingface.token' }));
}

const systemZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** First run: welcome, migration when a secrets.json is found, basics, keys, review, readiness. */
export function Onboarding() {
  const o = useVault(useShallow((s) => ({
    plan: s.plan, loadPlan: s.loadPlan, saveProfile: s.saveProfile, credentials: s.credentials, loadCredentials: s.loadCredentials,
    workflows: s.workflows, loadWorkflows: s.loadWorkflows, go: s.go, refreshDoctor: s.refreshDoctor, fieldErrors: s.profileFieldErrors,
  })));
  const [step, setStep] = useState<Step>('welcome');
  const [basics, setBasics] = useState({ name: '', email: '', timezone: systemZone(), default_workflow: 'transcribe' as WorkflowName });
  const [chosen, setChosen] = useState<WorkflowName[]>(['transcribe']);
  const [editing, setEditing] = useState<string | null>(null);
  const { loadPlan, loadCredentials } = o;
  useEffect(() => void loadPlan(), [loadPlan]);
  useEffect(() => void loadCredentials(), [loadCredentials]);
  const hasSource = !!o.plan && o.plan.plan.counts.apply > 0;
  const has = (id: string) => !!o.credentials.find((c) => c.id === id)?.source;
  const needs = wanted(chosen);
  const heading = (text: string) => <h2 tabIndex={-1} ref={(el) => el?.focus()}>{text}</h2>;

  const saveBasics = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await o.saveProfile({ user: { name: basics.name, email: basics.email, timezone: basics.timezone }, preferences: { default_workflow: basics.default_workflow } });
    if (ok) setStep('credentials');
  };
  const finish = async () => {
    await Promise.all([o.loadWorkflows(), o.refreshDoctor()]);
    setStep('done');
  };

  return (
    <section className="onboarding" aria-label="Onboarding">
      {step === 'welcome' && (
        <div>
          {heading('Welcome to cpw-vault')}
          <p>Your pipeline API keys go to the OS keychain. Your profile file keeps only your details and which keys exist — never a key.</p>
          {hasSource && <p className="warning">Found plaintext secrets in <code>{o.plan!.path}</code>. You can move them into the keychain in one step.</p>}
          <button type="button" className="primary" onClick={() => setStep(hasSource ? 'migrate' : 'basics')}>Get started</button>
        </div>
      )}
      {step === 'migrate' && (
        <div>
          {heading('Move your secrets.json into the keychain')}
          <Migration />
          <button type="button" className="primary" onClick={() => setStep('basics')}>Continue</button>
        </div>
      )}
      {step === 'basics' && (
        <form onSubmit={(e) => void saveBasics(e)}>
          {heading('About you')}
          <Field label="Name" error={o.fieldErrors.find((f) => f.path === 'user.name')?.message}>{(f) => <input id={f.id} value={basics.name} onChange={(e) => setBasics({ ...basics, name: e.target.value })} aria-describedby={f.describedBy} />}</Field>
          <Field label="Email (optional)" error={o.fieldErrors.find((f) => f.path === 'user.email')?.message}>{(f) => <input id={f.id} type="email" value={basics.email} onChange={(e) => setBasics({ ...basics, email: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} />}</Field>
          <Field label="Time zone" error={o.fieldErrors.find((f) => f.path === 'user.timezone')?.message}>
            {(f) => <select id={f.id} value={basics.timezone} onChange={(e) => setBasics({ ...basics, timezone: e.target.value })}>{timeZones().map((z) => <option key={z}>{z}</option>)}</select>}
          </Field>
          <Field label="Default workflow">
            {(f) => <select id={f.id} value={basics.default_workflow} onChange={(e) => setBasics({ ...basics, default_workflow: e.target.value as WorkflowName })}>{WORKFLOW_NAMES.map((w) => <option key={w}>{w}</option>)}</select>}
          </Field>
          <fieldset>
            <legend>Workflows you will run</legend>
            {WORKFLOW_NAMES.map((w) => (
              <label key={w} className="check">
                <input type="checkbox" checked={chosen.includes(w)} onChange={(e) => setChosen(e.target.checked ? [...chosen, w] : chosen.filter((x) => x !== w))} /> {WORKFLOWS[w].title} — {WORKFLOWS[w].stage}
              </label>
            ))}
          </fieldset>
          <button type="submit" className="primary">Continue</button>
        </form>
      )}
      {step === 'credentials' && (
        <div>
          {heading('Your keys')}
          <ul className="onboarding-keys">
            {needs.map(({ id, required }) => {
              const entry = catalogEntry(id)!;
              return (
                <li key={id}>
                  <p><strong>{entry.label}</strong> {required ? '(required)' : '(optional)'} — {has(id) ? '✓ stored' : 'not set'}</p>
                  {editing === id ? (
                    <CredentialForm service={entry.service} key_={entry.key} onDone={() => setEditing(null)} />
                  ) : (
                    <button type="button" onClick={() => setEditing(id)}>{has(id) ? 'Replace' : 'Add'} {entry.label}</button>
                  )}
                </li>
              );
            })}
          </ul>
          <button type="button" className="primary" disabled={!has('huggingface.token')} onClick={() => setStep('review')}>Continue</button>
          {!has('huggingface.token') && <p className="hint">The HuggingFace token is required.</p>}
        </div>
      )}
      {step === 'review' && (
        <div>
          {heading('Review')}
          <dl>
            <dt>Name</dt><dd>{basics.name || '—'}</dd>
            <dt>Email</dt><dd>{basics.email || '—'}</dd>
            <dt>Time zone</dt><dd>{basics.timezone}</dd>
            <dt>Default workflow</dt><dd>{basics.default_workflow}</dd>
            <dt>Keys stored</dt><dd>{needs.filter((n) => has(n.id)).map((n) => catalogEntry(n.id)!.label).join(', ') || '—'}</dd>
          </dl>
          <button type="button" onClick={() => setStep('credentials')}>Back</button> <button type="button" className="primary" onClick={() => void finish()}>Finish</button>
        </div>
      )}
      {step === 'done' && (
        <div>
          {heading('You are set up')}
          <ul className="readiness">
            {o.workflows.map((w) => <li key={w.workflow}>{w.ready ? '✓' : '✗'} {w.title}: {w.ready ? 'ready' : `missing ${w.missing.map((m) => m.description).join(', ')}`}</li>)}
          </ul>
          <p>Next, in a terminal: <code>cpw-vault exec --workflow {basics.default_workflow} -- &lt;your stage&gt;</code></p>
          <button type="button" className="primary" onClick={() => o.go('workflows')}>Open the workflows</button>
        </div>
      )}
    </section>
  );
}
