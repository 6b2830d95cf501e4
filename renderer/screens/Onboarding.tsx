import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { catalogEntry } from '../../shared/core/catalog';
import { AI_PROVIDERS, WORKFLOW_NAMES, WORKFLOWS, type AiProvider, type WorkflowName } from '../../shared/core/workflows';
import { asApiError, getApi, type ApiError } from '../api';
import { ErrorNote, Field, SoftButton } from '../components/common';
import { TimeZoneField, timeZoneError } from '../components/TimeZoneField';
import { useVault } from '../store';
import { Migration } from './Migration';
import { BrokenLegacyWelcome } from './OnboardingBrokenLegacy';
import { KeysStep, useOffered } from './OnboardingKeys';

type Step = 'welcome' | 'migrate' | 'basics' | 'keys' | 'review' | 'done';
const STEP_TEXT: Record<Step, string> = { welcome: 'Welcome', migrate: 'Move plaintext', basics: 'About you', keys: 'Your keys', review: 'Review', done: 'Done' };

const systemZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const fileName = (path: string) => path.split(/[\\/]/).pop() ?? path;

type Basics = { name: string; email: string; timezone: string; default_workflow: WorkflowName };

function StepIndicator({ steps, step }: { steps: Step[]; step: Step }) {
  return (
    <ol className="steps" aria-label="Progress">
      {steps.map((s, i) => <li key={s} aria-current={s === step ? 'step' : undefined} className={steps.indexOf(step) > i ? 'past' : undefined}>{i + 1}. {STEP_TEXT[s]}</li>)}
    </ol>
  );
}

function Welcome({ heading, next, ready }: { heading: (t: string) => ReactNode; next: () => void; ready: boolean }) {
  const o = useVault(useShallow((s) => ({ start: s.start, sources: s.sources })));
  const found = o.sources[0]?.path;
  if (o.start === 'broken-legacy') return <BrokenLegacyWelcome heading={heading} next={next} ready={ready} />;
  if (o.start === 'legacy' || o.start === 'seed') {
    const path = found ?? (o.start === 'seed' ? 'your profile' : 'config/secrets.json');
    return (
      <div>
        {heading('cpw-vault is reading plaintext secrets')}
        <p className="warning">Your keys are in <code>{path}</code>, a plaintext file anyone who can read your files can read. cpw-vault reads it for now but will not build your profile on top of it.</p>
        <p>First move the keys into the OS keychain (you see the plan before anything changes), then set up your profile.</p>
        <div className="actions"><button type="button" className="primary" onClick={next} disabled={!ready}>Move them into the keychain</button></div>
      </div>
    );
  }
  return (
    <div>
      {heading('Welcome to cpw-vault')}
      <p>Your pipeline API keys go to the OS keychain. Your profile file keeps only your details and which keys exist — never a key.</p>
      {found && <p className="warning">Found plaintext secrets in <code>{found}</code>. You can move them into the keychain in one step.</p>}
      <div className="actions"><button type="button" className="primary" onClick={next} disabled={!ready}>Get started</button></div>
    </div>
  );
}

