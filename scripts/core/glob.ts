// Path globs compiled to RE2 patterns, so a glob from a task file or a model matches in linear time. Pure.
/**
 * Path globs (`src/**`, `tests/*.test.ts`, `*.{ts,md}`), compiled to RE2 patterns: matching is
 * linear in the path, so a glob written in a task file or by a model cannot stall a run the way
 * a backtracking matcher can (`*a*a*a*a*b` against a long path). Pure.
 */
import { RE2JS } from 're2js';

/** Longer globs are refused: no scope or filter needs one, and each costs a compile. */
export const MAX_GLOB_LENGTH = 500;

/** A compiled glob, or why it could not be compiled. */
export type GlobResult = { ok: true; test: (path: string) => boolean } | { ok: false; error: string };

const SPECIAL = /[.*+?^${}()|[\]\\]/g;

function escapeChar(char: string): string {
  return char.replace(SPECIAL, '\\$&');
}

/**
 * The RE2 source of a glob matched against a whole path. `**` spans folders (`src/**` holds
 * everything under `src/`, `**\/x.ts` every `x.ts`), `*` and `?` stay inside one name, `{a,b}`
 * is either, `[abc]` and `[!abc]` one character of a set; anything else is itself.
 */
function globSource(glob: string): string | { error: string } {
  let out = '';
  let depth = 0;
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index]!;
    if (char === '*') {
      if (glob[index + 1] !== '*') {
        out += '[^/]*';
        continue;
      }
      const atStart = index === 0 || glob[index - 1] === '/';
      index += 1;
      if (atStart && glob[index + 1] === '/') {
        out += '(?:.*/)?';
        index += 1;
      } else out += '.*';
    } else if (char === '?') out += '[^/]';
    else if (char === '{') {
      depth += 1;
      out += '(?:';
    } else if (char === '}' && depth > 0) {
      depth -= 1;
      out += ')';
    } else if (char === ',' && depth > 0) out += '|';
    else if (char === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close === -1) return { error: `"[" at character ${index + 1} is never closed by "]"` };
      const body = glob.slice(index + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      const members = (negated ? body.slice(1) : body).replace(/[\\[\]^]/g, '\\$&');
      out += negated ? `[^/${members}]` : `[${members}]`;
      index = close;
    } else out += escapeChar(char);
  }
  if (depth > 0) return { error: 'a "{" is never closed by "}"' };
  return out;
}

/** Compiles `glob`, matched against whole repository-relative paths. */
export function compileGlob(glob: string): GlobResult {
  if (glob.length === 0) return { ok: false, error: 'the glob is empty' };
  if (glob.length > MAX_GLOB_LENGTH) {
    return { ok: false, error: `the glob is ${glob.length} characters; at most ${MAX_GLOB_LENGTH}` };
  }
  const source = globSource(glob);
  if (typeof source !== 'string') return { ok: false, error: source.error };
  try {
    const pattern = RE2JS.compile(`^(?:${source})$`);
    return { ok: true, test: (path) => pattern.test(path) };
  } catch (error) {
    return { ok: false, error: `the glob cannot be read: ${(error as Error).message}` };
  }
}

const compiled = new Map<string, GlobResult>();

/** Whether `path` matches `glob`; a glob that cannot be compiled matches nothing. Compiled once each. */
export function globMatches(glob: string, path: string): boolean {
  let result = compiled.get(glob);
  if (!result) {
    result = compileGlob(glob);
    // Bounded, so globs from many tasks in one long run cannot grow it without end.
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(glob, result);
  }
  return result.ok && result.test(path);
}
