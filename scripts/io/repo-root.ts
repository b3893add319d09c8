// Finds the repository root from any folder inside it, the way git does: the nearest `.git` upward.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The nearest folder at or above `start` that holds a `.git` entry (a folder in a clone, a file in
 * a worktree or submodule), or undefined when there is none up to the file system's root. Every
 * command runs from there, so `tasks/`, `shared/` and the config are found from any subfolder.
 */
export function findRepoRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let invokedFrom: string | undefined;

/**
 * Moves the process to the repository root (when it runs inside one) and remembers where it was
 * started, so path arguments a person typed are read from there. Called once, by the CLI.
 */
export function enterRepoRoot(): string {
  invokedFrom ??= process.cwd();
  const root = findRepoRoot(invokedFrom) ?? invokedFrom;
  if (root !== process.cwd()) process.chdir(root);
  return root;
}

/** A path typed on the command line, made absolute from the folder the command was started in. */
export function fromInvocation(path: string): string {
  return resolve(invokedFrom ?? process.cwd(), path);
}
