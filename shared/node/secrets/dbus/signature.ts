/**
 * D-Bus type signatures (the wire format's `g`, see wire.ts): parsed into
 * types, the parses kept, and said back as text for an error.
 */

/** One parsed type of a signature. */
export interface DbusType {
  code: string;
  children: DbusType[];
}

export const BASIC_ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, h: 4, v: 1, a: 4, '(': 8, '{': 8 };

/** Parses a signature into its complete types. Throws on a malformed one. */
export function parseSignature(signature: string): DbusType[] {
  const known = PARSED.get(signature);
  if (known) return known;
  const parsed = parseAnew(signature);
  // Only the first few signatures are kept: a peer's replies could name any number of them (the types are never changed).
  if (PARSED.size < 64) PARSED.set(signature, parsed);
  return parsed;
}

/**
 * Parsed signatures, by text: every call and reply of a read named the same few ('s', 'o', 'a(yv)', ...), each
 * parsed anew (with its variants', ~1 KB of short-lived heap a message, which made `get` pay a garbage collection).
 */
const PARSED = new Map<string, DbusType[]>();

/** The type of a variant's signature (`g`). */
export const SIGNATURE: DbusType = { code: 'g', children: [] };

function parseAnew(signature: string): DbusType[] {
  let i = 0;
  const one = (): DbusType => {
    const code = signature[i++];
    if (code === undefined) throw new Error('signature ended early');
    if (code === 'a') return { code, children: [one()] };
    if (code === '(' || code === '{') {
      const close = code === '(' ? ')' : '}';
      const children: DbusType[] = [];
      while (signature[i] !== close) {
        if (i >= signature.length) throw new Error('unclosed container in signature');
        children.push(one());
      }
      i++;
      return { code, children };
    }
    if (!(code in BASIC_ALIGN)) throw new Error(`unknown type code ${code}`);
    return { code, children: [] };
  };
  const out: DbusType[] = [];
  while (i < signature.length) out.push(one());
  return out;
}

/** The signature text of a parsed type. */
export function signatureOf(t: DbusType): string {
  if (t.code === 'a') return `a${signatureOf(t.children[0]!)}`;
  if (t.code === '(') return `(${t.children.map(signatureOf).join('')})`;
  if (t.code === '{') return `{${t.children.map(signatureOf).join('')}}`;
  return t.code;
}
