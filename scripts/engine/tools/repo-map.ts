/** The repository map's files at a commit, read in-process from git's objects (two git processes), cached per commit. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import {
  fileWords,
  type MapFile,
  type MapFocus,
  renderRepoMap,
  symbolKindOf,
  symbolsOf,
} from '../../core/repo-map.ts';
import { headCommit } from './git-head.ts';
import type { BranchFiles } from './working-copy.ts';

const run = promisify(execFile);

/** The tracked files of one commit, with their sizes and symbols. */
export interface RepoMapIndex {
  commit: string;
  files: readonly MapFile[];
}

/** Files larger than this are listed with their size, and not read for symbols. */
export const MAP_FILE_BYTES = 256 * 1024;
/** What one index reads of file contents at most, over all files; files past it get no symbols. */
const MAP_TOTAL_BYTES = 64 * 1024 * 1024;
/** Git calls a file binary when its first 8,000 bytes hold a NUL; so does the map. */
const SNIFF_BYTES = 8000;

/** Indexes of the last few commits, by repository and commit: a run reads one or two. */
const indexes = new Map<string, Promise<RepoMapIndex>>();
const INDEXES_KEPT = 4;
/** Symbols by kind and blob id (the same bytes read as a script and as Markdown differ): a new commit reads only the files it changed. */
const symbolsByBlob = new Map<string, readonly string[]>();
const BLOBS_KEPT = 200_000;

/** An entry of `git ls-tree -r -l -z`: `<mode> <type> <oid> <size>\t<path>`. */
interface TreeFile {
  mode: string;
  oid: string;
  size: number;
  path: string;
}

/** The blobs of `git ls-tree -r -l -z` output; submodules (commits) are left out. */
export function parseTreeListing(listing: string): TreeFile[] {
  const files: TreeFile[] = [];
  for (const record of listing.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab === -1) continue;
    const [mode, type, oid, size] = record.slice(0, tab).split(/\s+/);
    if (type !== 'blob') continue;
    files.push({ mode: mode!, oid: oid!, size: Number(size), path: record.slice(tab + 1) });
  }
  return files;
}

/**
 * Hands each of `oids` to `onBlob` as one `git cat-file --batch` streams it (`<oid> <type>
 * <size>\n<content>\n`, in the order asked): the caller's work on each file overlaps git's
 * reading of the next ones.
 */
async function readBlobs(
  root: string,
  oids: readonly string[],
  onBlob: (oid: string, content: Buffer) => void,
): Promise<void> {
  if (oids.length === 0) return;
  const child = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'ignore'] });
  let pending: Buffer = Buffer.alloc(0);
  child.stdout.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (let end = pending.indexOf(10, at); end !== -1; end = pending.indexOf(10, at)) {
      const [oid, type, size] = pending.subarray(at, end).toString('latin1').split(' ');
      if (type === 'missing' || size === undefined) {
        at = end + 1;
        continue;
      }
      const stop = end + 1 + Number(size);
      // The rest of this object has not arrived yet.
      if (pending.length <= stop) break;
      onBlob(oid!, pending.subarray(end + 1, stop));
      at = stop + 1;
    }
    pending = pending.subarray(at);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(`${oids.join('\n')}\n`);
  });
  if (code !== 0) throw new Error(`git cat-file --batch exited with ${code}`);
}

/** Forgets every index and every file's symbols: the next map of each commit is built cold (for the bench). */
export function forgetRepoMaps(): void {
  indexes.clear();
  symbolsByBlob.clear();
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, kept: number): void {
  if (map.size >= kept) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** The symbols of a file's content; none for a binary one. */
function symbolsOfBlob(path: string, content: Buffer): readonly string[] {
  if (content.subarray(0, SNIFF_BYTES).includes(0)) return [];
  return symbolsOf(path, content.toString('utf8'));
}

async function buildIndex(root: string, commit: string): Promise<RepoMapIndex> {
  const { stdout } = await run('git', ['ls-tree', '-r', '-l', '-z', '--full-tree', commit], {
    cwd: root,
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'utf8',
  });
  const tree = parseTreeListing(stdout);
  // Links are listed, never read: their content is where they point.
  const keyOf = (file: TreeFile) => {
    const kind = symbolKindOf(file.path);
    return kind && file.mode !== '120000' && file.size <= MAP_FILE_BYTES ? `${kind}:${file.oid}` : undefined;
  };
  let budget = MAP_TOTAL_BYTES;
  // The files to read, by blob: one read serves every path (and kind) with the same content.
  const wanted = new Map<string, TreeFile[]>();
  for (const file of tree) {
    const key = keyOf(file);
    if (!key || symbolsByBlob.has(key)) continue;
    const same = wanted.get(file.oid);
    if (same) same.push(file);
    else if (file.size <= budget) {
      wanted.set(file.oid, [file]);
      budget -= file.size;
    }
  }
  await readBlobs(root, [...wanted.keys()], (oid, content) => {
    for (const file of wanted.get(oid) ?? []) {
      const key = keyOf(file)!;
      if (!symbolsByBlob.has(key))
        remember(symbolsByBlob, key, symbolsOfBlob(file.path, content), BLOBS_KEPT);
    }
  });
  const files = tree.map((file): MapFile => {
    const key = keyOf(file);
    const symbols = (key && symbolsByBlob.get(key)) || [];
    return { path: file.path, size: file.size, symbols, words: fileWords(file.path, symbols) };
  });
  return { commit, files };
}

/**
 * The map's files at the commit checked out in `root` (`HEAD`): the tracked files with their
 * sizes, and the symbols of each text file small enough to read. HEAD is read in process
 * (`headCommit`); for a commit not seen yet, one `git ls-tree` and one `git cat-file --batch` for
 * the files whose content was not read before. A repository without a commit has no files.
 * @throws Error when git cannot read the repository.
 */
export async function repoMapIndex(root: string): Promise<RepoMapIndex> {
  const commit = await headCommit(root);
  if (!commit) return { commit: '', files: [] };
  const key = `${root}\0${commit}`;
  let index = indexes.get(key);
  if (!index) {
    index = buildIndex(root, commit);
    remember(indexes, key, index, INDEXES_KEPT);
    // A failed build is not kept: the next call tries again.
    index.catch(() => indexes.delete(key));
  }
  return index;
}

/** The map's files with the task branch's change over them: its files as it holds them, its deletions gone. */
export function withBranchFiles(
  files: readonly MapFile[],
  branch: BranchFiles | undefined,
): readonly MapFile[] {
  if (!branch) return files;
  const gone = new Set([...branch.deleted, ...branch.written.keys()]);
  const written = [...branch.written].map(([path, content]): MapFile => {
    const symbols = symbolsOfBlob(path, Buffer.from(content.slice(0, MAP_FILE_BYTES)));
    return { path, size: Buffer.byteLength(content), symbols, words: fileWords(path, symbols) };
  });
  return [...files.filter((file) => !gone.has(file.path)), ...written];
}

/**
 * The rendered map of the repository at `root` for a task, within `budgetTokens` (none at 0),
 * with the branch's change over the checked-out commit.
 * @throws Error when git cannot read the repository.
 */
export async function repoMapText(
  root: string,
  focus: MapFocus,
  budgetTokens: number,
  branch?: BranchFiles,
): Promise<string> {
  if (budgetTokens <= 0) return '';
  const index = await repoMapIndex(root);
  return renderRepoMap(withBranchFiles(index.files, branch), focus, budgetTokens);
}
