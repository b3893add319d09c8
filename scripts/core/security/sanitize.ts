// Untrusted text made safe for a model: invisible characters and HTML comments removed, framed, one line. Pure.
/**
 * Untrusted text (task descriptions, file contents, review comments) reaches a model as data.
 * These helpers remove what could hide instructions from a human reader: invisible and
 * bidirectional Unicode controls, and HTML comments in task text.
 */

// Zero-width characters, bidi embeddings/overrides/isolates, the BOM, soft hyphen, and Unicode tags.
const INVISIBLE =
  /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/gu;
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;

/** What was removed from a text, so the run record can flag it. */
export interface SanitizeReport {
  text: string;
  invisibleRemoved: number;
  htmlCommentsRemoved: number;
}

/** Removes invisible/bidi control characters and HTML comments, and counts what it removed. */
export function sanitizeTaskText(text: string): SanitizeReport {
  let htmlCommentsRemoved = 0;
  const withoutComments = text.replace(HTML_COMMENT, () => {
    htmlCommentsRemoved += 1;
    return '';
  });
  let invisibleRemoved = 0;
  const clean = withoutComments.replace(INVISIBLE, () => {
    invisibleRemoved += 1;
    return '';
  });
  return { text: clean, invisibleRemoved, htmlCommentsRemoved };
}

/** Removes invisible/bidi control characters only (file contents keep their HTML comments). */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/**
 * Frames untrusted text so it cannot close its own frame: the fence is longer than any run of
 * backticks inside it.
 */
export function fenceAsData(label: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text ${label}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`;
}

/**
 * One line of at most `max` characters: every run of whitespace (newlines, Unicode line and
 * paragraph separators included) becomes one space, so text put into a commit message or a
 * title can never start a line of its own, such as a forged trailer.
 */
export function singleLine(text: string, max = 200): string {
  const line = text.replace(/[\s\u0085\u2028\u2029]+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
