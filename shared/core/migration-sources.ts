import { customEnvVar, envVarProblem } from './env-var-names';
import { catalogEntry, plainSlotProblem } from './catalog';
import { credentialId, ENV_VAR_NAME, isSecretShapedName, KEY_NAME, looksLikeKey, SERVICE_NAME, type CredentialId } from './credential';
import { VaultError } from './errors';
import { shownText, withoutControlChars } from './control-chars';
import { parseJson } from './json';
import { legacyEntries } from './legacy-secrets';

/** Kinds of source cpw-vault can migrate from (plaintext files), or import (an encrypted `cpw-vault export`). */
export type SourceKind = 'secrets-json' | 'seed-profile' | 'dotenv' | 'hf-token-file' | 'export' | 'team-file';

/** One entry found in a source: where, which credential it maps to, and its raw value (never printed). */
export interface SourceEntry {
  sourceKey: string;
  /** The catalog credential it maps to; undefined for unknown keys. */
  target: CredentialId | undefined;
  /** For unknown keys: the custom credential it would become, if its name allows one. */
  customTarget?: { id: CredentialId; envVar: string };
  /** Its name (or a part of it) has the shape of a key: never a credential's name, and shown cut (see shownKey). */
  keyShapedName?: true;
  value: unknown;
  /** Why the value cannot be taken as written (readers of the file disagree on it, or cpw-vault cannot keep it): the row is invalid. */
  problem?: string;
}

/** A parsed source: its entries and what was odd about it (never a value). */
export interface ParsedSource {
  kind: SourceKind;
  path: string;
  entries: SourceEntry[];
  /** JSON paths of keys that appeared twice in one object (the last one wins). */
  duplicateKeys: string[];
  /**
   * .env: comments that may hold a kept-aside key, never migrated, so removing the plaintext would lose it: the
   * names of commented-out assignments of a secret (`# OPENAI_API_KEY=sk-...`), and `line N` for a comment with
   * what looks like a key in its text (`# old key: sk-...`, `HF_TOKEN=hf_... # was hf_...`).
   */
  commentedKeys?: string[];
}

/** True for an entry that is a non-secret slot's own value (an organization ID), not a secret. */
function inItsPlainSlot(entry: SourceEntry): boolean {
  return !!entry.target && typeof entry.value === 'string' && catalogEntry(entry.target)?.secret === false && !plainSlotProblem(entry.target, entry.value.trim());
}

/**
 * What a parsed source holds, as one string: two reads of a file are the same
 * content exactly when these are equal (the plan's tag, the recheck before
 * plaintext is deleted).
 */
export function sourceContent(source: ParsedSource): string {
  return JSON.stringify([source.kind, source.entries, source.commentedKeys ?? []]);
}

/** Largest source accepted. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

const SUFFIXES = ['_access_token', '_api_token', '_api_key', '_token', '_key', '_secret'];

/**
 * The custom credential an unknown key could become: `deepl_api_key` ->
 * deepl.api_key (env DEEPL_API_KEY); `{"deepl": {"api_key": ...}}` the same.
 * Undefined when the name cannot be one (e.g. "__proto__").
 */
export function customTargetFor(sourceKey: string): { id: CredentialId; envVar: string } | undefined {
  if (sourceKey.split('.').some(looksLikeKey)) return undefined; // a key where the name goes: never a credential's name
  const lower = sourceKey.toLowerCase().replace(/-/g, '_');
  let service: string | undefined;
  let key: string | undefined;
  const dot = lower.indexOf('.');
  if (dot > 0) {
    service = lower.slice(0, dot);
    key = lower.slice(dot + 1);
  } else {
    const suffix = SUFFIXES.find((s) => lower.endsWith(s) && lower.length > s.length);
    if (suffix) {
      service = lower.slice(0, -suffix.length);
      key = suffix.slice(1);
    } else {
      service = 'custom';
      key = lower;
    }
  }
  if (!service || !key || !SERVICE_NAME.test(service) || !KEY_NAME.test(key) || service.startsWith('_') || isSecretShapedName(service, key)) return undefined;
  const id = credentialId(service, key);
  if (catalogEntry(id)) return undefined;
  const envVar = sourceKey.toUpperCase().replace(/[.-]/g, '_');
  // A key named like PATH or LD_PRELOAD keeps its value, under a name no loader or shell reads.
  const usable = ENV_VAR_NAME.test(envVar) && !envVarProblem(envVar, id);
  return { id, envVar: usable ? envVar : customEnvVar(id) };
}

