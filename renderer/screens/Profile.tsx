import { useEffect, type FormEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ProfileView } from '../../shared/core/views';
import { AI_PROVIDERS, WORKFLOW_NAMES } from '../../shared/core/workflows';
import { ErrorNote, Field, Loading, SoftButton, useToastsAbove } from '../components/common';
import { TimeZoneField, timeZoneError } from '../components/TimeZoneField';
import { initials } from '../format';
import { useVault } from '../store';
import type { ProfileDraft as Draft } from '../store/profile-slice';

type TextKey = 'name' | 'email' | 'job_title' | 'avatar_url' | 'default_source_language';
type ToggleKey = 'enable_cost_tracking' | 'run_finished' | 'run_failed' | 'credential_missing';

/**
 * Each field's label, by the path main names it with when it refuses a save (user.name). The form's labels come from
 * here and so do the names in a refused save's toast: the toast says "Name", as the form does, not "user.name".
 */
export const FIELD_LABELS = {
  'user.name': 'Name',
  'user.email': 'Email',
  'user.job_title': 'Job title',
  'user.timezone': 'Time zone (dates in the app use it)',
  'user.avatar_url': 'Avatar URL',
  'preferences.default_workflow': 'Default workflow',
  'preferences.default_source_language': 'Source language',
  'preferences.ai_provider': 'AI provider',
  'preferences.enable_cost_tracking': 'Track AI costs (CPW_COST_TRACKING)',
  'preferences.notifications.run_finished': 'Notify when a run finishes',
  'preferences.notifications.run_failed': 'Notify when a run fails or is interrupted',
  'preferences.notifications.credential_missing': 'Notify when a run is refused for a missing credential',
} as const;
type FieldPath = keyof typeof FIELD_LABELS;

export function draftOf(view: ProfileView): Draft {
  const { user, preferences: p } = view.profile;
  return {
    name: user.name, email: user.email, job_title: user.job_title, timezone: user.timezone, avatar_url: user.avatar_url,
    default_workflow: p.default_workflow, default_source_language: p.default_source_language, ai_provider: p.ai_provider, enable_cost_tracking: p.enable_cost_tracking,
    run_finished: p.notifications.run_finished, run_failed: p.notifications.run_failed, credential_missing: p.notifications.credential_missing,
  };
}

/** Checks the page can do before saving (main checks everything again). */
function localErrors(d: Draft): Record<string, string> {
  const e: Record<string, string> = {};
  const tz = timeZoneError(d.timezone);
  if (tz) e['user.timezone'] = tz;
  if (d.avatar_url && !/^https:\/\/[^\s/]+\.[^\s]+$/.test(d.avatar_url)) e['user.avatar_url'] = 'must be an https:// URL';
  if (d.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(d.email)) e['user.email'] = 'must be an email address such as ada@example.com';
  if (d.default_source_language && !/^(auto|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/.test(d.default_source_language)) e['preferences.default_source_language'] = 'must be a language code such as en, de or pt-BR, or auto';
  return e;
}

/** The saved avatar (fetched by main, shown from a data: URL), or the initials when there is none or it did not load. */
function Avatar({ name, changed }: { name: string; changed: boolean }) {
  const avatar = useVault((s) => s.avatar);
  return (
    <div className="avatar-row">
      {avatar ? <img className="avatar" src={avatar} alt="Your avatar" width={64} height={64} /> : <span className="avatar initials" role="img" aria-label={`Avatar: initials ${initials(name)}`}>{initials(name)}</span>}
      <p className="hint">{changed ? 'The new avatar loads after you save.' : 'cpw-vault fetches the image itself (https only, at most 512 KB, PNG, JPEG, GIF or WebP).'}</p>
    </div>
  );
}

function Section({ legend, children, note }: { legend: string; children: ReactNode; note?: ReactNode }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {note && <p className="muted">{note}</p>}
      {children}
    </fieldset>
  );
}

/**
 * User details and preferences: validated as you type, a searchable time
 * zone, the avatar fetched by main, an "unsaved changes" mark, and a save bar
 * that stays in view. Every toggle here has an effect: the pipeline
 * preferences reach stages through `cpw-vault exec`, the notification
 * toggles drive desktop notifications while the app runs.
 */
