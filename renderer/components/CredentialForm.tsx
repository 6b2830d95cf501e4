import { useState, type FormEvent } from 'react';
import { catalogEntry } from '../../shared/core/catalog';
import { credentialId, ENV_VAR_NAME, KEY_NAME, SERVICE_NAME } from '../../shared/core/credential';
import { asApiError, getApi, type ApiError } from '../api';
import { useVault } from '../store';
import { ErrorNote, Field, SecretInput } from './common';

/**
 * Add or replace one credential. The value exists only in this component's
 * state while the form is open: it is cleared after save or cancel. A
 * format mismatch is shown as a warning with "Save anyway".
 */
export function CredentialForm(props: { service?: string; key_?: string; onDone: () => void; autoFocus?: boolean }) {
  const saveCredential = useVault((s) => s.saveCredential);
  const custom = props.service === undefined;
  const [service, setService] = useState(props.service ?? '');
  const [key, setKey] = useState(props.key_ ?? '');
  const [envVar, setEnvVar] = useState('');
  const [value, setValue] = useState('');
  const [saving, setSaving] = useState(false);
  const [formatWarning, setFormatWarning] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const entry = catalogEntry(credentialId(service, key));
  const nameError = custom && service && key && (!SERVICE_NAME.test(service) || !KEY_NAME.test(key)) ? 'Use lower-case names, e.g. deepl and api_key.' : undefined;
  const envError = custom && envVar && !ENV_VAR_NAME.test(envVar) ? 'Upper-case letters, digits and _, e.g. DEEPL_API_KEY.' : undefined;

  const close = () => {
    setValue('');
    props.onDone();
  };
  const submit = async (e: FormEvent, acceptFormatWarning = false) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await saveCredential({ service, key, value, acceptFormatWarning, ...(custom && envVar ? { envVar } : {}) });
      setFormatWarning(null);
      close();
    } catch (err) {
      const apiError = asApiError(err);
      if (apiError.code === 'CREDENTIAL_FORMAT') setFormatWarning(apiError.message);
      else setError(apiError);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="credential-form" onSubmit={(e) => void submit(e)} aria-label={`Set ${entry?.label ?? 'a custom credential'}`}>
      {custom && (
        <div className="row">
          <Field label="Service" error={nameError}>{(f) => <input id={f.id} value={service} onChange={(e) => setService(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} required />}</Field>
          <Field label="Key">{(f) => <input id={f.id} value={key} onChange={(e) => setKey(e.target.value)} required />}</Field>
          <Field label="Environment variable" hint="Optional; default SERVICE_KEY" error={envError}>{(f) => <input id={f.id} value={envVar} onChange={(e) => setEnvVar(e.target.value)} aria-describedby={f.describedBy} />}</Field>
        </div>
      )}
      <Field label={entry ? `${entry.label} (hidden)` : 'Value (hidden)'} hint={entry ? `Expected: ${entry.format.hint}` : undefined}>
        {(f) => <SecretInput id={f.id} value={value} onChange={setValue} describedBy={f.describedBy} required autoFocus={props.autoFocus ?? true} />}
      </Field>
      {entry?.url && (
        <p>
          <button type="button" className="link" onClick={() => void getApi().openExternal(entry.url!).catch(() => {})}>Get a key at {new URL(entry.url).hostname} ↗</button>
        </p>
      )}
      {formatWarning && (
        <div className="warning" role="alert">
          <p>{formatWarning}</p>
          <button type="button" onClick={(e) => void submit(e, true)} disabled={saving}>Save anyway</button>
        </div>
      )}
      {error && <ErrorNote error={error} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={saving || !value.trim() || !!nameError || !!envError}>{saving ? 'Saving…' : 'Save to keychain'}</button>
        <button type="button" onClick={close} disabled={saving}>Cancel</button>
      </div>
    </form>
  );
}
