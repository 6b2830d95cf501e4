import { useEffect, useState } from 'react';
import { counted } from '../../shared/core/plural';
import { VERIFIABLE_CREDENTIALS, type VerifyResult } from '../../shared/core/verification';
import type { CredentialView } from '../../shared/core/views';
import { useVault } from '../store';
import { shownVerification, type ShownVerification } from '../store/verify-slice';
import { ExternalLink } from './ExternalLink';

const WORDS: Record<VerifyResult, string> = { valid: 'valid', invalid: 'invalid', 'no-access': 'no access', 'rate-limited': 'rate-limited', unreachable: 'unreachable' };
const TONE: Record<VerifyResult, 'ok' | 'bad' | 'warn'> = { valid: 'ok', invalid: 'bad', 'no-access': 'bad', 'rate-limited': 'warn', unreachable: 'warn' };
const MARK: Record<VerifyResult, string> = { valid: '✓', invalid: '✗', 'no-access': '✗', 'rate-limited': '!', unreachable: '!' };

/** True when a provider call can verify this credential and there is a value to test. */
export function canVerify(c: CredentialView): boolean {
  return !!c.source && VERIFIABLE_CREDENTIALS.includes(c.id);
}

/** "just now", "3 min ago", "2 h ago", "5 days ago". */
export function ago(iso: string, now: number): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s) || s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  const days = Math.round(s / 86_400);
  return `${counted(days, 'day')} ago`;
}

/** The current time, again every 30 s, so "3 min ago" keeps up. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The verdict as a badge with its time: "✓ valid, 3 min ago". */
export function VerifyBadge({ shown }: { shown: ShownVerification }) {
  const now = useNow();
  return <span className={`badge ${TONE[shown.result]}`}>{MARK[shown.result]} {WORDS[shown.result]}, {ago(shown.at, now)}</span>;
}

/** The verdict, the account, what the provider said, the fix and its page. */
export function VerifySummary({ shown }: { shown: ShownVerification }) {
  return (
    <>
      <p><VerifyBadge shown={shown} />{shown.account && <> · account <strong>{shown.account}</strong>{shown.role ? ` (${shown.role} token)` : ''}</>}</p>
      {shown.testedEnv && <p className="muted">Tested the value from {shown.testedEnv}, which is what stages get; not recorded.</p>}
      {shown.shadowedBy && <p className="muted">This was the stored value; stages now get the one from {shown.shadowedBy}.</p>}
      {shown.stale && <p className="warning">The value changed since this test. Test it again.</p>}
      {shown.message && shown.result !== 'valid' && <p>{shown.message}</p>}
      {shown.fix && <p className="muted">Fix: {shown.fix}</p>}
      {shown.fixUrl && <ExternalLink url={shown.fixUrl}>Open {shown.fixUrl.replace(/^https:\/\//, '')}</ExternalLink>}
      {shown.notes.map((n) => <p key={n} className="muted">{n}</p>)}
    </>
  );
}

/**
 * One credential's provider check in its detail pane: busy, the error that kept it from asking, or the outcome (live,
 * so a screen reader hears it while the focus stays on Test).
 */
export function VerifyDetails({ c }: { c: CredentialView }) {
  const session = useVault((s) => s.verifications[c.id]);
  const busy = useVault((s) => s.verifying.includes(c.id));
  const error = useVault((s) => s.verifyErrors[c.id]);
  const shown = shownVerification(c, session);
  return (
    <div className="verify" role="status" aria-label={`${c.label}: provider check`}>
      {busy ? <p className="muted">Asking the provider…</p>
        : error ? <p className="field-error">Not tested: {error.message} {error.fix}</p>
        : shown ? <VerifySummary shown={shown} />
        : <p className="muted">Not tested with its provider yet.</p>}
    </div>
  );
}
