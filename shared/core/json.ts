import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { MAX_JSON_DEPTH, overDeepAt } from './json-depth';

export { MAX_JSON_DEPTH, overDeepAt } from './json-depth';

/** Where a JSON document is broken: 1-based line and column, and what was expected. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  reason: string;
}

/** A parsed document, with every key that appeared twice in one object (by JSON path). */
export interface ParsedJson {
  value: unknown;
  duplicateKeys: string[];
}

export type JsonParseResult = ({ ok: true } & ParsedJson) | ({ ok: false } & JsonSyntaxProblem);

/**
 * Parses strict JSON (no comments, no trailing commas) without ever echoing
 * the input: errors carry only a line, a column and a reason (unlike
 * JSON.parse, whose messages quote the text — which may be a secret).
 * A leading BOM is ignored; CRLF line ends are fine. Keys such as `__proto__`
 * become plain own properties: parsing never touches a prototype.
 */
export function parseJson(text: string): JsonParseResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const deep = overDeepAt(source);
  if (deep >= 0) return { ok: false, ...position(source, deep), reason: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || !tree) {
    const first = errors[0];
    const offset = first?.offset ?? 0;
    return { ok: false, ...position(source, offset), reason: first ? describe(printParseErrorCode(first.error)) : 'empty document' };
  }
  const duplicateKeys: string[] = [];
  return { ok: true, value: toValue(tree, [], duplicateKeys), duplicateKeys };
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describe(code: string): string {
  // "PropertyNameExpected" -> "property name expected"
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * The value of a parse tree. `at` holds the path to `node` as segments, built
 * into a string only for a duplicate key: a string per node made 1 MiB of
 * nested arrays cost seconds (each node copied its parent's whole path).
 */
function toValue(node: Node, at: string[], duplicates: string[]): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode || !valueNode) continue;
        const key = String(keyNode.value);
        at.push(at.length ? `.${key}` : key);
        if (Object.prototype.hasOwnProperty.call(out, key)) duplicates.push(at.join(''));
        // defineProperty, not assignment: "__proto__" stays an ordinary own key.
        Object.defineProperty(out, key, { value: toValue(valueNode, at, duplicates), enumerable: true, writable: true, configurable: true });
        at.pop();
      }
      return out;
    }
    case 'array': {
      const children = node.children ?? [];
      const out = new Array<unknown>(children.length);
      for (let i = 0; i < children.length; i++) {
        at.push(`[${i}]`);
        out[i] = toValue(children[i]!, at, duplicates);
        at.pop();
      }
      return out;
    }
    default:
      return node.value;
  }
}
