import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorNote, Loading, SoftButton } from '../components/common';
import { useVault } from '../store';
import { planRowNote } from '../../shared/core/migration-plan';
import { counted } from '../../shared/core/plural';

const LOCAL_TEXT = { same: 'same as yours', differs: 'differs from yours', absent: 'not in your vault' } as const;

/**
 * The team vault: a cpw-team.age chosen in main's dialog; its members, the
 * keys it shares (names only), whether you are a recipient, and pull (the
 * plan first) and push.
 */
export function Team() {
  const s = useVault(useShallow((st) => ({
    file: st.teamFile, view: st.teamView, loading: st.teamLoading, error: st.teamError, plan: st.teamPlan, busy: st.teamBusy,
    open: st.openTeamFile, load: st.loadTeam, createKey: st.createTeamKey, showPlan: st.showPullPlan, cancel: st.cancelPullPlan, leave: st.leaveTeam, pull: st.applyPull, push: st.pushTeam,
  })));
  const { load, leave } = s;
  useEffect(() => void load(), [load]);
  // A plan stays only while the screen does: the next visit reviews the team file as it is then.
  useEffect(() => leave, [leave]);
  // The plan takes the place of Pull… and Push, and goes again on Cancel or Pull: the focus on what went fell to <body>.
  const planRegion = useRef<HTMLDivElement>(null);
  const pullButton = useRef<HTMLButtonElement>(null);
  const hadPlan = useRef(false);
  useEffect(() => {
    const lost = document.activeElement === document.body || !document.activeElement;
    if (s.plan && !hadPlan.current && lost) planRegion.current?.focus();
    if (!s.plan && hadPlan.current && lost) pullButton.current?.focus();
    hadPlan.current = !!s.plan;
  }, [s.plan]);
  const opener = <SoftButton type="button" onClick={() => void s.open()} off={s.busy}>{s.file ? 'Open another team file…' : 'Open a team file…'}</SoftButton>;
  if (!s.file) {
    return (
      <section aria-label="Team file">
        <p>A team file (cpw-team.age, in your pipeline's repository) shares keys with the people and CI that run it, encrypted to each member.</p>
        {opener}
      </section>
    );
  }
  if (s.error) return <ErrorNote error={s.error} onRetry={() => void load()} />;
  if (s.loading && !s.view) return <Loading what="the team file" />;
  const v = s.view;
  if (!v) return opener;
  return (
    <section aria-label="Team file">
      <p className="muted">{v.path}</p>
      {opener}
      <p role="status" className={v.recipient ? 'status ok' : 'status warning'}>
        {v.recipient ? `You are a recipient${v.member ? ` (as ${v.member})` : ''}.` : 'You are not a recipient of this team file.'}
      </p>
      {!v.recipient && v.fix && <p className="fix">{v.fix}</p>}
      {v.you ? <p>Your team key: <code aria-label="Your team key">{v.you}</code></p> : <SoftButton type="button" onClick={() => void s.createKey()} off={s.busy}>Create my team key</SoftButton>}
      {v.warning && <p className="warning" role="alert">{v.warning}</p>}
      <h3>Members</h3>
      <table aria-label="Members">
        <thead><tr><th>Name</th><th>Age key</th></tr></thead>
        <tbody>{v.members.map((m) => <tr key={m.recipient}><td>{m.name}</td><td><code>{m.recipient}</code></td></tr>)}</tbody>
      </table>
      {v.recipient && (
        <>
          <h3>Keys shared</h3>
          <table aria-label="Keys shared">
            <thead><tr><th>Key</th><th>Your vault</th><th>Updated by</th></tr></thead>
            <tbody>{v.keys.map((k) => <tr key={k.id}><td>{k.id}</td><td>{LOCAL_TEXT[k.local]}</td><td>{k.updated_by ?? '-'}</td></tr>)}</tbody>
          </table>
          {v.rotate.length > 0 && <p className="warning">To rotate (seen by removed members): {v.rotate.map((r) => `${r.ids.join(', ')} (${r.name})`).join('; ')}</p>}
          {!s.plan && (
            <div className="actions">
              <SoftButton type="button" className="primary" ref={pullButton} onClick={() => void s.showPlan()} off={s.busy}>Pull…</SoftButton>
              <SoftButton type="button" onClick={() => void s.push()} off={s.busy}>Push my values</SoftButton>
            </div>
          )}
          {s.plan && (
            <div role="region" aria-label="Pull plan" tabIndex={-1} ref={planRegion}>
              <table aria-label="Plan">
                <thead><tr><th>Credential</th><th>Action</th><th>Note</th></tr></thead>
                <tbody>{s.plan.rows.map((r) => <tr key={r.index}><td>{r.target ?? r.sourceKey}</td><td>{r.action}</td><td>{planRowNote(r)}</td></tr>)}</tbody>
              </table>
              <p>{s.plan.counts.apply} to write; {s.plan.counts.identical} identical, {s.plan.counts.conflict} conflict (your value kept), {s.plan.counts.invalid} invalid.</p>
              <div className="actions">
                <SoftButton type="button" className="primary" onClick={() => void s.pull()} off={s.busy || !s.plan.counts.apply}>Pull {counted(s.plan.counts.apply, 'credential')}</SoftButton>
                <SoftButton type="button" onClick={s.cancel} off={s.busy}>Cancel</SoftButton>
              </div>
            </div>
          )}
        </>
      )}
    </section>
  );
}
