import { useEffect, useRef, useState, type FormEvent } from 'react';
import { catalogEntry, LABEL_MAX, labelFits, labelLength } from '../../shared/core/catalog';
import { labelHoldsKey } from '../../shared/core/label-keys';
import { checkedValue, credentialId, ENV_VAR_NAME, KEY_NAME, SERVICE_NAME } from '../../shared/core/credential';
import { asApiError, type ApiError } from '../api';
import { useVault } from '../store';
import { selectBackend } from '../store/app-slice';
import { ErrorNote, Field, SecretInput, SoftButton } from './common';
import { ExternalLink } from './ExternalLink';

/** The value rule's message for a value (the same words main uses, at every size), or undefined when it may be saved. */
export function valueError(id: string, value: string): string | undefined {
  if (!value.trim()) return undefined; // empty: Save is simply disabled
  try {
    checkedValue(id, value);
    return undefined;
  } catch (err) {
    return `${(err as Error).message} ${(err as { fix?: string }).fix ?? ''}`.trim();
  }
}

/** What is wrong with a custom label, if anything: said, never cut (a maxLength input dropped typing past 80 without a word). In characters as main counts them (an emoji is one). */
export function labelError(label: string): string | undefined {
  const trimmed = label.trim();
  if (!labelFits(trimmed)) return `At most ${LABEL_MAX} characters: this one has ${labelLength(trimmed)}. Shorten it to save.`;
  // Main refuses it too: the label is kept in plaintext in the profile.
  return labelHoldsKey(trimmed) ? 'This looks like a key, not a label: a label is kept in plaintext. Put the key in the value field below.' : undefined;
}

/** The longest service or key name (SERVICE_NAME, KEY_NAME). */
const NAME_MAX = 40;

/**
 * What is wrong with a service or key name, if anything, said for that field. One line for both ("Use lower-case
 * names") was shown under Service for any refusal: a 41-letter lower-case name, or a bad key, was told to be lower case.
 */
export function nameError(kind: 'service' | 'key', name: string): string | undefined {
  if (!name || (kind === 'service' ? SERVICE_NAME : KEY_NAME).test(name)) return undefined;
  if (name.length > NAME_MAX) return `At most ${NAME_MAX} characters: this one has ${name.length}. Shorten it to save.`;
  if (!/^[a-z]/.test(name)) return `Start with a lower-case letter, e.g. ${kind === 'service' ? 'deepl' : 'api_key'}.`;
  return kind === 'service' ? 'Lower-case letters, digits, _ and -, e.g. deepl.' : 'Lower-case letters, digits and _, e.g. api_key.';
}

/** The longest environment variable name (ENV_VAR_NAME). */
const ENV_VAR_MAX = 64;

/** What is wrong with a custom environment variable name, if anything: as nameError, one line said for every refusal was wrong for some. */
export function envVarError(name: string): string | undefined {
  if (!name || ENV_VAR_NAME.test(name)) return undefined;
  if (name.length > ENV_VAR_MAX) return `At most ${ENV_VAR_MAX} characters: this one has ${name.length}. Shorten it to save.`;
  if (/^[0-9]/.test(name)) return 'Start with an upper-case letter or _, e.g. DEEPL_API_KEY.';
  return 'Upper-case letters, digits and _, e.g. DEEPL_API_KEY.';
}