function BasicsForm({ heading, basics, setBasics, chosen, setChosen, onSaved, back }: {
  heading: ReactNode; basics: Basics; setBasics: (b: Basics) => void; chosen: WorkflowName[]; setChosen: (c: WorkflowName[]) => void; onSaved: () => void; back: ReactNode;
}) {
  const o = useVault(useShallow((s) => ({ save: s.saveProfile, saving: s.profileSaving, fieldErrors: s.profileFieldErrors, saveError: s.profileSaveError })));
  // What the last Continue sent: a refused field's error describes that value, and leaves once the field is changed
  // (as on the Profile screen); it stayed under the corrected email, saying it was wrong.
  const [sent, setSent] = useState<Basics | null>(null);
  // A refused Continue moves the focus to the first refused field: it stayed on Continue, and its error (not an alert:
  // a quiet save) went unannounced, so to a keyboard or screen-reader user Continue did nothing.
  const form = useRef<HTMLFormElement>(null);
  const [refused, setRefused] = useState(0);
  useEffect(() => void (refused && form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()), [refused]);
  const fieldError = (path: string) => {
    const field = path.split('.').at(-1) as keyof Basics;
    return sent && Object.hasOwn(sent, field) && sent[field] !== basics[field] ? undefined : o.fieldErrors.find((f) => f.path === path)?.message;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (o.saving) return;
    setSent(basics);
    const ok = await o.save({ user: { name: basics.name, email: basics.email, timezone: basics.timezone }, preferences: { default_workflow: basics.default_workflow } }, { quiet: true });
    if (ok) onSaved();
    else if (useVault.getState().profileFieldErrors.length) setRefused((n) => n + 1);
  };
  const toggle = (w: WorkflowName, on: boolean) => setChosen(on ? [...chosen, w] : chosen.filter((x) => x !== w));
  return (
    <form ref={form} onSubmit={(e) => void submit(e)} noValidate>
      {heading}
      <Field label="Name" error={fieldError('user.name')}>{(f) => <input id={f.id} value={basics.name} onChange={(e) => setBasics({ ...basics, name: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} autoComplete="name" />}</Field>
      <Field label="Email (optional)" error={fieldError('user.email')}>{(f) => <input id={f.id} type="email" value={basics.email} onChange={(e) => setBasics({ ...basics, email: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} autoComplete="email" />}</Field>
      <TimeZoneField value={basics.timezone} onChange={(z) => setBasics({ ...basics, timezone: z })} error={fieldError('user.timezone')} />
      <Field label="Default workflow">
        {(f) => <select id={f.id} value={basics.default_workflow} onChange={(e) => setBasics({ ...basics, default_workflow: e.target.value as WorkflowName })}>{WORKFLOW_NAMES.map((w) => <option key={w} value={w}>{WORKFLOWS[w].title}</option>)}</select>}
      </Field>
      <fieldset>
        <legend>Other workflows you will run</legend>
        {WORKFLOW_NAMES.filter((w) => w !== basics.default_workflow).map((w) => (
          <label key={w} className="check"><input type="checkbox" checked={chosen.includes(w)} onChange={(e) => toggle(w, e.target.checked)} /> {WORKFLOWS[w].title} — {WORKFLOWS[w].stage}</label>
        ))}
      </fieldset>
      {o.saveError && !o.fieldErrors.length && <ErrorNote error={o.saveError} />}
      <div className="actions">
        {back}
        <button type="submit" className="primary" disabled={!!timeZoneError(basics.timezone)} aria-disabled={o.saving || undefined}>{o.saving ? 'Saving…' : 'Continue'}</button>
      </div>
    </form>
  );
}

/**
 * First run: welcome; the migration first when a plaintext file is found (or
 * is standing in for the profile); your details; the keys your workflows
 * need (the same list as `cpw-vault setup`); review; readiness. A step
 * indicator and Back on every step; each step's heading takes the focus.
 */
export function Onboarding() {
  const o = useVault(useShallow((s) => ({
    start: s.start, sources: s.sources, loaded: s.sourcesLoaded, loadSources: s.loadSources, loadCredentials: s.loadCredentials, migrationResult: s.migrationResult, plan: s.plan, removed: s.removed,
    workflows: s.workflows, loadWorkflows: s.loadWorkflows, go: s.go, profile: s.profile,
  })));
  const [step, setStep] = useState<Step>('welcome');
  const [basics, setBasics] = useState<Basics>({ name: '', email: '', timezone: systemZone(), default_workflow: 'transcribe' });
  const [chosen, setChosen] = useState<WorkflowName[]>([]);
  const [finishError, setFinishError] = useState<ApiError | null>(null);
  const [finishing, setFinishing] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const { loadSources, loadCredentials } = o;
  useEffect(() => void Promise.all([loadSources(), loadCredentials()]), [loadSources, loadCredentials]);
  useEffect(() => {
    // Each step's heading takes the focus; the first one too when nothing has it (it was left on <body> at start).
    if (!first.current || document.activeElement === document.body || !document.activeElement) headingRef.current?.focus();
    first.current = false;
  }, [step]);
  const provider = (AI_PROVIDERS as readonly string[]).includes(o.profile?.profile.preferences.ai_provider ?? '') ? (o.profile!.profile.preferences.ai_provider as AiProvider) : undefined;
  const others = chosen.filter((w) => w !== basics.default_workflow);
  const { offered, has } = useOffered(basics.default_workflow, others, provider);
  // A broken secrets.json cannot be planned: the profile comes first (its keys are migrated once the file is fixed).
  const migrate = o.sources.length > 0 && o.start !== 'broken-legacy';
  const steps: Step[] = ['welcome', ...(migrate ? (['migrate'] as const) : []), 'basics', 'keys', 'review', 'done'];
  const go = (s: Step) => setStep(s);
  const back = (to: Step) => <button type="button" onClick={() => go(to)}>Back</button>;
  const prev = steps[steps.indexOf(step) - 1] ?? 'welcome';
  const heading = (text: string) => <h3 tabIndex={-1} ref={headingRef}>{text}</h3>;
  const legacy = o.start === 'legacy' || o.start === 'seed';
  // Removed: the plaintext file is gone once its entries were all in the vault (the next source found may be planned by then).
  const migrated = !!o.migrationResult?.ok || o.plan?.plan.counts.apply === 0 || o.removed.length > 0;

  const finish = async () => {
    setFinishing(true);
    setFinishError(null);
    try {
      const [doctor] = await Promise.all([getApi().doctor(), o.loadWorkflows()]);
      const failed = useVault.getState().workflowsError;
      if (failed) throw failed;
      useVault.setState({ doctor });
      go('done');
    } catch (err) {
      setFinishError(asApiError(err));
    } finally {
      setFinishing(false);
    }
  };

  return (
    <section className="onboarding" aria-label="Onboarding">
      <StepIndicator steps={steps} step={step} />
      {step === 'welcome' && <Welcome heading={heading} next={() => go(steps[1]!)} ready={o.loaded} />}
      {step === 'migrate' && (
        <div>
          {heading(`Move ${fileName(o.sources[0]?.path ?? 'your secrets')} into the keychain`)}
          <p>cpw-vault found <code>{o.sources[0]?.path}</code>. Check the plan, then migrate; nothing changes before you press Migrate.</p>
          <Migration />
          {legacy && !migrated && <p className="hint">Your profile can be created once these keys are in the keychain.</p>}
          <div className="actions">{back(prev)}<button type="button" className="primary" disabled={legacy && !migrated} onClick={() => go('basics')}>Continue</button></div>
        </div>
      )}
      {step === 'basics' && <BasicsForm heading={heading('About you')} basics={basics} setBasics={setBasics} chosen={others} setChosen={setChosen} onSaved={() => go('keys')} back={back(prev)} />}
      {step === 'keys' && <KeysStep main={basics.default_workflow} chosen={others} provider={provider} heading={heading('Your keys')} nav={(ok, canLeave) => <div className="actions"><button type="button" onClick={() => go('basics')} disabled={!canLeave}>Back</button><button type="button" className="primary" disabled={!ok} onClick={() => go('review')}>Continue</button></div>} />}
      {step === 'review' && (
        <div>
          {heading('Review')}
          <dl>
            <dt>Name</dt><dd>{basics.name || '—'}</dd>
            <dt>Email</dt><dd>{basics.email || '—'}</dd>
            <dt>Time zone</dt><dd>{basics.timezone || '—'}</dd>
            <dt>Default workflow</dt><dd>{WORKFLOWS[basics.default_workflow].title}</dd>
            <dt>Keys stored</dt><dd>{offered.filter((n) => has(n.id)).map((n) => catalogEntry(n.id)!.label).join(', ') || '—'}</dd>
          </dl>
          {finishError && <ErrorNote error={finishError} onRetry={() => void finish()} />}
          <div className="actions">{back('keys')}<SoftButton type="button" className="primary" off={finishing} onClick={() => void finish()}>{finishing ? 'Checking…' : 'Finish'}</SoftButton></div>
        </div>
      )}
      {step === 'done' && (
        <div>
          {heading('You are set up')}
          <ul className="readiness">
            {o.workflows.map((w) => <li key={w.workflow}>{w.ready ? '✓' : '✗'} {w.title}: {w.ready ? 'ready' : `missing ${w.missing.map((m) => m.description).join(', ')}`}</li>)}
          </ul>
          <p>Next, in a terminal: <code>cpw-vault exec --workflow {basics.default_workflow} -- &lt;your stage&gt;</code></p>
          <div className="actions">{back('review')}<button type="button" className="primary" onClick={() => o.go('workflows')}>Open the workflows</button></div>
        </div>
      )}
    </section>
  );
}
