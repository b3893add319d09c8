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
  PropertyNameExpected: 'expected a property name in double quotes (a trailing comma?)',
  ValueExpected: 'expected a value (a trailing comma?)',
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
  let depth = 0;
  let inString = false;
  for (let offset = 0; offset < text.length; offset += 1) {
    const code = text.charCodeAt(offset);
    if (inString) {
      if (code === 0x5c)
        offset += 1; // the escaped character cannot end the string
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > limit) return offset;
    } else if ((code === 0x5d || code === 0x7d) && depth > 0) {
      depth -= 1;
    }
  }
  return undefined;
}

/**
 * Parses strict JSON (no comments, no trailing commas), keeping positions; a UTF-8 BOM is ignored.
 * A document nested deeper than MAX_JSON_DEPTH is refused before any parser sees it.
 */
export function parseJsonDocument(raw: string): JsonDocument | JsonSyntaxError {
  const text = raw.startsWith('\uFEFF') ? ` ${raw.slice(1)}` : raw;
  const tooDeep = nestingOverflow(text, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    return {
      kind: 'too_deep',
      message: `arrays and objects nested deeper than ${MAX_JSON_DEPTH} levels; a task file needs 2`,
      position: positionAt(text, tooDeep),
    };
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  // jsonc-parser reports an error for every text it cannot turn into a tree, the empty one included.
  if (first) {
    const code = printParseErrorCode(first.error);
    return {
      kind: 'syntax',
      message: `invalid JSON: ${SYNTAX_HINTS[code] ?? code}`,
      position: positionAt(text, first.offset),
    };
  }
  const tree = root!;
  const duplicateKeys: JsonDocument['duplicateKeys'] = [];
  collectDuplicateKeys(tree, [], text, duplicateKeys);
  return {
    value: JSON.parse(text),
    duplicateKeys,
    positionOf(path, options) {
      // The nearest node that exists: a missing field points at the object that lacks it.
      let depth = path.length;
      let node = findNodeAtLocation(tree, [...path]);
      while (!node) node = findNodeAtLocation(tree, path.slice(0, --depth));
      const target = options?.key && node.parent?.type === 'property' ? node.parent : node;
      return positionAt(text, target.offset);
    },
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
