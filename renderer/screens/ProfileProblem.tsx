import { useShallow } from 'zustand/react/shallow';
import type { FieldError } from '../../shared/core/errors';
import { SoftButton } from '../components/common';
import { useVault } from '../store';

/** Problems "Fix it" can repair from the app: a profile (or its folder) others can read or write. */
const FIXABLE = /mode|modified by other users/;

/** Doctor passes a VaultError's field list through (a bad time zone names user.timezone). */
function fieldsOf(problem: object): FieldError[] {
  const fields = (problem as { fields?: unknown }).fields;
  return Array.isArray(fields) ? (fields as FieldError[]) : [];
}

/**
 * A profile that exists but cannot be used safely (invalid JSON, a bad
 * field, a mode others can write, a symlink, another owner): what `doctor`
 * knows, each code with the file and its fix, and "Fix it" where the app can
 * repair it. Never a first run over an existing file; nothing is changed
 * unless the user presses a button.
 */
export function ProfileProblem() {
  const p = useVault(useShallow((s) => ({ doctor: s.doctor, fixing: s.fixingProfile, fix: s.fixProfilePermissions, boot: s.boot, go: s.go })));
  if (!p.doctor) return null;
  const report = p.doctor.profile;
  const problems = report.problems.filter((x, i, all) => all.findIndex((y) => y.code === x.code && y.message === x.message) === i);
  const fixable = problems.some((x) => x.code === 'PROFILE_PERMISSIONS' && FIXABLE.test(x.message));
  const readable = report.kind === 'profile';
  return (
    <div className="problem">
      <p>cpw-vault found your profile but cannot use it as it is. Nothing has been changed.</p>
      <dl className="meta">
        <dt>File</dt><dd><code>{report.path}</code></dd>
        <dt>Mode</dt><dd>{report.mode ?? '—'}{report.dir_mode ? ` (folder ${report.dir_mode})` : ''}</dd>
      </dl>
      <ul className="problems">
        {problems.map((x) => (
          <li key={`${x.code}-${x.message}`} className="error-note">
            <p><strong>{x.message}</strong> <code>{x.code}</code></p>
            {fieldsOf(x).length > 0 && <ul>{fieldsOf(x).map((f) => <li key={f.path}><code>{f.path}</code>: {f.message}</li>)}</ul>}
            <p className="fix">Fix: {x.fix}</p>
          </li>
        ))}
      </ul>
      <div className="actions">
        {fixable && <SoftButton type="button" className="primary" off={p.fixing} onClick={() => void p.fix()}>{p.fixing ? 'Fixing…' : 'Fix it: make the profile private (0600)'}</SoftButton>}
        <button type="button" onClick={() => void p.boot()}>Check again</button>
        {readable && <button type="button" onClick={() => p.go('workflows')}>Continue anyway</button>}
      </div>
    </div>
  );
}