// Not a `key` prop: spread into JSX it would be React's key, and the fields would remount on every keystroke.
function CustomFields(p: { service: string; keyName: string; label: string; envVar: string; set: (k: 'service' | 'key' | 'label' | 'envVar', v: string) => void }) {
  const envError = envVarError(p.envVar);
  return (
    <div className="row">
      <Field label="Service" error={nameError('service', p.service)}>{(f) => <input id={f.id} value={p.service} onChange={(e) => p.set('service', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} required autoFocus />}</Field>
      <Field label="Key" error={nameError('key', p.keyName)}>{(f) => <input id={f.id} value={p.keyName} onChange={(e) => p.set('key', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} required />}</Field>
      <Field label="Label" hint={`Optional; how the list shows it (up to ${LABEL_MAX} characters)`} error={labelError(p.label)}>{(f) => <input id={f.id} value={p.label} onChange={(e) => p.set('label', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} />}</Field>
      <Field label="Environment variable" hint="Optional; default SERVICE_KEY" error={envError}>{(f) => <input id={f.id} value={p.envVar} onChange={(e) => p.set('envVar', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} />}</Field>
    </div>
  );
}

/**
 * Add or replace one credential. The value exists only in this component's
 * state while the form is open: it is cleared after save or cancel. A
 * format mismatch is shown as a warning with "Save anyway"; a value the rule
 * refuses (too long, a line break) is said before anything is sent. Escape
 * cancels. `onDone(saved)` lets the caller put focus back where it belongs.
 */
export function CredentialForm(props: { service?: string; key_?: string; onDone: (saved: boolean, id?: string) => void; autoFocus?: boolean; onTyped?: (typed: boolean) => void }) {
  const saveCredential = useVault((s) => s.saveCredential);
  const toastError = useVault((s) => s.toastError);
  const backend = useVault(selectBackend);
  // Whether the form is still on screen: a save that fails after the user went elsewhere has no form to show it in.
  const shown = useRef(true);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    shown.current = true;
    return () => void (shown.current = false);
  }, []);
  const custom = props.service === undefined;
  const [names, setNames] = useState({ service: props.service ?? '', key: props.key_ ?? '', label: '', envVar: '' });
  const [value, setValue] = useState('');
  const [saving, setSaving] = useState(false);
  const [formatWarning, setFormatWarning] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const id = credentialId(names.service, names.key);
  const entry = catalogEntry(id);
  const plain = entry?.secret === false ? entry : undefined;
  const badNames = custom && (!SERVICE_NAME.test(names.service) || !KEY_NAME.test(names.key) || (!!names.envVar && !ENV_VAR_NAME.test(names.envVar)) || !!labelError(names.label));
  const tooBad = valueError(id, value);
  // Whether closing the form now would lose something typed (the caller asks first before putting another pane in its place).
  const typed = !!value || names.service !== (props.service ?? '') || names.key !== (props.key_ ?? '') || !!names.label || !!names.envVar;
  const { onTyped } = props;
  useEffect(() => onTyped?.(typed), [typed, onTyped]);
  useEffect(() => () => onTyped?.(false), [onTyped]);

  // "Save anyway" accepts the value the warning was about: typed on (or another credential named), it would have
  // stored a value no one checked under that warning. Save checks the new one, and warns again if it must.
  const changeValue = (v: string) => {
    setValue(v);
    setFormatWarning(null);
  };
  const changeName = (k: 'service' | 'key' | 'label' | 'envVar', v: string) => {
    setNames({ ...names, [k]: v });
    setFormatWarning(null);
  };

  const close = (saved: boolean) => {
    setValue('');
    props.onDone(saved, saved ? id : undefined);
  };
  const submit = async (e: FormEvent, acceptFormatWarning = false) => {
    e.preventDefault();
    if (saving || tooBad || badNames || !value.trim()) return;
    setSaving(true);
    setError(null);
    try {
      const extra = custom ? { ...(names.envVar ? { envVar: names.envVar } : {}), ...(names.label.trim() ? { label: names.label.trim() } : {}) } : {};
      await saveCredential({ service: names.service, key: names.key, value, acceptFormatWarning, ...extra });
      setFormatWarning(null);
      close(true);
    } catch (err) {
      const apiError = asApiError(err);
      // Gone from the screen (the user navigated away mid-save): an error toast, which stays until dismissed, says it.
      // So for a form kept hidden with its screen (its typing held it: see heldScreen), which says it again on return.
      if (!shown.current || form.current?.closest('[hidden]')) toastError(apiError, `Not saved: ${entry?.label ?? id}: `);
      if (!shown.current) return;
      if (apiError.code === 'CREDENTIAL_FORMAT') setFormatWarning(apiError.message);
      else setError(apiError);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      ref={form}
      className="credential-form"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => e.key === 'Escape' && !saving && (e.stopPropagation(), close(false))}
      aria-label={`Set ${entry?.label ?? 'a custom credential'}`}
    >
      {custom && <CustomFields service={names.service} keyName={names.key} label={names.label} envVar={names.envVar} set={changeName} />}
      {plain ? (
        // Not a secret (the OpenAI organization ID): kept in the profile and shown in full, so it is not typed as one.
        <Field label={plain.label} hint={`Expected: ${plain.format.hint}. Not a secret: kept in your profile and shown in full; a key typed here is refused.`} error={tooBad}>
          {(f) => <input id={f.id} value={value} onChange={(e) => changeValue(e.target.value)} autoComplete="off" spellCheck={false} aria-describedby={f.describedBy} aria-invalid={f.invalid || undefined} required autoFocus={props.autoFocus ?? true} />}
        </Field>
      ) : (
        <Field label={entry ? `${entry.label} (hidden)` : 'Value (hidden)'} hint={entry ? `Expected: ${entry.format.hint}` : undefined} error={tooBad}>
          {(f) => <SecretInput id={f.id} value={value} onChange={changeValue} describedBy={f.describedBy} invalid={f.invalid} required autoFocus={!custom && (props.autoFocus ?? true)} />}
        </Field>
      )}
      {entry?.url && (
        <div className="get-key">
          <ExternalLink url={entry.url}>Get a key at {new URL(entry.url).hostname}</ExternalLink>
        </div>
      )}
      {formatWarning && (
        <div className="warning" role="alert">
          <p>{formatWarning}</p>
          {/* Off while saving without `disabled`, which would drop the focus to <body> (as on Save below). */}
          <SoftButton type="button" onClick={(e) => void submit(e, true)} off={saving}>Save anyway</SoftButton>
        </div>
      )}
      {error && <ErrorNote error={error} />}
      <div className="actions">
        {/* While saving, aria-disabled (not disabled): a disabled button drops the keyboard focus to <body>. */}
        <button type="submit" className="primary" disabled={!value.trim() || !!tooBad || badNames} aria-disabled={saving || undefined}>{saving ? 'Saving…' : plain ? 'Save to profile' : backend === 'file' ? 'Save to vault file' : 'Save to keychain'}</button>
        <button type="button" onClick={() => close(false)} disabled={saving}>Cancel</button>
      </div>
    </form>
  );
}
