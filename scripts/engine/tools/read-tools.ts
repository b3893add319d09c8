/** The read tools, `list_files`, `read_file` and `search`: what an agent can learn of the repository, bounded. */
import { RE2JS } from 're2js';
import { compileGlob } from '../../core/glob.ts';
import { checkPathShape, type ProtocolRule } from '../../core/protocol/protocol.ts';
import type { PathRefusal, WorkingCopy } from './working-copy.ts';

/** A tool's answer: text for the model, and whether it was refused (with the rule) or done. */
export type ToolResult =
  | { ok: true; rule?: undefined; text: string }
  | { ok: false; rule: string; text: string };

/** Bounds of the read tools; the dispatcher's `resultBytes` bounds every answer besides. */
export interface ReadLimits {
  /** Lines of one `read_file` answer. */
  readLines: number;
  /** Characters of one line shown (`read_file`, `search`); the rest is cut with a note. */
  lineChars: number;
  /** Paths of one `list_files` answer. */
  listEntries: number;
  /** Matching lines of one `search` answer. */
  searchMatches: number;
  /** Matching lines one `search` counts; past them it stops, and its count says "at least". */
  searchCount: number;
  /** How far into a large file `read_file` reads to reach a line. */
  scanBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  readLines: 400,
  lineChars: 500,
  listEntries: 500,
  searchMatches: 100,
  searchCount: 10_000,
  scanBytes: 64 * 1024 * 1024,
};

/** Failed tool calls name their rule first, so the model (and the run record) can tell them apart. */
export function refusal(rule: string, message: string): ToolResult {
  return { ok: false, rule, text: `refused (${rule}): ${message}` };
}

/**
 * Rules of the path shape that a read breaks too: anything that could leave the repository or
 * reach `.git`. Names git holds but a write may not create (a Windows device name) stay readable.
 */
const READ_RULES: ReadonlySet<ProtocolRule> = new Set([
  'empty_path',
  'path_too_long',
  'nul_byte',
  'backslash',
  'absolute_path',
  'parent_segment',
  'unclean_path',
  'malformed_unicode',
  'git_dir',
]);

/** Why `path` may not be read, when its shape alone says so. */
export function readPathRefusal(path: string): PathRefusal | undefined {
  const problem = checkPathShape(path);
  return problem && READ_RULES.has(problem.rule)
    ? { rule: problem.rule, message: problem.message }
    : undefined;
}

/** A folder argument: absent, "" and "." are the root; a trailing "/" is dropped. */
function folderArgument(path: string | undefined): { folder: string } | PathRefusal {
  const folder = (path ?? '').replace(/\/+$/, '');
  if (folder === '' || folder === '.') return { folder: '' };
  return readPathRefusal(folder) ?? { folder };
}

/**
 * The files under `folder` (or the file `folder` itself) that `glob` matches. A glob without a
 * "/" is matched against each file's name (`*.ts`), one with a "/" against its whole path.
 */
function selectFiles(
  copy: WorkingCopy,
  path: string | undefined,
  glob: string | undefined,
): string[] | ToolResult {
  const where = folderArgument(path);
  if ('rule' in where) return refusal(where.rule, where.message);
  const compiled = glob === undefined ? undefined : compileGlob(glob);
  if (compiled && !compiled.ok) return refusal('bad_glob', `glob "${glob}": ${compiled.error}`);
  const byName = glob !== undefined && !glob.includes('/');
  const prefix = where.folder === '' ? '' : `${where.folder}/`;
  return copy.paths().filter((file) => {
    if (!(file.startsWith(prefix) || file === where.folder)) return false;
    if (!compiled) return true;
    return compiled.test(byName ? file.slice(file.lastIndexOf('/') + 1) : file);
  });
}

/** `list_files`: the visible files under a folder, one path a line, with a "… N more" line past the bound. */
export function listFiles(
  copy: WorkingCopy,
  args: { path?: string; glob?: string },
  limits: ReadLimits,
): ToolResult {
  const files = selectFiles(copy, args.path, args.glob);
  if (!Array.isArray(files)) return files;
  if (files.length === 0) {
    return {
      ok: true,
      text: `no files under "${args.path ?? '.'}"${args.glob ? ` matching "${args.glob}"` : ''}`,
    };
  }
  const shown = files.slice(0, limits.listEntries);
  const more = files.length - shown.length;
  const tail = more > 0 ? [`… ${more} more; narrow with path or glob`] : [];
  return { ok: true, text: [...shown, ...tail].join('\n') };
}

/** A line as shown: a trailing carriage return dropped, and cut at `lineChars`. */
function shownLine(line: string, limits: ReadLimits): string {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  return text.length > limits.lineChars
    ? `${text.slice(0, limits.lineChars)} … [line cut at ${limits.lineChars} of ${text.length} characters]`
    : text;
}

