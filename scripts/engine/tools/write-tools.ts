/** The write tools, `edit_file`, `write_file` and `delete_file`: each edit checked against the protocol when it is made. */
import { checkProposal, checkWrite, type ProposalPolicy } from '../../core/protocol/protocol.ts';
import type { Rejection } from '../../core/record/run-record.ts';
import type { SecretGuard } from '../guard/secret-guard.ts';
import { vetProposal } from '../guard/vet.ts';
import { refusal, type ToolResult } from './read-tools.ts';
import { inspectOnDisk, type WorkingCopy, type WorkingCopyEdits } from './working-copy.ts';

/** What every write is held to: the proposal policy of the task and agent, and the run's secrets. */
export interface WriteRules {
  policy: ProposalPolicy;
  secrets: SecretGuard;
}

/**
 * Checks one edit as a proposal would be checked: the whole change so far with this edit, by
 * `checkProposal` (path shape, allowed folders, declared files and scope, control plane and
 * `.github/` grants, sizes, binary content, colliding names); then what the disk holds on the way
 * (no write through a link, over a folder or a FIFO), whether git ignores the path, and the
 * secret scan of the new content and its path. A deletion is judged by its path.
 */
async function checkEdit(
  copy: WorkingCopy,
  rules: WriteRules,
  path: string,
  content: string | null,
): Promise<ToolResult | undefined> {
  const { changes, deletions } = copy.edits();
  const others = [...changes, ...deletions.map((deleted) => ({ path: deleted, content: '' }))].filter(
    (file) => file.path !== path,
  );
  const violation = checkProposal([...others, { path, content: content ?? '' }], rules.policy);
  if (violation) return refusal(violation.rule, violation.message);
  const { refusal: onDisk } = await inspectOnDisk(copy.root, path, true);
  if (onDisk) return refusal(onDisk.rule, onDisk.message);
  if (await copy.ignored(path)) {
    return refusal(
      'ignored_path',
      `"${path}" is ignored by the repository's .gitignore rules; it is the user's local file, so write another path`,
    );
  }
  const [secret] = await rules.secrets.scan([{ path, content: content ?? '' }]);
  if (secret) {
    const where = secret.line > 0 ? `line ${secret.line}` : 'the path';
    return refusal('secret', `${where} of "${secret.shownPath}": ${secret.message}; never write credentials`);
  }
  return undefined;
}

/** The path rules alone, first, so a refused path is named as such before anything is read. */
function pathRefusal(rules: WriteRules, path: string): ToolResult | undefined {
  const violation = checkWrite(path, rules.policy);
  return violation && refusal(violation.rule, violation.message);
}

/** The text of a file to edit, or why it cannot be edited. */
async function editableText(copy: WorkingCopy, path: string): Promise<string | ToolResult> {
  const read = await copy.read(path);
  if (read.kind === 'text') return read.text;
  if (read.kind === 'large') {
    return refusal(
      'file_too_large',
      `"${path}" (${read.size} bytes) is larger than ${copy.limits.wholeFileBytes} bytes, which edits can hold`,
    );
  }
  return refusal(read.rule, read.message);
}

/** The offsets of every occurrence of `needle` in `text`, not overlapping. */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length))
    found.push(at);
  return found;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) line += 1;
  return line;
}

const tokensOf = (line: string): Set<string> => new Set(line.match(/\w+|[^\s\w]/g) ?? []);

/**
 * The lines of `text` most like the first line of `wanted` (shared tokens over all tokens), with
 * their numbers: what the model probably meant, so it can copy the text exactly next time.
 */
export function nearestLines(text: string, wanted: string, count = 3): string[] {
  const first = wanted.split('\n').find((line) => line.trim() !== '') ?? wanted;
  const target = tokensOf(first);
  const scored = text.split('\n').map((line, index) => {
    const tokens = tokensOf(line);
    let shared = 0;
    for (const token of tokens) if (target.has(token)) shared += 1;
    return { index, line, score: shared / (target.size + tokens.size - shared || 1) };
  });
  return scored
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, count)
    .map((entry) => `${entry.index + 1}\t${entry.line.replace(/\r$/, '')}`);
}

/**
 * `edit_file`: replaces `old_text` by `new_text`. `old_text` must occur exactly once unless
 * `replace_all`. In a file with CRLF line endings, text sent with bare "\n" is matched and written
 * with "\r\n": the file keeps its own line endings whatever the model sends.
 */
export async function editFile(
  copy: WorkingCopy,
  rules: WriteRules,
  args: { path: string; old_text: string; new_text: string; replace_all?: boolean },
): Promise<ToolResult> {
  const badPath = pathRefusal(rules, args.path);
  if (badPath) return badPath;
  if (args.old_text === '') {
    return refusal(
      'empty_old_text',
      'old_text is empty; give the exact text to replace, or use write_file for a new file',
    );
  }
  const text = await editableText(copy, args.path);
  if (typeof text !== 'string') return text;
  const crlf = text.includes('\r\n');
  const toFile = (value: string) => (crlf ? value.replace(/\r?\n/g, '\r\n') : value);
  const oldText = toFile(args.old_text);
  const found = occurrences(text, oldText);
  if (found.length === 0) {
    const near = nearestLines(text, args.old_text);
    return refusal(
      'no_match',
      `old_text does not occur in "${args.path}"; it must match exactly, spaces and indentation included.${near.length > 0 ? ` Nearest lines:\n${near.join('\n')}` : ''}`,
    );
  }
  if (found.length > 1 && !args.replace_all) {
    const lines = found.slice(0, 10).map((offset) => lineAt(text, offset));
    return refusal(
      'ambiguous_match',
      `old_text occurs ${found.length} times in "${args.path}" (at lines ${lines.join(', ')}${found.length > 10 ? ', …' : ''}); add surrounding lines to make it unique, or set replace_all`,
    );
  }
  const updated = args.replace_all
    ? text.split(oldText).join(toFile(args.new_text))
    : text.slice(0, found[0]) + toFile(args.new_text) + text.slice(found[0]! + oldText.length);
  const refused = await checkEdit(copy, rules, args.path, updated);
  if (refused) return refused;
  copy.write(args.path, updated);
  return { ok: true, text: `edited "${args.path}": ${args.replace_all ? found.length : 1} replacement(s)` };
}

