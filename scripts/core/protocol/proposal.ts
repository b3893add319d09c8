// The proposal format: an answer's fenced `lang:path` blocks parsed into whole files, and rendered back. Pure.
/**
 * The proposal format (the seed's): fenced blocks whose info string is `lang:path`, each the
 * whole new content of one file. Everything outside blocks is prose and ignored.
 *
 *   ```ts:src/x.ts        a language and a path
 *   ```:docs/a.md         no language
 *   ````md:docs/b.md      a longer fence, when the content holds ``` itself
 *
 * Only the first word of the info string counts: anything after it (```` ```md:docs/a.md title="a" ````)
 * is ignored, so attributes never become part of the path. A block whose first word has no `:`
 * (```` ```ts title="a:b" ````) is an ordinary code sample in the prose, not a file.
 *
 * A block whose body opens with `<<<<<<< SEARCH` edits part of its file instead of replacing it
 * whole: see `search-replace.ts`.
 */

import { isSearchReplace, parseReplacements, type Replacement } from './search-replace.ts';

/** One file of a proposal. */
export interface ProposedFile {
  path: string;
  content: string;
  lang: string | null;
}

/** Part of one existing file changed by search/replace sections (`search-replace.ts`), for a large file. */
export interface ProposedEdit {
  path: string;
  replacements: Replacement[];
  lang: string | null;
}

export type ProposalResult =
  | { ok: true; files: ProposedFile[]; edits: ProposedEdit[] }
  | { ok: false; reason: string };

const OPENING = /^ {0,3}(`{3,}|~{3,})([^`]*)$/;
/** CommonMark's whitespace within a line: what separates the words of an info string. */
const INFO_SPACE = /[ \t\v\f]+/;

/**
 * The first word of an info string: `lang:path` when the block is a file. Only CommonMark's
 * whitespace separates words; any other character (a no-break space) stays in the word, for the
 * path rules to judge.
 */
function firstWord(info: string): string {
  return info.replace(/^[ \t\v\f]+/, '').split(INFO_SPACE)[0]!;
}

/** Parses an agent's answer into files; ambiguous answers are refused with a reason. */
export function parseProposal(text: string): ProposalResult {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const files: ProposedFile[] = [];
  const edits: ProposedEdit[] = [];
  // A set, not a scan of `files`: an answer of many thousand blocks must stay linear.
  const seen = new Set<string>();
  for (let index = 0; index < lines.length; index += 1) {
    const opening = OPENING.exec(lines[index]!);
    if (!opening) continue;
    const fence = opening[1]!;
    const word = firstWord(opening[2]!);
    const colon = word.indexOf(':');
    const close = findClose(lines, index + 1, fence);
    if (close === undefined) {
      if (colon === -1) break; // an unclosed sample at the end of the prose
      return { ok: false, reason: `the block for "${word}" is never closed (opened on line ${index + 1})` };
    }
    const bodyLines = lines.slice(index + 1, close);
    index = close;
    if (colon === -1) continue;
    const lang = word.slice(0, colon);
    const path = word.slice(colon + 1);
    if (path === '')
      return { ok: false, reason: `a block on line ${close} has a language but an empty path` };
    if (seen.has(path)) {
      return { ok: false, reason: `"${path}" is written by two blocks; send each file once` };
    }
    seen.add(path);
    if (isSearchReplace(bodyLines)) {
      const parsed = parseReplacements(bodyLines);
      if (!parsed.ok) return { ok: false, reason: `the block for "${path}": ${parsed.reason}` };
      edits.push({ path, replacements: parsed.replacements, lang: lang === '' ? null : lang });
      continue;
    }
    const content = bodyLines.length > 0 ? `${bodyLines.join('\n')}\n` : '';
    files.push({ path, content, lang: lang === '' ? null : lang });
  }
  if (files.length + edits.length === 0) {
    return { ok: false, reason: 'no fenced block with a "lang:path" info string, e.g. ```ts:src/x.ts' };
  }
  return { ok: true, files, edits };
}

/** The line that closes a block opened with `fence`: the same character, at least as long. */
function findClose(lines: readonly string[], from: number, fence: string): number | undefined {
  const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
  for (let index = from; index < lines.length; index += 1) {
    if (closing.test(lines[index]!)) return index;
  }
  return undefined;
}

/**
 * Renders files in the proposal format, choosing a fence longer than any inside the content.
 * Throws on a path or language that cannot stand as the first word of an info string (one with
 * whitespace or a backtick, or a language with a colon): it would not parse back as itself.
 */
export function renderProposal(
  files: readonly { path: string; content: string; lang?: string | null }[],
): string {
  return files
    .map((file) => {
      const word = `${file.lang ?? ''}:${file.path}`;
      if (firstWord(word) !== word || word.includes('`') || (file.lang ?? '').includes(':')) {
        throw new Error(`"${word}" cannot be written as the info string of a block`);
      }
      const longest = Math.max(2, ...[...file.content.matchAll(/`{3,}/g)].map((match) => match[0].length));
      const fence = '`'.repeat(longest + 1);
      const body = file.content.endsWith('\n') ? file.content : `${file.content}\n`;
      return `${fence}${word}\n${file.content.length > 0 ? body : ''}${fence}`;
    })
    .join('\n\n');
}
