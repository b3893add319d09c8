import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../core/errors.ts';
import { pathPrefixes, type TreeMode, treeModeOf } from '../core/path-tree.ts';
import { git, runGit } from './git.ts';

/**
 * Beyond this many bytes of pathspecs, one listing of the whole tree replaces them: a command
 * line holds about 2 MB on Linux, and a hostile proposal can name deep paths.
 */
const MAX_PATHSPEC_BYTES = 64 * 1024;

/** Paths are names here, never patterns: `*` or `:(top)` in a path means itself. */
const LITERAL = { GIT_LITERAL_PATHSPECS: '1' };

/**
 * The tree entries of `commit` at each of `paths` and their parent folders, from one
 * `git ls-tree`. Without `-r`, git lists an entry for every prefix that is not a folder on the
 * way to a deeper one; folders on the way are left out, which `Forge.inspectPaths` allows.
 */
export async function treeEntries(
  root: string,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, TreeMode>> {
  const entries = new Map<string, TreeMode>();
  const wanted = new Set(paths.flatMap(pathPrefixes));
  if (wanted.size === 0) return entries;
  let bytes = 0;
  for (const prefix of wanted) bytes += Buffer.byteLength(prefix) + 1;
  const args =
    bytes > MAX_PATHSPEC_BYTES
      ? ['ls-tree', '-r', '-t', '-z', commit]
      : ['ls-tree', '-z', commit, '--', ...wanted];
  const listing = await git(root, args, { env: LITERAL });
  for (const line of listing.split('\0')) {
    // "<mode> <type> <object>\t<path>"; -z leaves the path unquoted.
    const tab = line.indexOf('\t');
    const path = line.slice(tab + 1);
    if (tab !== -1 && wanted.has(path)) entries.set(path, treeModeOf(line.slice(0, line.indexOf(' '))));
  }
  return entries;
}

/**
 * Symbolic links that the checkout at `root` holds on the way to `paths` where the tree has no
 * entry: a merge into the checked-out branch writes through the checkout, not the tree.
 */
export async function checkoutLinks(
  root: string,
  paths: readonly string[],
  tree: ReadonlyMap<string, TreeMode>,
): Promise<Map<string, TreeMode>> {
  const links = new Map<string, TreeMode>();
  for (const path of paths) {
    for (const prefix of pathPrefixes(path)) {
      const info = await lstat(join(root, prefix)).catch(() => undefined);
      if (!info) break;
      if (info.isSymbolicLink() && !tree.has(prefix)) {
        links.set(prefix, '120000');
        break;
      }
    }
  }
  return links;
}

/**
 * The untracked paths among `paths` that the checkout's ignore rules ignore, from one
 * `git check-ignore --stdin -z` (without `--no-index`, so tracked files are never reported). A
 * bare repository has no checkout, and ignores nothing.
 */
export async function ignoredInCheckout(root: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  if ((await git(root, ['rev-parse', '--is-bare-repository'])) === 'true') return [];
  // check-ignore knows no literal mode; "./" keeps a leading ":" from reading as pathspec magic.
  const result = await runGit(root, ['check-ignore', '--stdin', '-z'], {
    input: paths.map((path) => `./${path}\0`).join(''),
  });
  // 0: some are ignored, 1: none is; anything else is git failing.
  if (result.code === 1) return [];
  if (result.code !== 0) {
    throw new FactoryError('forge', `git check-ignore failed: ${result.stderr.trim().split('\n')[0]}`);
  }
  return result.stdout
    .split('\0')
    .filter((path) => path !== '')
    .map((path) => path.slice('./'.length));
}
