import { readlinkSync } from 'node:fs';
import { VaultError } from '../../core/errors';
import { parseJson } from '../../core/json';
import { findPlaintextSecrets } from '../../core/profile-index';
import { isTimeZoneShape } from '../../core/timezone';
import { notUtf8, UNPARSED, type RawProfile } from './reader';

// The profile as a document, for ProfileStore: parsed from its text, emptied of plaintext, encoded back; and the
// time zone a new profile starts with.

/**
 * The system's time zone, cheaply: $TZ, else the zone /etc/localtime links
 * to; only then ICU (whose first use costs ~18 ms of start-up).
 */
export function systemTimeZone(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const tz = env['TZ']?.replace(/^:/, '');
  if (tz && isTimeZoneShape(tz)) return tz;
  try {
    const zone = readlinkSync('/etc/localtime').split('/zoneinfo/')[1];
    if (zone && isTimeZoneShape(zone)) return zone;
  } catch {
    // no such link (macOS keeps one too; Windows has none)
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
}

/** Parses a document's text: JSON errors with line and column, never quoting the text. */
export function parseDocument(read: RawProfile): unknown {
  if (read.raw !== UNPARSED) return read.raw;
  if (read.notUtf8Line !== undefined) throw notUtf8(read.path, read.notUtf8Line);
  const parsed = parseJson(read.text);
  if (!parsed.ok) {
    throw new VaultError('PROFILE_INVALID', `${read.path} is not valid JSON: ${parsed.reason} at line ${parsed.line}, column ${parsed.column}.`, `Fix the JSON at line ${parsed.line}, column ${parsed.column} of ${read.path}.`);
  }
  return parsed.value;
}

/**
 * A copy of a profile document with every plaintext secret slot emptied (the slots stay, for legacy readers). Each
 * section and service is copied once however many of its slots are emptied: copied again per secret, an old profile
 * holding 10,000 took 129 s to read.
 */
export function withoutPlaintext(doc: unknown): unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const out: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
  const copies = new WeakSet<object>();
  const copyOf = (o: Record<string, unknown>) => {
    if (copies.has(o)) return o;
    const copy = { ...o };
    copies.add(copy);
    return copy;
  };
  for (const id of findPlaintextSecrets(out)) {
    const dot = id.indexOf('.');
    const [service, key] = [id.slice(0, dot), id.slice(dot + 1)];
    for (const section of ['credentials', 'online_services']) {
      const services = out[section] as Record<string, Record<string, unknown>> | undefined;
      const slots = services && Object.hasOwn(services, service) ? services[service] : undefined;
      if (!slots || typeof slots[key] !== 'string' || slots[key] === '') continue;
      const sectionCopy = copyOf(services!);
      const slotsCopy = copyOf(slots);
      // Defined, not assigned: a service or key named "__proto__" stays a field, never the prototype.
      own(slotsCopy, key, '');
      own(sectionCopy, service, slotsCopy);
      out[section] = sectionCopy;
    }
  }
  return out;
}

function own(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A profile document's text as written: pretty JSON, UTF-8. */
export function encode(doc: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
}
