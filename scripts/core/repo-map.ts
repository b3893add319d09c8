// The repository map of a coder's first prompt: files, sizes and top-level symbols, ranked and cut to a budget. Pure.
/**
 * The repository map of a coder's first prompt: each tracked file's size and top-level symbols
 * (exported functions, classes, types and consts of TypeScript and JavaScript, Markdown headings),
 * ranked by how near each file is to the task, and rendered as a tree cut to a token budget. Pure.
 */
import { compileGlob } from './glob.ts';

/** One file of the map: its path, its size in bytes, and the symbols found in it. */
export interface MapFile {
  path: string;
  size: number;
  symbols: readonly string[];
  /**
   * The words of its path and symbols (`fileWords`), worked out once where the file is indexed
   * and kept: ranking thousands of files for each task then costs set lookups only.
   */
  words?: FileWords;
}

/** The words of a file's path and of its symbols, as `wordsOf` splits them. */
export interface FileWords {
  path: ReadonlySet<string>;
  symbols: ReadonlySet<string>;
}

/** What the map is ranked by: the task's words (title and description), its files and scope. */
export interface MapFocus {
  text: string;
  files: readonly string[];
  scope?: readonly string[];
}

/** At most this many symbols are kept of one file, each cut to `SYMBOL_CHARS`. */
export const MAX_SYMBOLS = 40;
const SYMBOL_CHARS = 80;
/** Characters of one file's symbol list in the map; the rest is counted. */
const SYMBOLS_SHOWN_CHARS = 200;
/** Characters of one name (a folder or file) in the map. */
const NAME_CHARS = 120;

const SCRIPT = /\.(?:[cm]?[jt]s|[jt]sx)$/i;
const MARKDOWN = /\.(?:md|mdx|markdown)$/i;

/** What `symbolsOf` reads in a file of this name: scripts, Markdown, or nothing. */
export function symbolKindOf(path: string): 'script' | 'markdown' | undefined {
  if (SCRIPT.test(path)) return 'script';
  return MARKDOWN.test(path) ? 'markdown' : undefined;
}

/** A top-level export: `export [default] [declare] [async] [abstract] <kind> <name>`, matched where a line starts with it. */
const EXPORT =
  /export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(function\*?|class|interface|type|enum|const\s+enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/y;
const HEADING = /^(#{1,3})\s+(.+?)\s*#*\s*$/;
const FENCE = /^\s{0,3}(```|~~~)/;

/** Control, invisible and bidirectional characters: never shown as they are. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');

/** A symbol cut to `SYMBOL_CHARS`. */
function boundedSymbol(text: string): string {
  return text.length > SYMBOL_CHARS ? `${text.slice(0, SYMBOL_CHARS)}…` : text;
}

/**
 * The top-level symbols of a file: for TypeScript and JavaScript, each exported function, class,
 * interface, type, enum, namespace and variable declared at the start of a line (`function
 * parse`, `class Forge`); for Markdown, the headings of levels 1 to 3 outside code blocks
 * (`## Limits`). Other files have none. At most `MAX_SYMBOLS`.
 */
export function symbolsOf(path: string, text: string): string[] {
  const kind = symbolKindOf(path);
  if (kind === 'script') return scriptSymbols(text);
  return kind === 'markdown' ? markdownHeadings(text) : [];
}

/** The exports of a script: only lines that start with `export` are looked at. */
function scriptSymbols(text: string): string[] {
  const found: string[] = [];
  for (
    let at = text.indexOf('export');
    at !== -1 && found.length < MAX_SYMBOLS;
    at = text.indexOf('export', at + 6)
  ) {
    if (at > 0 && text.charCodeAt(at - 1) !== 10) continue;
    EXPORT.lastIndex = at;
    const match = EXPORT.exec(text);
    // The pattern admits only letters, digits, "_", "$", "*" and spaces: nothing to clean, only to bound.
    if (match) {
      const kind = match[1]!.length > 8 ? match[1]!.replace(/\s+/g, ' ') : match[1]!;
      found.push(boundedSymbol(`${kind} ${match[2]}`));
    }
  }
  return found;
}

/** The headings of levels 1 to 3 of a Markdown text, outside code blocks. */
function markdownHeadings(text: string): string[] {
  const found: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (found.length >= MAX_SYMBOLS) break;
    if (FENCE.test(line)) fenced = !fenced;
    const heading = fenced ? null : HEADING.exec(line);
    if (heading) found.push(boundedSymbol(`${heading[1]} ${heading[2]}`.replace(UNPRINTABLE_ALL, '')));
  }
  return found;
}

/** Words too common in task text, or in symbols (their kinds), to say anything about a file. */
const STOP_WORDS = new Set(
  'the and for with that this from into when then than are was were has have not but all any can its use uses used should must will would make makes add adds new file files fix task code test tests function class const interface type enum namespace'.split(
    ' ',
  ),
);

/** The kind of an ASCII character code: 1 a lower-case letter or digit, 2 an upper-case letter, 0 anything else. */
function charKind(code: number): 0 | 1 | 2 {
  if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57)) return 1;
  return code >= 65 && code <= 90 ? 2 : 0;
}

