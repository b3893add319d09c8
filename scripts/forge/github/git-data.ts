// Commits without a clone: GitHub's Git Data API for heads, trees built in chunks, commits and branch moves.
import { FactoryError } from '../../core/errors.ts';
import { type TreeMode, treeModeOf } from '../../core/path-tree.ts';
import type { Author, FileChange } from '../types.ts';
import { attempt, type GitHubClient, gitHubMessage, statusOf, toFactoryError } from './client.ts';

/** Trees are built in chunks of this many entries, chaining base_tree, as release-please does: big trees time out. */
const TREE_CHUNK = 100;

/** One repository, one identity: the Git Data API calls a commit needs (GITHUB-NOTES.md, "Commits without a clone"). */
export class GitData {
  private readonly octokit: GitHubClient;
  private readonly repo: { owner: string; repo: string };

  constructor(octokit: GitHubClient, repo: { owner: string; repo: string }) {
    this.octokit = octokit;
    this.repo = repo;
  }

  /** The branch's head, or undefined when the branch does not exist. */
  async head(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toFactoryError(error, `reading branch ${branch}`);
    }
  }

  /** The tree of `commit`. */
  async treeOf(commit: string): Promise<string> {
    const { data } = await attempt(`reading commit ${commit}`, () =>
      this.octokit.rest.git.getCommit({ ...this.repo, commit_sha: commit }),
    );
    return data.tree.sha;
  }

  /** The entries of one tree (not recursive), by name. */
  async entries(tree: string): Promise<Map<string, { mode: TreeMode; sha: string }>> {
    const { data } = await attempt(`reading tree ${tree}`, () =>
      this.octokit.rest.git.getTree({ ...this.repo, tree_sha: tree }),
    );
    const entries = new Map<string, { mode: TreeMode; sha: string }>();
    for (const entry of data.tree) {
      if (entry.path && entry.mode && entry.sha)
        entries.set(entry.path, { mode: treeModeOf(entry.mode), sha: entry.sha });
    }
    return entries;
  }

  /**
   * Every file (and submodule) in the tree of `commit`, by path, from one recursive read; undefined
   * when GitHub cuts the read short (`truncated`: past 100,000 entries or 7 MB).
   */
  async files(commit: string): Promise<Map<string, { mode: string; sha: string }> | undefined> {
    const tree = await this.treeOf(commit);
    const { data } = await attempt(`reading the tree of ${commit}`, () =>
      this.octokit.rest.git.getTree({ ...this.repo, tree_sha: tree, recursive: 'true' }),
    );
    if (data.truncated) return undefined;
    const files = new Map<string, { mode: string; sha: string }>();
    for (const entry of data.tree) {
      if (entry.type !== 'tree' && entry.path && entry.mode && entry.sha)
        files.set(entry.path, { mode: entry.mode, sha: entry.sha });
    }
    return files;
  }

  /**
   * The tree of `baseTree` with `changes` written as whole files and `deletions` removed: an entry
   * with `sha: null` deletes its path (REST "Create a tree"). A path the base tree does not hold
   * is left out, as GitHub refuses to delete what is not there.
   */
  async treeWith(
    baseTree: string,
    changes: readonly FileChange[],
    deletions: readonly string[] = [],
  ): Promise<string> {
    let tree = baseTree;
    const present = deletions.length > 0 ? await this.presentPaths(baseTree, deletions) : new Set<string>();
    const entries = [
      ...changes.map((change) => ({
        path: change.path,
        mode: '100644' as const,
        type: 'blob' as const,
        content: change.content,
      })),
      ...deletions
        .filter((path) => present.has(path))
        .map((path) => ({ path, mode: '100644' as const, type: 'blob' as const, sha: null })),
    ];
    for (let start = 0; start < entries.length; start += TREE_CHUNK) {
      const chunk = entries.slice(start, start + TREE_CHUNK);
      const { data } = await attempt('writing a tree', () =>
        this.octokit.rest.git.createTree({
          ...this.repo,
          base_tree: tree,
          tree: chunk,
        }),
      );
      tree = data.sha;
    }
    return tree;
  }

  /** Which of `paths` the tree holds as files, read folder by folder. */
  async presentPaths(tree: string, paths: readonly string[]): Promise<Set<string>> {
    const present = new Set<string>();
    for (const path of paths) {
      let at: string | undefined = tree;
      const segments = path.split('/');
      for (const [index, segment] of segments.entries()) {
        const entry: { mode: TreeMode; sha: string } | undefined = at
          ? (await this.entries(at)).get(segment)
          : undefined;
        if (!entry) break;
        if (index === segments.length - 1) present.add(path);
        else at = entry.mode === '040000' ? entry.sha : undefined;
      }
    }
    return present;
  }

  /**
   * A commit of `tree` on `parents`; the agent is the author, the factory the committer. With
   * `signed`, neither is sent: GitHub signs only commits it authors itself, as the token's identity.
   */
  async commit(input: {
    tree: string;
    parents: string[];
    message: string;
    author: Author;
    committer: Author;
    signed?: boolean;
  }): Promise<string> {
    const people = input.signed
      ? {}
      : {
          author: { name: input.author.name, email: input.author.email },
          committer: { name: input.committer.name, email: input.committer.email },
        };
    const { data } = await attempt('writing a commit', () =>
      this.octokit.rest.git.createCommit({
        ...this.repo,
        message: input.message,
        tree: input.tree,
        parents: input.parents,
        ...people,
      }),
    );
    return data.sha;
  }

  /**
   * Points `branch` at `sha`. Creates it when `from` is undefined; otherwise moves it, forced or
   * fast-forward only. Returns 'moved', or 'raced' when another writer got there first (the ref
   * exists already, the move is not a fast forward, or GitHub answers 409 or "Reference cannot be
   * updated" for writes that met on its side): the caller re-reads and rebuilds.
   */
  async setBranch(
    branch: string,
    sha: string,
    from: string | undefined,
    force: boolean,
  ): Promise<'moved' | 'raced'> {
    try {
      if (from === undefined)
        await this.octokit.rest.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha });
      else await this.octokit.rest.git.updateRef({ ...this.repo, ref: `heads/${branch}`, sha, force });
      return 'moved';
    } catch (error) {
      const message = gitHubMessage(error);
      if (statusOf(error) === 409) return 'raced';
      if (statusOf(error) === 422 && /already exists|not a fast.forward|cannot be updated/i.test(message))
        return 'raced';
      if ((statusOf(error) === 422 || statusOf(error) === 403) && /protected branch/i.test(message)) {
        throw new FactoryError(
          'forge',
          `GitHub refused to move ${branch}: it is a protected branch (${message}); allow the factory's identity to push to it, or let the factory merge through pull requests only`,
          { cause: error },
        );
      }
      throw toFactoryError(error, `moving branch ${branch}`);
    }
  }
}
