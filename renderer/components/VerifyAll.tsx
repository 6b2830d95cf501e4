import { useShallow } from 'zustand/react/shallow';
import { counted } from '../../shared/core/plural';
import { useVault } from '../store';
import { SoftButton } from './common';
import { selectKeychainProblem } from '../store/app-slice';
import { shownVerification } from '../store/verify-slice';
import { keychainReason } from './CredentialDetail';
import { canVerify, VerifySummary } from './VerifyStatus';

/**
 * "Verify all" on the workflows screen: every credential with a value asked
 * of its provider at once (as `cpw-vault verify --all`), one row per key with
 * its badge, the account the provider named, and the fix when it failed.
 */
export function VerifyAll() {
  const v = useVault(useShallow((s) => ({
    run: s.verifyAll, busy: s.verifyingAll, outcome: s.verifyAllOutcome, error: s.verifyAllError, verifications: s.verifications, credentials: s.credentials,
  })));
  const keychain = useVault(selectKeychainProblem);
  const testable = v.credentials.filter(canVerify);
  const blocked = !!keychain && testable.some((c) => c.source?.kind !== 'env');
  return (
    <section className="verify-all" aria-labelledby="verify-all-title">
      <div className="verify-all-head">
        <h3 id="verify-all-title">Do the keys work?</h3>
        {/* Busy: soft (aria-disabled), since pressed from the keyboard a `disabled` one sent the focus to <body> while it asked. */}
        <SoftButton type="button" className="primary" onClick={() => void v.run()} off={v.busy} disabled={!testable.length || blocked} aria-describedby="verify-all-hint">{v.busy ? 'Verifying…' : 'Verify all'}</SoftButton>
      </div>
      <p id="verify-all-hint" className="muted">
        {blocked && keychain ? `Unavailable: ${keychainReason(keychain)}.`
          : testable.length ? 'Asks each provider with one free, read-only call per key (the HuggingFace token also against the gated pyannote models when diarize uses it). Keys are sent only to their provider.'
          : 'No key to test yet: add one on the Credentials screen.'}
      </p>
      {v.error && <p role="alert" className="field-error">Not verified: {v.error.message} {v.error.fix}</p>}
      <div role="status" aria-live="polite">
        {v.busy ? <p className="muted">Asking {counted(testable.length, 'provider')}…</p>
          : v.outcome && <p className="muted">{counted(v.outcome.checked, 'key')} checked.{v.outcome.skipped.length ? ` Not verifiable: ${v.outcome.skipped.map((x) => x.credential).join(', ')}.` : ''}</p>}
      </div>
      {testable.length > 0 && (
        <ul className="verify-results" aria-label="Provider check results">
          {testable.map((c) => {
            const shown = shownVerification(c, v.verifications[c.id]);
            return (
              <li key={c.id}>
                <strong>{c.label}</strong>
                {shown ? <VerifySummary shown={shown} /> : <p className="muted">Not tested yet.</p>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