/** Comment openers of the languages agents write most. */
const COMMENT = /^\s*(?:\/\/+|#+|\/\*+|<!--|--|;+|\*)\s*(.*)$/;

/**
 * Whether a comment line stands for code left out: "// ... rest unchanged", "# (unchanged)",
 * "/* ... *\/ existing code". A model that writes one has not written the whole file.
 */
export function isElisionMarker(line: string): boolean {
  const body = COMMENT.exec(line)?.[1];
  if (body === undefined) return false;
  const words = /\b(?:unchanged|existing|rest|remaining|omitted|as before|same as before)\b/i;
  if (/(?:\.\.\.|…)/.test(body) && words.test(body)) return true;
  return /^\(?\s*(?:unchanged|rest unchanged|rest of (?:the )?(?:file|code)(?: (?:is )?unchanged)?)\s*\)?\s*(?:\*\/|-->)?\s*$/i.test(
    body,
  );
}

/** A whole-file write that would lose part of the file: the rule it breaks and what happened. */
export interface WholeFileLoss {
  rule: 'elision_marker' | 'whole_file_shrink';
  message: string;
}

/** Files shorter than this, in lines, may be rewritten shorter: a model repeats them whole. */
const SHRINK_CHECK_MIN_LINES = 10;

/** The lines of `text`, a final newline ending the last one rather than starting another. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * Whether writing `content` whole over a file of `before` (its text, or only its size when too large
 * to hold) loses part of it: it holds an elision marker the file did not hold, or it shrinks a file
 * of at least SHRINK_CHECK_MIN_LINES lines to less than half. Both are how a whole-file answer loses
 * the part the model did not repeat. Shared by `write_file` and the fenced-block answers of agents
 * without tools.
 */
export function wholeFileLoss(
  path: string,
  before: { text: string } | { size: number } | undefined,
  content: string,
): WholeFileLoss | undefined {
  const beforeText = before && 'text' in before ? before.text : '';
  const marker = content.split('\n').find((line) => isElisionMarker(line) && !beforeText.includes(line));
  if (marker !== undefined) {
    return {
      rule: 'elision_marker',
      message: `"${path}" holds "${marker.trim().slice(0, 80)}", which stands for code left out`,
    };
  }
  const oldSize = before === undefined ? 0 : 'text' in before ? before.text.length : before.size;
  const short = before !== undefined && 'text' in before && lineCount(before.text) < SHRINK_CHECK_MIN_LINES;
  if (!short && content.length * 2 < oldSize) {
    return {
      rule: 'whole_file_shrink',
      message: `"${path}" would shrink from ${oldSize} to ${content.length} characters, less than half`,
    };
  }
  return undefined;
}

/**
 * `write_file`: the whole new content of a file. Refused when it would lose part of the file
 * (`wholeFileLoss`).
 */
export async function writeFile(
  copy: WorkingCopy,
  rules: WriteRules,
  args: { path: string; content: string },
): Promise<ToolResult> {
  const badPath = pathRefusal(rules, args.path);
  if (badPath) return badPath;
  const before = copy.has(args.path) ? await copy.read(args.path) : undefined;
  const known =
    before?.kind === 'text'
      ? { text: before.text }
      : before?.kind === 'large'
        ? { size: before.size }
        : undefined;
  const loss = wholeFileLoss(args.path, known, args.content);
  if (loss) {
    const hint =
      loss.rule === 'elision_marker'
        ? 'write the file whole, or change part of it with edit_file'
        : 'change part of it with edit_file, or delete it with delete_file';
    return refusal(loss.rule, `${loss.message}; ${hint}`);
  }
  const refused = await checkEdit(copy, rules, args.path, args.content);
  if (refused) return refused;
  copy.write(args.path, args.content);
  return { ok: true, text: `wrote "${args.path}" (${args.content.length} characters)` };
}

/** `delete_file`: deletes a visible file, under the same rules as a write to its path. */
export async function deleteFile(
  copy: WorkingCopy,
  rules: WriteRules,
  args: { path: string },
): Promise<ToolResult> {
  const badPath = pathRefusal(rules, args.path);
  if (badPath) return badPath;
  if (!copy.has(args.path)) {
    return refusal(
      'not_found',
      `"${args.path}" is not a file of the repository; list_files shows what there is`,
    );
  }
  const refused = await checkEdit(copy, rules, args.path, null);
  if (refused) return refused;
  copy.delete(args.path);
  return { ok: true, text: `deleted "${args.path}"` };
}

/**
 * The edits handed over at `finish`, vetted again as one proposal by `vetProposal`: defence in
 * depth over the checks of each call, with what only the whole can show (the repository's trees
 * on the default and task branches). A deletion is vetted by its path, as an empty file there.
 */
export function vetEdits(
  edits: WorkingCopyEdits,
  context: Parameters<typeof vetProposal>[1],
): Promise<Rejection | undefined> {
  const deletions = edits.deletions.map((path) => ({ path, content: '' }));
  return vetProposal([...edits.changes, ...deletions], context);
}
