// What a proposal's paths meet in a git tree: no write through a link or submodule, over a folder or file. Pure.
/**
 * What a proposal's paths meet in the repository: the forge reports the git tree entries on the
 * way to each path (`Forge.inspectPaths`), and these pure rules judge them.
 */
import type { ProtocolViolation } from './protocol/protocol.ts';

/**
 * A git tree entry's mode, as git trees and the GitHub trees API spell it: a file, an executable
 * file, a symbolic link, a submodule (a gitlink, pointing at a commit of another repository) and
 * a folder.
 */
export type TreeMode = '100644' | '100755' | '120000' | '160000' | '040000';

/**
 * The mode of a tree entry as git prints it. Old repositories may hold odd file modes
 * (`100664`), which git itself reads as a plain file.
 */
export function treeModeOf(raw: string): TreeMode {
  if (raw === '120000' || raw === '160000' || raw === '100755') return raw;
  return raw === '40000' || raw === '040000' ? '040000' : '100644';
}

/** Every parent folder of a path, then the path: `a`, `a/b`, `a/b/c`. */
export function pathPrefixes(path: string): string[] {
  const segments = path.split('/');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

/**
 * Checks that writing each of `paths` as a file leaves everything else in the tree as it was:
 * never through or onto a symbolic link or a submodule, never over a folder, never under a file.
 * `entries` maps a path or parent folder to its tree entry (see `Forge.inspectPaths`); `where`
 * names the tree in messages ("main", "branch aifactory/x").
 */
export function checkTreeEntries(
  paths: readonly string[],
  entries: ReadonlyMap<string, TreeMode>,
  where: string,
): ProtocolViolation | undefined {
  for (const path of paths) {
    for (const prefix of pathPrefixes(path)) {
      const mode = entries.get(prefix);
      if (mode === undefined) continue;
      const self = prefix === path;
      if (mode === '120000') {
        return {
          rule: 'symlink',
          path,
          message: `"${prefix}" is a symbolic link on ${where}; the factory never writes through or over one`,
        };
      }
      if (mode === '160000') {
        return {
          rule: 'submodule',
          path,
          message: `"${prefix}" is a submodule on ${where}; its files belong to another repository`,
        };
      }
      if (mode === '040000' && self) {
        return {
          rule: 'file_replaces_folder',
          path,
          message: `"${path}" is a folder on ${where}; a proposal cannot replace a folder with a file`,
        };
      }
      if (mode !== '040000' && !self) {
        return {
          rule: 'path_under_file',
          path,
          message: `"${prefix}" is a file on ${where}, so nothing can be written under it; choose another path`,
        };
      }
    }
  }
  return undefined;
}
