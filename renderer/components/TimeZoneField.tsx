import { useId, useMemo } from 'react';
import { isTimeZone, timeZones } from '../../shared/core/timezone';
import { Field } from './common';

/** The local error for a zone typed in the picker (main checks it again). */
export function timeZoneError(zone: string): string | undefined {
  if (!zone || isTimeZone(zone)) return undefined;
  // A paste often carries a space along; "must be an IANA time zone" beside what reads as Europe/Paris says nothing.
  if (zone.trim() !== zone && isTimeZone(zone.trim())) return 'has a space before or after it: remove it (a zone name has none)';
  return 'must be an IANA time zone such as Europe/Paris or UTC';
}

/**
 * A searchable time-zone picker: a text field with the runtime's ~400 zones
 * as suggestions (type "paris" or "Europe/" to narrow them), checked as you
 * type. Empty means "not set".
 */
export function TimeZoneField(props: { value: string; onChange: (zone: string) => void; error?: string | undefined; label?: string }) {
  const listId = useId();
  const zones = useMemo(() => timeZones(), []);
  return (
    <Field label={props.label ?? 'Time zone'} error={props.error ?? timeZoneError(props.value)} hint="Type to search, e.g. Paris or America/">
      {(f) => (
        <>
          <input
            id={f.id}
            list={listId}
            value={props.value}
            onChange={(e) => props.onChange(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={f.describedBy}
            aria-invalid={f.invalid || undefined}
          />
          <datalist id={listId}>
            {zones.map((z) => <option key={z} value={z} />)}
          </datalist>
        </>
      )}
    </Field>
  );
}
