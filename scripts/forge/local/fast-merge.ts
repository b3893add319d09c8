// Fast merges for the local forge: a task branch's fork point from its known lineage, and three-way tree merges.
import type { GitObjects, TreeChange, TreeEntry } from './git-objects.ts';

/** How far down a branch of the forge's own commits a fork point is looked for. */
const MAX_CHAIN = 64;

/** Where a task branch left the default branch, and the branch's commits above that point. */
export interface ForkPoint {
  base: string;
  chain: string[];
}

/**
 * What the local forge knows of the default branch's history since it opened, so that it can
 * tell where one of its own task branches forked without asking git: the branch's head when the
 * forge opened, and every commit the forge itself put on the branch since (its merge commits and
 * the task commits they brought in).
 *
 * Why that is enough: a commit the forge wrote in this run did not exist when the run began, so
 * it cannot be an ancestor of the head at open. Walking down a task branch of the forge's own
 * single-parent commits, the first commit known to be on the default branch is therefore the
 * merge base. Anything else (the branch moved by someone else, a merge of a branch the forge did
 * not make, a move that failed) makes the lineage forget, and git answers from then on.
 */
export class Lineage {
  #tip: string;
  /** Where the default branch is being moved: until the move ends, it may be read at either. */
  #next: string | undefined;
  #valid = true;
  readonly #known: Set<string>;
  readonly #made = new Set<string>();

  constructor(head: string) {
    this.#tip = head;
    this.#known = new Set([head]);
  }

  /** A commit this forge wrote. */
  made(commit: string): void {
    this.#made.add(commit);
  }

  /** Whether `head` is the default branch's head this lineage describes. */
  describes(head: string): boolean {
    return this.#valid && (head === this.#tip || head === this.#next);
  }

  /** The fork point of `head`, or undefined where git has to answer. */
  async forkPoint(
    head: string,
    parents: (commit: string) => Promise<string[]>,
  ): Promise<ForkPoint | undefined> {
    const chain: string[] = [];
    for (let commit = head; this.#valid && chain.length < MAX_CHAIN; ) {
      if (this.#known.has(commit)) return { base: commit, chain };
      if (!this.#made.has(commit)) return undefined;
      const [parent, ...more] = await parents(commit);
      if (parent === undefined || more.length > 0) return undefined;
      chain.push(commit);
      commit = parent;
    }
    return undefined;
  }

  /** Commits that the next move of the default branch makes ancestors of it. */
  adopt(commits: Iterable<string>): void {
    for (const commit of commits) this.#known.add(commit);
  }

  /**
   * The forge is about to move the default branch to `to`, a descendant of its tip that it wrote
   * and adopted. The ref changes on disk before the move's caller hears of it, so a reader in
   * between must find either head described. The move ends in `moved`, or in `forget`.
   */
  moving(to: string): void {
    this.#next = to;
    this.#known.add(to);
  }

  /** The forge moved the default branch from `from` to `to`, a descendant of it. */
  moved(from: string, to: string): void {
    if (from !== this.#tip) this.#valid = false;
    this.#tip = to;
    this.#next = undefined;
    this.#known.add(to);
  }

  /** What is known can no longer be trusted: git answers from now on. */
  forget(): void {
    this.#valid = false;
  }
}

/** Whether two changes leave the same thing at a path. */
function sameChange(a: TreeChange, b: TreeChange): boolean {
  return a.entry?.oid === b.entry?.oid && a.entry?.mode === b.entry?.mode;
}

/** Every folder on the way to `path`: `a`, `a/b` for `a/b/c`. */
function foldersOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

/**
 * The three-way merge of trees `ours` and `theirs` from their merge base's tree `base`, when the
 * two sides changed different files: `ours` with the changes of `theirs` applied. Undefined when
 * they touched the same path in different ways, or a file where the other has a folder: git's
 * own merge (which merges the contents, or reports the conflict) decides those.
 */
export async function mergeTrees(
  objects: GitObjects,
  base: string,
  ours: string,
  theirs: string,
): Promise<string | undefined> {
  const [mine, other] = await Promise.all([objects.changes(base, ours), objects.changes(base, theirs)]);
  const myFolders = new Set([...mine.keys()].flatMap(foldersOf));
  const apply = new Map<string, TreeEntry | undefined>();
  for (const [path, change] of other) {
    const same = mine.get(path);
    if (same) {
      if (sameChange(same, change)) continue;
      return undefined;
    }
    if (myFolders.has(path) || foldersOf(path).some((folder) => mine.has(folder))) return undefined;
    apply.set(path, change.entry);
  }
  return apply.size === 0 ? ours : objects.applyChanges(ours, apply);
}