/**
 * The lower-case words of a text or a name: split at anything but ASCII letters and digits, and
 * at camelCase humps (`countChars` is `count`, `chars`); words under three letters and common
 * words are left out. One pass over the characters: it runs over every path and symbol of a map.
 */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  let previous = 0;
  for (let at = 0; at <= text.length; at += 1) {
    const kind = at === text.length ? 0 : charKind(text.charCodeAt(at));
    const hump = kind === 2 && previous === 1;
    if (start !== -1 && (kind === 0 || hump)) {
      pushWord(words, text, start, at);
      start = -1;
    }
    if (kind !== 0 && start === -1) start = at;
    previous = kind;
  }
  return words;
}

/** Adds the word at `start`..`end` of `text` to `words`, lower-cased, unless it is short or common. */
function pushWord(words: string[], text: string, start: number, end: number): void {
  if (end - start < 3) return;
  const word = text.slice(start, end).toLowerCase();
  if (!STOP_WORDS.has(word)) words.push(word);
}

/** The words a file is ranked by: those of its path, and those of its symbols. */
export function fileWords(path: string, symbols: readonly string[]): FileWords {
  return { path: new Set(wordsOf(path)), symbols: new Set(wordsOf(symbols.join(' '))) };
}

/** The folder of a path: "" at the root. */
function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** How near `file` is to the task: its own files first, then their folders, then shared words. */
function scoreOf(
  file: MapFile,
  focus: { terms: ReadonlySet<string>; files: ReadonlySet<string>; folders: ReadonlySet<string> },
  inScope: (path: string) => boolean,
): number {
  if (focus.files.has(file.path)) return 1000;
  let score = focus.folders.has(folderOf(file.path)) ? 20 : 0;
  const words = file.words ?? fileWords(file.path, file.symbols);
  for (const term of focus.terms) {
    if (words.path.has(term)) score += 8;
    if (words.symbols.has(term)) score += 3;
  }
  if (score > 0 && inScope(file.path)) score += 2;
  return score;
}

/** The files ranked by nearness to the task, nearest first; ties go to the shallower path, then by name. */
export function rankFiles(files: readonly MapFile[], focus: MapFocus): MapFile[] {
  const terms = new Set(wordsOf(focus.text));
  const named = new Set(focus.files);
  const folders = new Set(focus.files.map(folderOf));
  const globs = (focus.scope ?? []).map((glob) => compileGlob(glob)).filter((glob) => glob.ok);
  const inScope = (path: string) => globs.some((glob) => glob.test(path));
  const depth = (path: string) => {
    let slashes = 0;
    for (let at = path.indexOf('/'); at !== -1; at = path.indexOf('/', at + 1)) slashes += 1;
    return slashes;
  };
  return files
    .map((file) => ({
      file,
      score: scoreOf(file, { terms, files: named, folders }, inScope),
      depth: depth(file.path),
    }))
    .sort((a, b) => b.score - a.score || a.depth - b.depth || (a.file.path < b.file.path ? -1 : 1))
    .map((entry) => entry.file);
}

/** A size as people read it: `812 B`, `4.2 KB`, `1.3 MB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A name as the map shows it: quoted when it holds anything unprintable (a newline), and bounded. */
function shownName(name: string): string {
  const quoted = UNPRINTABLE.test(name) ? JSON.stringify(name) : name;
  return quoted.length > NAME_CHARS ? `${quoted.slice(0, NAME_CHARS)}…` : quoted;
}

