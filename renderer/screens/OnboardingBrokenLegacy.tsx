import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useVault } from '../store';

/** A fix line that is a step in a terminal ("cpw-vault setup"): the app says its own way on instead. */
const CLI_STEP = /\bcpw-vault [a-z]/;

/**
 * The welcome step when there is no profile and the deprecated config/secrets.json, read in the profile's place,
 * is broken (invalid JSON, too large, not an object). It is not the profile: the user creates one, and from then on
 * the file is no longer read (nothing in it is changed); its keys can be migrated once it is fixed.
 */
export function BrokenLegacyWelcome({ heading, next, ready }: { heading: (t: string) => ReactNode; next: () => void; ready: boolean }) {
  const o = useVault(useShallow((s) => ({ report: s.doctor?.profile, boot: s.boot })));
  const path = o.report?.legacy ?? 'config/secrets.json';
  return (
    <div>
      {heading('cpw-vault cannot read config/secrets.json')}
      <p>You have no profile yet. cpw-vault found <code>{path}</code>, the deprecated plaintext file it reads only until you create a profile. It is not your profile, and cpw-vault cannot use it as it is:</p>
      <ul className="problems">
        {(o.report?.problems ?? []).map((x) => (
          <li key={`${x.code}-${x.message}`} className="error-note">
            <p><strong>{x.message}</strong> <code>{x.code}</code></p>
            {x.fix && !CLI_STEP.test(x.fix) && <p className="fix">To use its keys later: {x.fix}</p>}
          </li>
        ))}
      </ul>
      <p>Create your profile now: from then on cpw-vault reads the profile, not this file, and leaves the file as it is. To move its keys into the keychain later, fix the file, then open the Migration screen.</p>
      <div className="actions">
        <button type="button" className="primary" onClick={next} disabled={!ready}>Create a profile</button>
        <button type="button" onClick={() => void o.boot()}>Check again</button>
      </div>
    </div>
  );
}
