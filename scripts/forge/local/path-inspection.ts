// What the checkout holds on a proposal's paths: symbolic links the tree lacks, and files git ignores.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../../core/errors.ts';
import { pathPrefixes, type TreeMode } from '../../core/path-tree.ts';
import { git, runGit } from './git.ts';

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
export async function ignoredInCheckout(
  root: string,
  paths: readonly string[],
  /** Whether the repository is bare, when the caller knows: saves asking git. */
  known?: { bare: boolean },
): Promise<string[]> {
  if (paths.length === 0) return [];
  const bare = known?.bare ?? (await git(root, ['rev-parse', '--is-bare-repository'])) === 'true';
  if (bare) return [];
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
