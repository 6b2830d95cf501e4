import { useEffect, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { isTimeZone, timeZones } from '../../shared/core/timezone';
import { AI_PROVIDERS, WORKFLOW_NAMES } from '../../shared/core/workflows';
import type { ProfileView } from '../../shared/core/views';
import { ErrorNote, Field, Loading } from '../components/common';
import { useVault } from '../store';

type Draft = {
  name: string; email: string; job_title: string; timezone: string; avatar_url: string;
  default_workflow: string; default_source_language: string; ai_provider: string; enable_cost_tracking: boolean;
  run_finished: boolean; run_failed: boolean; credential_missing: boolean;
};

function draftOf(view: ProfileView): Draft {
  const { user, preferences: p } = view.profile;
  return {
    name: user.name, email: user.email, job_title: user.job_title, timezone: user.timezone, avatar_url: user.avatar_url,
    default_workflow: p.default_workflow, default_source_language: p.default_source_language, ai_provider: p.ai_provider, enable_cost_tracking: p.enable_cost_tracking,
    run_finished: p.notifications.run_finished, run_failed: p.notifications.run_failed, credential_missing: p.notifications.credential_missing,
  };
}

/** Checks the browser can do before saving (main checks everything again). */
function localErrors(d: Draft): Record<string, string> {
  const e: Record<string, string> = {};
  if (d.timezone && !isTimeZone(d.timezone)) e['user.timezone'] = 'must be an IANA time zone such as Europe/Paris or UTC';
  if (d.avatar_url && !/^https:\/\/[^\s/]+\.[^\s]+$/.test(d.avatar_url)) e['user.avatar_url'] = 'must be an https:// URL';
  if (d.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(d.email)) e['user.email'] = 'must be an email address such as ada@example.com';
  return e;
}

/** User details and preferences: validated, save disabled while saving, inline field errors, a toast. */
export function Profile() {
  const s = useVault(useShallow((st) => ({ profile: st.profile, loading: st.profileLoading, error: st.profileError, saving: st.profileSaving, serverErrors: st.profileFieldErrors, load: st.loadProfile, save: st.saveProfile })));
  const [draft, setDraft] = useState<Draft | null>(null);
  const [touched, setTouched] = useState(false);
  const { load } = s;
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (s.profile && !touched) setDraft(draftOf(s.profile));
  }, [s.profile, touched]);
  if (s.error) return <ErrorNote error={s.error} onRetry={() => void s.load()} />;
  if (!draft) return <Loading what="your profile" />;
  const local = localErrors(draft);
  const errorFor = (path: string) => local[path] ?? s.serverErrors.find((f) => f.path === path)?.message;
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setTouched(true);
    setDraft({ ...draft, [k]: v });
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await s.save({
      user: { name: draft.name, email: draft.email, job_title: draft.job_title, timezone: draft.timezone, avatar_url: draft.avatar_url },
      preferences: {
        default_workflow: draft.default_workflow as never, default_source_language: draft.default_source_language, ai_provider: draft.ai_provider as never,
        enable_cost_tracking: draft.enable_cost_tracking, notifications: { run_finished: draft.run_finished, run_failed: draft.run_failed, credential_missing: draft.credential_missing },
      },
    });
    if (ok) setTouched(false);
  };
  const text = (k: 'name' | 'email' | 'job_title' | 'avatar_url' | 'default_source_language', label: string, path: string, type = 'text', hint?: string) => (
    <Field label={label} error={errorFor(path)} hint={hint}>
      {(f) => <input id={f.id} type={type} value={draft[k]} onChange={(e) => set(k, e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} />}
    </Field>
  );
  const toggle = (k: 'enable_cost_tracking' | 'run_finished' | 'run_failed' | 'credential_missing', label: string) => (
    <label className="check"><input type="checkbox" checked={draft[k]} onChange={(e) => set(k, e.target.checked)} /> {label}</label>
  );
  return (
    <form className="profile" onSubmit={(e) => void submit(e)} noValidate>
      <fieldset>
        <legend>You</legend>
        {s.profile && <p className="muted">Saved in <code>{s.profile.path}</code></p>}
        {text('name', 'Name', 'user.name')}
        {text('email', 'Email', 'user.email', 'email')}
        {text('job_title', 'Job title', 'user.job_title')}
        <Field label="Time zone" error={errorFor('user.timezone')}>
          {(f) => (
            <select id={f.id} value={draft.timezone} onChange={(e) => set('timezone', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined}>
              <option value="">Not set</option>
              {timeZones().map((z) => <option key={z} value={z}>{z}</option>)}
            </select>
          )}
        </Field>
        {text('avatar_url', 'Avatar URL', 'user.avatar_url', 'url', 'An https:// image')}
        {draft.avatar_url && !local['user.avatar_url'] && <img className="avatar" src={draft.avatar_url} alt="Avatar preview" width={64} height={64} />}
      </fieldset>
      <fieldset>
        <legend>Preferences</legend>
        <Field label="Default workflow" error={errorFor('preferences.default_workflow')}>
          {(f) => <select id={f.id} value={draft.default_workflow} onChange={(e) => set('default_workflow', e.target.value)}>{WORKFLOW_NAMES.map((w) => <option key={w}>{w}</option>)}</select>}
        </Field>
        {text('default_source_language', 'Source language', 'preferences.default_source_language', 'text', 'A code such as en, de or pt-BR, or auto')}
        <Field label="AI provider" error={errorFor('preferences.ai_provider')}>
          {(f) => <select id={f.id} value={draft.ai_provider} onChange={(e) => set('ai_provider', e.target.value)}>{AI_PROVIDERS.map((p) => <option key={p}>{p}</option>)}</select>}
        </Field>
        {toggle('enable_cost_tracking', 'Track AI costs')}
        {toggle('run_finished', 'Notify when a run finishes')}
        {toggle('run_failed', 'Notify when a run fails')}
        {toggle('credential_missing', 'Notify when a workflow misses a credential')}
      </fieldset>
      <button type="submit" className="primary" disabled={s.saving || Object.keys(local).length > 0}>{s.saving ? 'Saving…' : 'Save profile'}</button>
    </form>
  );
}