export function Profile() {
  const s = useVault(useShallow((st) => ({ profile: st.profile, loading: st.profileLoading, error: st.profileError, saving: st.profileSaving, serverErrors: st.profileFieldErrors, load: st.loadProfile, save: st.saveProfile, loadAvatar: st.loadAvatar, edited: st.profileDraft, setDraft: st.setProfileDraft })));
  const { load, loadAvatar, setDraft } = s;
  const saveBar = useToastsAbove();
  useEffect(() => void Promise.all([load(), loadAvatar()]), [load, loadAvatar]);
  if (s.error) return <ErrorNote error={s.error} onRetry={() => void s.load()} />;
  if (!s.profile) return <Loading what="your profile" />;
  const saved = draftOf(s.profile);
  // The fields the user changed (kept in the store across screens) over the saved profile, which follows the CLI's changes.
  const draft: Draft = { ...saved, ...s.edited };
  const dirty = (Object.keys(draft) as Array<keyof Draft>).some((k) => draft[k] !== saved[k]);
  const local = localErrors(draft);
  const errorFor = (path: string) => local[path] ?? s.serverErrors.find((f) => f.path === path)?.message;
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft({ ...s.edited, [k]: v });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (s.saving || !dirty || Object.keys(local).length) return;
    const ok = await s.save({
      user: { name: draft.name, email: draft.email, job_title: draft.job_title, timezone: draft.timezone, avatar_url: draft.avatar_url },
      preferences: {
        default_workflow: draft.default_workflow as never, default_source_language: draft.default_source_language, ai_provider: draft.ai_provider as never,
        enable_cost_tracking: draft.enable_cost_tracking, notifications: { run_finished: draft.run_finished, run_failed: draft.run_failed, credential_missing: draft.credential_missing },
      },
    }, { labels: FIELD_LABELS });
    // Saved: the form follows the profile again, unless the user typed on while it saved (that stays, unsaved).
    if (ok && useVault.getState().profileDraft === s.edited) setDraft(null);
  };
  const text = (k: TextKey, path: FieldPath, type = 'text', hint?: string) => (
    <Field label={FIELD_LABELS[path]} error={errorFor(path)} hint={hint}>
      {(f) => <input id={f.id} type={type} value={draft[k]} onChange={(e) => set(k, e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} />}
    </Field>
  );
  const toggle = (k: ToggleKey, path: FieldPath) => <label className="check"><input type="checkbox" checked={draft[k]} onChange={(e) => set(k, e.target.checked)} /> {FIELD_LABELS[path]}</label>;
  const select = (k: 'default_workflow' | 'ai_provider', path: FieldPath, options: readonly string[]) => (
    <Field label={FIELD_LABELS[path]} error={errorFor(path)}>{(f) => <select id={f.id} value={draft[k]} onChange={(e) => set(k, e.target.value)}>{options.map((o) => <option key={o}>{o}</option>)}</select>}</Field>
  );
  return (
    <form className="profile" onSubmit={(e) => void submit(e)} noValidate aria-label="Profile">
      <div className="profile-grid">
        <Section legend="You" note={<>Saved in <code>{s.profile.path}</code></>}>
          {text('name', 'user.name')}
          {text('email', 'user.email', 'email')}
          {text('job_title', 'user.job_title')}
          <TimeZoneField value={draft.timezone} onChange={(z) => set('timezone', z)} error={errorFor('user.timezone')} label={FIELD_LABELS['user.timezone']} />
          {text('avatar_url', 'user.avatar_url', 'url', 'An https:// image')}
          <Avatar name={draft.name} changed={draft.avatar_url !== saved.avatar_url} />
        </Section>
        <div>
          <Section legend="Pipeline preferences" note={<>Stages read these: <code>cpw-vault exec</code> passes them as <code>CPW_SOURCE_LANGUAGE</code>, <code>CPW_AI_PROVIDER</code> and <code>CPW_COST_TRACKING</code>. The AI provider also picks which key summarize prefers.</>}>
            {select('default_workflow', 'preferences.default_workflow', WORKFLOW_NAMES)}
            {text('default_source_language', 'preferences.default_source_language', 'text', 'A code such as en, de or pt-BR, or auto')}
            {select('ai_provider', 'preferences.ai_provider', AI_PROVIDERS)}
            {toggle('enable_cost_tracking', 'preferences.enable_cost_tracking')}
          </Section>
          <Section legend="Desktop notifications" note="While the app is open, for runs of cpw-vault exec.">
            {toggle('run_finished', 'preferences.notifications.run_finished')}
            {toggle('run_failed', 'preferences.notifications.run_failed')}
            {toggle('credential_missing', 'preferences.notifications.credential_missing')}
          </Section>
        </div>
      </div>
      <div className="save-bar" ref={saveBar}>
        {/* Soft-disabled: saving or discarding turns the button off while it has the keyboard focus, which must stay there. */}
        <SoftButton type="submit" className="primary" off={s.saving || !dirty || Object.keys(local).length > 0}>{s.saving ? 'Saving…' : 'Save profile'}</SoftButton>
        <SoftButton type="button" off={s.saving || !dirty} onClick={() => setDraft(null)}>Discard changes</SoftButton>
        <span className="dirty" role="status">{dirty ? '● Unsaved changes' : 'All changes saved'}</span>
      </div>
    </form>
  );
}
