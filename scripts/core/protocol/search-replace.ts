// Search/replace blocks: a fenced `lang:path` block that edits part of a large file, parsed and applied. Pure.
/**
 * The search/replace form of a proposal block, for files too large to repeat whole. The body of a
 * `lang:path` block is one or more sections:
 *
 *   <<<<<<< SEARCH
 *   (the exact old text, whole lines)
 *   =======
 *   (the new text)
 *   >>>>>>> REPLACE
 *
 * Sections apply in order, each to the content the ones before it left; each SEARCH text must
 * occur exactly once there. Only blank lines may stand between sections.
 */

/** One SEARCH/REPLACE section: whole lines, each ending with "\n" (an empty REPLACE is ""). */
export interface Replacement {
  search: string;
  replace: string;
}

export type ReplacementsResult = { ok: true; replacements: Replacement[] } | { ok: false; reason: string };
export type AppliedResult = { ok: true; content: string } | { ok: false; reason: string };

const SEARCH = /^<{7} ?SEARCH\s*$/;
const DIVIDER = /^={7}\s*$/;
const REPLACE = /^>{7} ?REPLACE\s*$/;

/** Whether a block's body (its lines) is in the search/replace form: its first non-blank line opens a section. */
export function isSearchReplace(lines: readonly string[]): boolean {
  const first = lines.find((line) => line.trim() !== '');
  return first !== undefined && SEARCH.test(first);
}

/** Parses a block's body into its sections; a malformed or empty section is refused with a reason. */
export function parseReplacements(lines: readonly string[]): ReplacementsResult {
  const replacements: Replacement[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!;
    if (line.trim() === '') {
      index += 1;
      continue;
    }
    if (!SEARCH.test(line)) {
      return { ok: false, reason: `line ${index + 1} of the block is outside any SEARCH/REPLACE section` };
    }
    const divider = findLine(lines, index + 1, DIVIDER);
    const end = divider === undefined ? undefined : findLine(lines, divider + 1, REPLACE);
    if (divider === undefined || end === undefined) {
      return {
        ok: false,
        reason: `the section opened on line ${index + 1} of the block lacks its "=======" or ">>>>>>> REPLACE" line`,
      };
    }
    const search = joined(lines.slice(index + 1, divider));
    if (search.trim() === '') {
      return {
        ok: false,
        reason: `the SEARCH text of the section on line ${index + 1} of the block is empty; quote the lines to replace`,
      };
    }
    replacements.push({ search, replace: joined(lines.slice(divider + 1, end)) });
    index = end + 1;
  }
  return { ok: true, replacements };
}

function findLine(lines: readonly string[], from: number, pattern: RegExp): number | undefined {
  for (let index = from; index < lines.length; index += 1) {
    if (pattern.test(lines[index]!)) return index;
  }
  return undefined;
}

function joined(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** How many line numbers a refusal names at most. */
const NAMED_LINES = 5;

/**
 * Applies the sections to a file's content, in order. The file's line endings are kept: in a CRLF
 * file, SEARCH and REPLACE are read with CRLF too. A file without a final newline matches a SEARCH
 * whose last line is its last line. Refused, naming the section and where, when a SEARCH text
 * occurs nowhere or more than once.
 */
export function applyReplacements(content: string, replacements: readonly Replacement[]): AppliedResult {
  const eol = content.includes('\r\n') ? '\r\n' : '\n';
  const added = content !== '' && !content.endsWith(eol);
  let text = added ? content + eol : content;
  for (const [index, { search, replace }] of replacements.entries()) {
    const old = search.replaceAll('\n', eol);
    const found = occurrences(text, old);
    const which = replacements.length > 1 ? `SEARCH text ${index + 1}` : 'the SEARCH text';
    if (found.length !== 1) {
      return {
        ok: false,
        reason: `${which} ${found.length === 0 ? noMatch(text, search) : several(text, found)}`,
      };
    }
    text = text.slice(0, found[0]) + replace.replaceAll('\n', eol) + text.slice(found[0]! + old.length);
  }
  return { ok: true, content: added && text.endsWith(eol) ? text.slice(0, -eol.length) : text };
}

/** Where `needle` starts in `text`, at most NAMED_LINES + 1 times (enough to say "several"). */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (
    let at = text.indexOf(needle);
    at !== -1 && found.length <= NAMED_LINES;
    at = text.indexOf(needle, at + 1)
  ) {
    found.push(at);
  }
  return found;
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function several(text: string, found: readonly number[]): string {
  const lines = found.slice(0, NAMED_LINES).map((at) => lineAt(text, at));
  const more = found.length > NAMED_LINES ? ', …' : '';
  return `occurs ${found.length > NAMED_LINES ? 'more than 5' : found.length} times (at lines ${lines.join(', ')}${more}); quote more lines around it so it occurs once`;
}

/** No match: the lines that hold the SEARCH text's first line, when some do, as the nearest candidates. */
function noMatch(text: string, search: string): string {
  const first = search
    .split('\n')
    .find((line) => line.trim() !== '')!
    .trim();
  const near: number[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (near.length < NAMED_LINES && line.trim() === first) near.push(index + 1);
  }
  const hint =
    near.length > 0
      ? `; its first line is at line ${near.join(', ')}, so a later line differs`
      : '; no line of the file equals its first line';
  return `does not occur in the file${hint}. Quote the current lines exactly, or write the file whole`;
}
