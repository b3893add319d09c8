// JSON parsed with positions: the line and column of each value, repeated keys, nesting too deep. Pure.
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';

/** A position in a text file, 1-based as editors and GitHub annotations count. */
export interface Position {
  line: number;
  column: number;
}

/** A parsed JSON document that still knows where each value stood in the text. */
export interface JsonDocument {
  value: unknown;
  /** Position of the value (or, with `key`, of the property name) at a JSON path. */
  positionOf(path: readonly (string | number)[], options?: { key?: boolean }): Position;
  /** Object keys that appear more than once, with the position of each repeat. */
  duplicateKeys: { path: (string | number)[]; position: Position }[];
}

export interface JsonSyntaxError {
  /** `too_deep`: arrays and objects nest deeper than MAX_JSON_DEPTH, and the text was not parsed. */
  kind: 'syntax' | 'too_deep';
  message: string;
  position: Position;
}

/** How deep arrays and objects may nest in a document; a task file needs 2. */
export const MAX_JSON_DEPTH = 64;

const SYNTAX_HINTS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the property name',
  CommaExpected: 'expected "," between entries',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the array',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
};

/** Converts a character offset into a 1-based line and column. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The offset of the first `[` or `{` that opens a level deeper than `limit`, outside strings, or
 * undefined. One pass and no recursion, so it is safe on any text: the parsers after it recurse
 * once per level and would overflow the stack on a file nested 100,000 deep.
 */
export function nestingOverflow(text: string, limit: number): number | undefined {
  return scanOutsideStrings(text, limit).overflowAt;
}

/**
 * One pass over the text outside its strings: where it first nests deeper than `limit` (the pass
 * stops there), and how many colons it holds (one per object property in valid JSON).
 */
function scanOutsideStrings(text: string, limit: number): { overflowAt?: number; colons: number } {
  let depth = 0;
  let colons = 0;
  let inString = false;
  for (let offset = 0; offset < text.length; offset += 1) {
    const code = text.charCodeAt(offset);
    if (inString) {
      if (code === 0x5c)
        offset += 1; // the escaped character cannot end the string
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x3a) {
      colons += 1;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > limit) return { overflowAt: offset, colons };
    } else if ((code === 0x5d || code === 0x7d) && depth > 0) {
      depth -= 1;
    }
  }
  return { colons };
}

/** How many properties the objects in `value` hold, nested ones included. */
function propertyCount(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  let count = Array.isArray(value) ? 0 : items.length;
  for (const item of items) count += propertyCount(item);
  return count;
}

const STRICT = { disallowComments: true, allowTrailingComma: false } as const;

/**
 * Parses strict JSON (no comments, no trailing commas), keeping positions; a UTF-8 BOM is ignored.
 * A document nested deeper than MAX_JSON_DEPTH is refused before any parser sees it.
 *
 * Valid files, nearly all of them, are read by `JSON.parse` alone: the tree that knows positions
 * is built only when a position is asked for or a key is repeated (`JSON.parse` keeps one of the
 * repeats, so it then returns fewer properties than the text has colons outside strings).
 */
export function parseJsonDocument(raw: string): JsonDocument | JsonSyntaxError {
  const text = raw.startsWith('\uFEFF') ? ` ${raw.slice(1)}` : raw;
  const scan = scanOutsideStrings(text, MAX_JSON_DEPTH);
  if (scan.overflowAt !== undefined) {
    return {
      kind: 'too_deep',
      message: `arrays and objects nested deeper than ${MAX_JSON_DEPTH} levels; a task file needs 2`,
      position: positionAt(text, scan.overflowAt),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return syntaxError(text);
  }
  let root: Node | undefined;
  const tree = (): Node => (root ??= parseTree(text, [], STRICT)!);
  const duplicateKeys: JsonDocument['duplicateKeys'] = [];
  if (propertyCount(value) < scan.colons) collectDuplicateKeys(tree(), [], text, duplicateKeys);
  return {
    value,
    duplicateKeys,
    positionOf(path, options) {
      // The nearest node that exists: a missing field points at the object that lacks it.
      let depth = path.length;
      let node = findNodeAtLocation(tree(), [...path]);
      while (!node) node = findNodeAtLocation(tree(), path.slice(0, --depth));
      const target = options?.key && node.parent?.type === 'property' ? node.parent : node;
      return positionAt(text, target.offset);
    },
  };
}

/**
 * Where and why a text that `JSON.parse` refused is not JSON, in jsonc-parser's more telling words.
 * In strict mode it refuses exactly the texts `JSON.parse` refuses, the empty one included.
 */
function syntaxError(text: string): JsonSyntaxError {
  if (text.trim() === '') {
    return {
      kind: 'syntax',
      message: 'the file is empty; write one JSON object, {"task_id": …}',
      position: { line: 1, column: 1 },
    };
  }
  const errors: ParseError[] = [];
  parseTree(text, errors, STRICT);
  const first = errors[0]!;
  const code = printParseErrorCode(first.error);
  // Only where a comma is what came last: elsewhere the guess misleads.
  const trailingComma = /,\s*$/.test(text.slice(0, first.offset)) ? ' (a trailing comma?)' : '';
  return {
    kind: 'syntax',
    message: `invalid JSON: ${SYNTAX_HINTS[code] ?? code}${trailingComma}`,
    position: positionAt(text, first.offset),
  };
}

function collectDuplicateKeys(
  node: Node,
  path: (string | number)[],
  text: string,
  out: JsonDocument['duplicateKeys'],
): void {
  const children = node.children ?? [];
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const property of children) {
      const [keyNode, valueNode] = property.children as [Node, Node];
      const key = String(keyNode.value);
      if (seen.has(key)) out.push({ path: [...path, key], position: positionAt(text, keyNode.offset) });
      seen.add(key);
      collectDuplicateKeys(valueNode, [...path, key], text, out);
    }
  } else if (node.type === 'array') {
    children.forEach((child, index) => {
      collectDuplicateKeys(child, [...path, index], text, out);
    });
  }
}

/** Formats a JSON path the way messages show it: `files[2]`, `labels[0]`, or `(root)`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}