/** Numbered lines from `start`, until `end`, the line bound or `maxBytes`; returns the text and the last line shown. */
function numberedLines(
  lines: readonly string[],
  start: number,
  end: number,
  limits: ReadLimits,
  maxBytes: number,
): { text: string; last: number } {
  const out: string[] = [];
  let bytes = 0;
  let last = start - 1;
  for (let number = start; number <= end && number - start < limits.readLines; number += 1) {
    const line = `${number}\t${shownLine(lines[number - start]!, limits)}`;
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > maxBytes && out.length > 0) break;
    out.push(line);
    last = number;
  }
  return { text: out.join('\n'), last };
}

/**
 * `read_file`: lines of a file with their numbers (tab-separated), at most `readLines` lines and
 * `maxBytes` bytes an answer, ending with where it stopped and how to read on. A large file is
 * read piece by piece up to the wanted lines, never whole.
 */
export async function readFile(
  copy: WorkingCopy,
  args: { path: string; start_line?: number; end_line?: number },
  limits: ReadLimits,
  maxBytes: number,
): Promise<ToolResult> {
  const bad = readPathRefusal(args.path);
  if (bad) return refusal(bad.rule, bad.message);
  const start = args.start_line ?? 1;
  const end = args.end_line ?? Number.POSITIVE_INFINITY;
  if (end < start) return refusal('bad_range', `end_line ${end} is before start_line ${start}`);
  const read = await copy.read(args.path);
  if (read.kind === 'refused') return refusal(read.rule, read.message);
  // Room for the closing note.
  const room = maxBytes - 200;
  if (read.kind === 'text') {
    const all = read.text.split('\n');
    if (all.at(-1) === '') all.pop();
    const total = all.length;
    if (total === 0) return { ok: true, text: `"${args.path}" is empty` };
    if (start > total)
      return refusal('bad_range', `"${args.path}" has ${total} lines; start_line ${start} is past its end`);
    const shown = numberedLines(all.slice(start - 1), start, Math.min(end, total), limits, room);
    const crlf = read.text.includes('\r\n') ? ' (CRLF line endings, not shown)' : '';
    const note =
      shown.last < Math.min(end, total)
        ? `[lines ${start}-${shown.last} of ${total}${crlf}; read on with start_line=${shown.last + 1}]`
        : `[lines ${start}-${shown.last} of ${total}${crlf}${shown.last === total ? ', end of file' : ''}]`;
    return { ok: true, text: `${shown.text}\n${note}` };
  }
  return readLarge(copy, args.path, read.size, start, end, limits, room);
}

/** read_file on a file too large to hold: pieces are read until the wanted lines are in hand. */
async function readLarge(
  copy: WorkingCopy,
  path: string,
  size: number,
  start: number,
  end: number,
  limits: ReadLimits,
  room: number,
): Promise<ToolResult> {
  const wanted: string[] = [];
  let lineNumber = 1;
  let partial = '';
  let bytes = 0;
  const lastWanted = Math.min(end, start + limits.readLines - 1);
  const failed = await copy.scan(path, limits.scanBytes, (piece) => {
    const lines = (partial + piece).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (lineNumber >= start && lineNumber <= lastWanted) {
        wanted.push(line);
        bytes += line.length;
      }
      lineNumber += 1;
    }
    return lineNumber <= lastWanted && bytes < room;
  });
  if (failed?.kind === 'refused') return refusal(failed.rule, failed.message);
  if (wanted.length === 0 && partial !== '' && lineNumber === start) wanted.push(partial);
  if (wanted.length === 0) {
    return refusal(
      'bad_range',
      `line ${start} is not within the first ${limits.scanBytes} bytes of "${path}" (${size} bytes); search finds lines by their text`,
    );
  }
  const shown = numberedLines(wanted, start, start + wanted.length - 1, limits, room);
  return {
    ok: true,
    text: `${shown.text}\n[lines ${start}-${shown.last} of a large file (${size} bytes); read on with start_line=${shown.last + 1}]`,
  };
}

/** How many files a search reads from disk at once. */
const READ_BATCH = 32;

/**
 * How a search finds the matching lines of one file: `has` is a fast first pass over the whole
 * text; `lines` calls `visit` with each matching line's number and text while `visit` returns
 * true (and while it is given), and returns how many lines match.
 */
interface LineScan {
  has: (text: string) => boolean;
  lines: (text: string, visit?: (number: number, line: string) => boolean) => number;
}

/**
 * The lines holding `pattern`, found with `indexOf` over the whole text: no line is split off or
 * numbered unless it is shown, and a line is counted once however often it holds the pattern. A
 * pattern with a line break matches no line.
 */
