import { useEffect, useRef, useState } from 'react';
import type { MigrationPlanResult } from '../../shared/core/ipc-contract';
import { getApi } from '../api';
import { ErrorNote, Field, SecretInput, SoftButton } from '../components/common';
import { useVault } from '../store';
import { PlanTable } from './Migration';
import { reloadAll, useBusy } from './security-busy';
import { counted } from '../../shared/core/plural';

/** Import of an export file: pick it, its passphrase, the plan, then Import (all or nothing). */
export function ImportCard() {
  const [picked, setPicked] = useState<{ handle: string; path: string } | null>(null);
  const [pass, setPass] = useState('');
  const [plan, setPlan] = useState<MigrationPlanResult | null>(null);
  const [overwrite, setOverwrite] = useState<string[]>([]);
  const { busy, error, run, onSubmit } = useBusy();
  const toast = useVault((s) => s.toast);
  // The plan takes the place of the passphrase form, and Import goes with the plan: the focus in either fell to <body>.
  const chooser = useRef<HTMLButtonElement>(null);
  const planBox = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (plan) planBox.current?.focus();
  }, [plan]);
  const pick = () => run(async () => {
    const s = await getApi().securityImportPick();
    if (!s) return;
    setPicked(s);
    setPlan(null);
    setOverwrite([]);
  });
  const showPlan = onSubmit(async () => {
    setPlan(await getApi().securityImportPlan({ source: picked!.handle, passphrase: pass, overwrite }));
    setPass('');
  });
  const apply = () => run(async () => {
    const r = await getApi().securityImportApply({ source: picked!.handle, overwrite });
    toast('success', `Imported ${counted(r.imported.length, 'credential')}; each was read back.`);
    setPicked(null);
    setPlan(null);
    setOverwrite([]);
    chooser.current?.focus();
    await reloadAll();
  });
  const toggle = (id: string) => setOverwrite((o) => (o.includes(id) ? o.filter((x) => x !== id) : [...o, id]));
  const willWrite = plan ? plan.plan.rows.filter((r) => r.apply || (r.action === 'conflict' && r.target && overwrite.includes(r.target))).length : 0;
  return (
    <section className="card" aria-label="Import">
      <h3>Import an export file</h3>
      <p className="muted">The plan is shown first; nothing changes until you press Import, and then everything is written or nothing.</p>
      <SoftButton type="button" ref={chooser} onClick={() => void pick()} off={busy}>Choose an export file…</SoftButton>
      {picked && !plan && (
        <form onSubmit={showPlan}>
          <p>File: <code>{picked.path}</code></p>
          <Field label="Passphrase of the export file">
            {(ids) => <SecretInput id={ids.id} value={pass} onChange={setPass} describedBy={ids.describedBy} />}
          </Field>
          <SoftButton type="submit" off={busy || !pass}>{busy ? 'Decrypting…' : 'Show the plan'}</SoftButton>
        </form>
      )}
      {plan && (
        <div ref={planBox} tabIndex={-1} role="group" aria-label="Import plan">
          <PlanTable rows={plan.plan.rows} overwrite={overwrite} onToggle={toggle} disabled={busy} />
          <SoftButton type="button" onClick={() => void apply()} off={busy || !willWrite}>{busy ? 'Importing…' : `Import ${counted(willWrite, 'credential')}`}</SoftButton>
        </div>
      )}
      {error && <ErrorNote error={error} />}
    </section>
  );
}
