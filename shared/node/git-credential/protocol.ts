import { resolveEndpoint } from '../verify/endpoints';

type Env = Readonly<Record<string, string | undefined>>;

/** Largest request git's credential protocol ever needs; anything longer is not git. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** The fields of a credential request (`key=value` lines up to a blank line). Array keys (`key[]`) are ignored. */
export type CredentialRequest = ReadonlyMap<string, string>;

/** Parses git's credential request; later lines win, as in git. */
export function parseRequest(text: string): CredentialRequest {
  const fields = new Map<string, string>();
  for (const line of text.slice(0, MAX_REQUEST_BYTES).split('\n')) {
    const clean = line.replace(/\r$/, '');
    if (clean === '') break;
    const eq = clean.indexOf('=');
    if (eq <= 0 || clean.slice(0, eq).endsWith('[]')) continue;
    fields.set(clean.slice(0, eq), clean.slice(eq + 1));
  }
  return fields;
}

/**
 * Watches git's request as it comes, chunk by chunk: true once its blank line has come, where the protocol ends a
 * request (a line holding only a CR counts, as parseRequest reads it). Nothing after it is part of the request.
 */
export function requestEnd(): (chunk: Uint8Array) => boolean {
  let line: 'empty' | 'cr' | 'text' = 'empty'; // what the current line holds so far
  return (chunk) => {
    for (const byte of chunk) {
      if (byte === 0x0a) {
        if (line !== 'text') return true;
        line = 'empty';
      } else line = byte === 0x0d && line === 'empty' ? 'cr' : 'text';
    }
    return false;
  };
}

/** Formats an answer for git: `key=value` lines. Refuses a value with a line break (CR too) or NUL (git would misread it). */
export function formatAnswer(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([k, v]) => {
      if (/[\r\n\0]/.test(v)) throw new Error(`a ${k} with a line break cannot be given to git`);
      return `${k}=${v}\n`;
    })
    .join('');
}

/** The HuggingFace origins the helper answers for: https://huggingface.co, and the configured Hub endpoint (HF_ENDPOINT, ...). */
export function huggingFaceOrigins(env: Env): string[] {
  const origins = new Set(['https://huggingface.co']);
  const configured = resolveEndpoint('huggingface', 'huggingface', env);
  if (configured.ok) origins.add(configured.base.origin);
  return [...origins];
}

/** True when git asks for one of the HuggingFace origins (protocol and host, port included, must match exactly). */
export function isHuggingFaceRequest(req: CredentialRequest, env: Env): boolean {
  const protocol = req.get('protocol');
  const host = req.get('host');
  // The host as git spells it, in ASCII only: a URL parser percent-decodes (`huggingface%2eco`) and folds Unicode
  // look-alikes into `huggingface.co`, where git's HTTP client may reach another host (curl looks up the raw name).
  if ((protocol !== 'https' && protocol !== 'http') || !host || !/^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d*)?$/.test(host)) return false;
  let origin: string;
  try {
    origin = new URL(`${protocol}://${host}`).origin;
  } catch {
    return false;
  }
  return huggingFaceOrigins(env).includes(origin);
}