function literalScan(pattern: string): LineScan {
  const oneLine = !pattern.includes('\n');
  const has = (text: string) => oneLine && text.includes(pattern);
  const lines = (text: string, visit?: (number: number, line: string) => boolean) => {
    let count = 0;
    let number = 1;
    let numberedTo = 0;
    let visiting = visit !== undefined;
    for (let at = text.indexOf(pattern); at !== -1; ) {
      const start = text.lastIndexOf('\n', at) + 1;
      const newline = text.indexOf('\n', at + pattern.length);
      const end = newline === -1 ? text.length : newline;
      count += 1;
      if (visiting) {
        for (
          let nl = text.indexOf('\n', numberedTo);
          nl !== -1 && nl < start;
          nl = text.indexOf('\n', nl + 1)
        ) {
          number += 1;
        }
        numberedTo = start;
        visiting = visit!(number, text.slice(start, end));
      }
      at = newline === -1 ? -1 : text.indexOf(pattern, end + 1);
    }
    return count;
  };
  return { has, lines };
}

/**
 * The lines a regular expression matches, with RE2 (re2js), whose matching is linear in the
 * text, so no pattern can backtrack for ever. A file is first tested whole with `^` and `$` at
 * line ends, unless the pattern sets its own flags or anchors to the whole text.
 */
function regexScan(pattern: string): LineScan {
  const perLine = RE2JS.compile(pattern);
  const wholeFile = /\(\?|\\[Az]/.test(pattern) ? undefined : RE2JS.compile(pattern, RE2JS.MULTILINE);
  const has = (text: string) => (wholeFile ? wholeFile.test(text) : true);
  const lines = (text: string, visit?: (number: number, line: string) => boolean) => {
    let count = 0;
    let visiting = visit !== undefined;
    for (const [index, line] of text.split('\n').entries()) {
      if (!perLine.test(line)) continue;
      count += 1;
      if (visiting) visiting = visit!(index + 1, line);
    }
    return count;
  };
  return { has, lines };
}

/** The line scan of a search: literal unless `regex`; a pattern RE2 cannot read is refused. */
function scanOf(pattern: string, regex: boolean): LineScan | ToolResult {
  if (!regex) return literalScan(pattern);
  try {
    return regexScan(pattern);
  } catch (error) {
    return refusal(
      'bad_regex',
      `"${pattern}" is not a regular expression RE2 reads: ${(error as Error).message} (RE2 has no backreferences or lookarounds; or search with regex: false for the literal text)`,
    );
  }
}

/**
 * `search`: every line that holds `pattern` (literal unless `regex`), as `path:line: text`, in
 * the visible files under `path` that `glob` matches, edits included. Files too large to read
 * whole and binary files are skipped, and counted.
 */
export async function search(
  copy: WorkingCopy,
  args: { pattern: string; path?: string; glob?: string; regex?: boolean },
  limits: ReadLimits,
): Promise<ToolResult> {
  if (args.pattern === '') return refusal('empty_pattern', 'the pattern is empty');
  const scan = scanOf(args.pattern, args.regex ?? false);
  if ('ok' in scan) return scan;
  const files = selectFiles(copy, args.path, args.glob);
  if (!Array.isArray(files)) return files;
  const shown: string[] = [];
  let total = 0;
  let skipped = 0;
  // Files not yet in memory are read a batch at a time, so the disk's latency overlaps.
  for (let batch = 0; batch < files.length; batch += READ_BATCH) {
    const next = files.slice(batch, batch + READ_BATCH).filter((file) => copy.held(file) === undefined);
    if (next.length > 0) await Promise.all(next.map((file) => copy.read(file)));
  }
  let counted = true;
  for (const file of files) {
    // A pattern that matches everywhere says nothing more after this many lines.
    if (total >= limits.searchCount) {
      counted = false;
      break;
    }
    // Past the cache's bound a file is not held, and is read again here.
    const read = copy.held(file) ?? (await copy.read(file));
    const text = typeof read === 'string' ? read : read.kind === 'text' ? read.text : undefined;
    if (text === undefined) {
      skipped += 1;
      continue;
    }
    if (!scan.has(text)) continue;
    const visit = (number: number, line: string) => {
      shown.push(`${file}:${number}: ${shownLine(line, limits)}`);
      return shown.length < limits.searchMatches;
    };
    total += scan.lines(text, shown.length < limits.searchMatches ? visit : undefined);
  }
  const more = total - shown.length;
  const notes = [
    ...(more > 0
      ? [
          counted
            ? `… ${more} more matches; narrow with path or glob`
            : `… at least ${more} more matches (counting stopped at ${limits.searchCount}); narrow with path or glob`,
        ]
      : []),
    ...(skipped > 0 ? [`(${skipped} large, binary or unreadable files not searched)`] : []),
  ];
  if (total === 0) return { ok: true, text: [`no matches for "${args.pattern}"`, ...notes].join('\n') };
  return { ok: true, text: [...shown, ...notes].join('\n') };
}