/**
 * A source key as shown (plan tables, --json, the app): a hostile file's key brings no escape sequence to a terminal,
 * and no screenful; a part shaped like a key (`AIzaSy...` pasted as a name) shows its first 4 characters only.
 */
export function shownKey(key: string): string {
  const safe = withoutControlChars(key)
    .split('.')
    .map((part) => (looksLikeKey(part) ? `${part.slice(0, 4)}…(${KEY_SHAPED_NAME})` : part))
    .join('.');
  // Cut between whole characters (shownText): a key of emoji cut through a pair showed U+FFFD in the plan.
  return safe.length > 80 ? shownText(safe, 79) : safe;
}

/** What a key-shaped part of a source key shows in its place (the plan says why it is not imported). */
const KEY_SHAPED_NAME = 'a name shaped like a key, hidden';

/** `entry` with its custom target (an unknown key's name, made from the key as it is) and its key as shown. */
export function withCustom(entry: SourceEntry): SourceEntry {
  const shown = shownKey(entry.sourceKey);
  const custom = entry.target ? undefined : customTargetFor(entry.sourceKey);
  const keyShaped = entry.sourceKey.split('.').some(looksLikeKey);
  return { ...entry, sourceKey: shown, ...(custom ? { customTarget: custom } : {}), ...(keyShaped ? { keyShapedName: true as const } : {}) };
}

/** INVALID_ARGUMENT for a source over MAX_SOURCE_BYTES. */
export function sourceTooLarge(path: string, size: number): VaultError {
  return new VaultError('INVALID_ARGUMENT', `${path} is ${size} bytes; migration sources are at most ${MAX_SOURCE_BYTES} bytes.`, 'Check that this is the right file.');
}

/**
 * Parses a JSON source: a flat secrets.json, its nested form, or a seed 1.0
 * profile with plaintext slots. Errors carry line and column, never the text.
 */
export function parseJsonSource(path: string, text: string): ParsedSource {
  if (text.length > MAX_SOURCE_BYTES) throw sourceTooLarge(path, text.length);
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw new VaultError('INVALID_ARGUMENT', `${path} is not valid JSON: ${parsed.reason} at line ${parsed.line}, column ${parsed.column}.`, `Fix the JSON at line ${parsed.line}, column ${parsed.column}; nothing was changed.`);
  }
  const doc = parsed.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new VaultError('INVALID_ARGUMENT', `${path} must hold a JSON object at the top level.`, 'A secrets file looks like {"hf_token": "..."}; nothing was changed.');
  }
  const record = doc as Record<string, unknown>;
  const isSeedProfile = typeof record['version'] === 'string' && record['credentials'] !== null && typeof record['credentials'] === 'object';
  if (isSeedProfile) {
    const entries: SourceEntry[] = [];
    for (const section of ['credentials', 'online_services']) {
      const services = record[section];
      if (services === null || typeof services !== 'object' || Array.isArray(services)) continue;
      for (const entry of legacyEntries(services as Record<string, unknown>)) {
        // Seed slots that are empty or flags (youtube.enabled) are not secrets to migrate.
        if (typeof entry.value === 'boolean' || entry.value === '' || entry.value === null) continue;
        entries.push(withCustom(entry));
      }
    }
    // A profile with no plaintext (cpw-vault's own, current one) is not a source: "all 0 entries are in the vault"
    // would make it a file safe to delete. Nor is one whose only values sit where they belong (an organization ID in
    // its non-secret slot): it was planned at every run, backed up, and reported as "plaintext still on disk".
    if (!entries.some((e) => !inItsPlainSlot(e))) throw new VaultError('INVALID_ARGUMENT', `${path} is a cpw-vault profile with no plaintext secret in it: there is nothing to migrate, and nothing was changed.`, 'Point --from at a secrets.json, .env or token file.');
    return { kind: 'seed-profile', path, entries, duplicateKeys: parsed.duplicateKeys.map(shownKey) };
  }
  return { kind: 'secrets-json', path, entries: legacyEntries(record).map(withCustom), duplicateKeys: parsed.duplicateKeys.map(shownKey) };
}

/** Parses the HuggingFace token file (`~/.cache/huggingface/token`): one token. */
export function parseHfTokenFile(path: string, text: string): ParsedSource {
  if (text.length > MAX_SOURCE_BYTES) throw sourceTooLarge(path, text.length);
  return { kind: 'hf-token-file', path, entries: [{ sourceKey: 'token', target: 'huggingface.token', value: text.trim() }], duplicateKeys: [] };
}