/** The estimated tokens of a text, as the agent loop estimates them: a token is about four characters. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** One file's line of the map, without its indent. */
function fileLine(file: MapFile): string {
  const name = shownName(file.path.slice(file.path.lastIndexOf('/') + 1));
  let symbols = '';
  let shown = 0;
  for (const symbol of file.symbols) {
    if (symbols.length + symbol.length > SYMBOLS_SHOWN_CHARS) break;
    symbols += `${shown > 0 ? ', ' : ''}${symbol}`;
    shown += 1;
  }
  const more = file.symbols.length - shown;
  const list = symbols + (more > 0 ? `${shown > 0 ? ', ' : ''}… ${more} more` : '');
  return `${name} (${sizeText(file.size)})${list ? `: ${list}` : ''}`;
}

/** A folder of the tree: its shown files, subfolders, and the count, size and shown count of every file under it. */
interface Folder {
  files: MapFile[];
  folders: Map<string, Folder>;
  count: number;
  bytes: number;
  shown: number;
}

const emptyFolder = (): Folder => ({ files: [], folders: new Map(), count: 0, bytes: 0, shown: 0 });

/** Top-level folders are all listed, for an overview, unless there are more than this. */
const TOP_FOLDERS_LISTED = 40;

/**
 * The map of `shown` files, every file of `all` counted in the folder lines. A folder is listed
 * when it holds a shown file, or at the top level (up to `TOP_FOLDERS_LISTED` of them).
 */
function renderTree(all: readonly MapFile[], shown: ReadonlySet<MapFile>): string {
  const top = emptyFolder();
  for (const file of all) {
    const visible = shown.has(file) ? 1 : 0;
    let folder = top;
    for (const part of file.path.split('/').slice(0, -1)) {
      folder.count += 1;
      folder.bytes += file.size;
      folder.shown += visible;
      let next = folder.folders.get(part);
      if (!next) {
        next = emptyFolder();
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.count += 1;
    folder.bytes += file.size;
    folder.shown += visible;
    if (visible) folder.files.push(file);
  }
  const lines: string[] = [];
  const overview = top.folders.size <= TOP_FOLDERS_LISTED;
  const walk = (folder: Folder, indent: string) => {
    let listed = folder.files.length;
    for (const [name, sub] of [...folder.folders].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (sub.shown === 0 && !(overview && folder === top)) continue;
      lines.push(`${indent}${shownName(name)}/ (${sub.count} files, ${sizeText(sub.bytes)})`);
      // A folder with nothing shown is its line alone: its count says what it holds.
      if (sub.shown > 0) walk(sub, `${indent}  `);
      listed += sub.count;
    }
    for (const file of folder.files.sort((a, b) => (a.path < b.path ? -1 : 1))) {
      lines.push(`${indent}${fileLine(file)}`);
    }
    const hidden = folder.count - listed;
    if (hidden > 0) lines.push(`${indent}… ${hidden} more file${hidden === 1 ? '' : 's'}`);
  };
  walk(top, '');
  return lines.join('\n');
}

/**
 * The map of `files` within `budgetTokens` estimated tokens: the folders that hold the shown
 * files, and the files nearest the task (see `rankFiles`) with their sizes and symbols, as many
 * as fit; every folder line counts all its files, and a folder with files left out says how many.
 * An empty text when the budget is 0 or there are no files.
 */
export function renderRepoMap(files: readonly MapFile[], focus: MapFocus, budgetTokens: number): string {
  if (budgetTokens <= 0 || files.length === 0) return '';
  const ranked = rankFiles(files, focus);
  const shown = new Set<MapFile>();
  const folders = new Set<string>();
  let tokens = 0;
  for (const file of ranked) {
    let cost = estimateTokens(fileLine(file)) + 2;
    const parts = file.path.split('/');
    const missing = parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
    const added = missing.filter((folder) => !folders.has(folder));
    for (const folder of added) cost += estimateTokens(folder) + 8;
    if (tokens + cost > budgetTokens) break;
    tokens += cost;
    shown.add(file);
    for (const folder of added) folders.add(folder);
  }
  // The estimate above leaves out the "… N more files" lines: cut from the far end until it fits.
  const order = ranked.filter((file) => shown.has(file));
  let text = renderTree(files, shown);
  while (estimateTokens(text) > budgetTokens && order.length > 0) {
    for (const file of order.splice(-Math.max(1, Math.ceil(order.length / 20)))) shown.delete(file);
    text = renderTree(files, shown);
  }
  return estimateTokens(text) > budgetTokens ? '' : text;
}
