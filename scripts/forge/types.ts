import type { TreeMode } from '../core/path-tree.ts';
import type { Verdict } from '../core/record/verdict.ts';
import type { CiRun } from '../core/status/snapshot-schema.ts';

/** A file to write, as the whole new content. */
export interface FileChange {
  path: string;
  content: string;
}

export interface Author {
  name: string;
  email: string;
}

export interface PullRequest {
  number: number;
  branch: string;
  url: string | null;
  state: 'open' | 'merged' | 'closed';
  /** The branch head. */
  head: string;
  /** Set when the head branch no longer exists: a person deleted it (GitHub then closes the pull request). */
  headGone?: true;
}

/** A file a pull request's branch changes against the default branch. */
export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted';
}

/** A review as the forge keeps it: the verdict, who gave it, and the commit and iteration it judged. */
export interface PostedReview extends Verdict {
  agent: string;
  /** The head the reviewer saw; a review of an older head says nothing about the current one. */
  commit: string;
  iteration: number;
}

/** What a merge did: outcomes are data, not exceptions (STYLE.md 1b). */
export type MergeOutcome =
  | { kind: 'merged'; commit: string }
  /** Auto-merge is armed: the forge merges when its requirements are met. */
  | { kind: 'queued'; reason: string }
  /** Not mergeable yet (required checks, a mergeability still being computed): try a later run. */
  | { kind: 'waiting'; reason: string }
  /** The head is not the approved one: it goes back to review. */
  | { kind: 'head_moved'; head: string }
  /** It cannot merge as it is: it goes back to the coder, on a branch restarted from the default branch. */
  | { kind: 'conflict'; paths: string[] }
  /** A person closed the pull request without merging (or deleted its branch): the task ends there. */
  | { kind: 'closed'; headGone: boolean };

export interface CheckReport {
  /**
   * `none`: no checks are configured (the local forge without `checks.command`, a repository
   * whose config says it has none), which counts as green. `missing`: checks are expected but
   * none was seen on the head; never green: the task waits for them, then for a person.
   */
  state: 'passed' | 'failed' | 'pending' | 'none' | 'missing';
  /** What failed, trimmed to a size a prompt can hold. */
  output: string;
}

/**
 * Where proposals become pull requests. `local` does real git in the repository; `github`
 * speaks the REST API. The engine receives one and never knows which.
 *
 * Errors: every method throws a FactoryError. A transient one (`network`, `server`,
 * `rate_limit`, `timeout`) pauses the task for a later run; `auth` names the missing permission;
 * `forge` is a permanent refusal, and fails the task with its message. Expected outcomes of a
 * merge are data (MergeOutcome), never errors.
 */
/** A commit on the default branch's own line, as `Forge.landedCommits` reports it. */
export interface LandedCommit {
  day: string;
  subject: string;
  sha?: string;
  reverts?: string[];
}

export interface Forge {
  readonly id: 'local' | 'github';
  /** The open or merged pull request for `branch`, if one exists (so reruns never open a second). */
  findPullRequest(branch: string): Promise<PullRequest | undefined>;
  /**
   * Commits `changes` on `branch` (created from the default branch when missing) and returns the
   * head; each of `deletions` is removed from the tree (a path the tree does not hold is left as
   * it is). A commit whose tree equals the head's is not made, so a rerun is safe. With `restart`,
   * the branch starts over from the default branch (after a merge conflict).
   */
  pushIteration(input: {
    branch: string;
    changes: readonly FileChange[];
    deletions?: readonly string[];
    message: string;
    author: Author;
    trailers: Record<string, string>;
    restart?: boolean;
  }): Promise<string>;
  /**
   * Opens the pull request for `branch`, or returns the existing one; one closed without merging
   * (a failed task's, which a person put back with `retry`) is reopened, so a branch keeps one
   * pull request.
   */
  openPullRequest(input: { branch: string; title: string; body: string }): Promise<PullRequest>;
  /**
   * Comments `body` on the pull request once: a comment already posted under the same `key` is
   * not posted again, so a rerun after a crash repeats nothing.
   */
  commentOnce(pr: PullRequest, key: string, body: string): Promise<void>;
  /** Closes the pull request and keeps its branch; one already closed or merged is left alone. */
  closePullRequest(pr: PullRequest): Promise<void>;
  /**
   * Posts a review of `review.commit`. Idempotent: a review of the same commit and iteration that
   * is already there is not posted again.
   */
  addReview(pr: PullRequest, review: PostedReview): Promise<void>;
  /** The review already posted for `commit` in `iteration`, if any (so a resumed run asks no model twice). */
  findReview(pr: PullRequest, at: { commit: string; iteration: number }): Promise<PostedReview | undefined>;
  /**
   * Every file the pull request's branch changes against the default branch, from their merge
   * base to the head, deletions included: the whole change, over every iteration.
   */
  changedFiles(pr: PullRequest): Promise<ChangedFile[]>;
  /** Adds labels to the pull request; labels it already has are kept once. */
  labelPullRequest(pr: PullRequest, labels: readonly string[]): Promise<void>;
  /** The state of checks on the pull request's head. */
  readChecks(pr: PullRequest): Promise<CheckReport>;
  /** Merges the pull request into the default branch if its head is still `head` (the approved one). */
  merge(pr: PullRequest, input: { message: string; head: string }): Promise<MergeOutcome>;
  /** Reads a file from `ref` (a branch or commit; default: the default branch), or undefined when missing. */
  readFile(path: string, ref?: string): Promise<string | undefined>;
  /**
   * What the tree of `ref` (a branch; default: the default branch) holds on the way to each of
   * `paths`: for each path and each of its parent folders, the mode of the tree entry there,
   * keyed by that path or folder; where the tree has nothing, no key. A folder on the way to one
   * of `paths` may be left out, as it is never in the way; a folder at one of `paths` itself is
   * reported. A `ref` that does not exist holds nothing. The engine judges the answer with
   * `checkTreeEntries` (core/path-tree.ts): no write through or onto a symbolic link or a
   * submodule, none over a folder, none under a file.
   *
   * One round trip for the whole set: the local forge reads the trees it needs through its
   * long-lived `git cat-file`, the GitHub forge through the API. The local forge also reports, as `120000`, a symbolic
   * link that only the checkout of the default branch holds, since a merge writes there.
   * @throws FactoryError (`forge`) when the repository cannot be read.
   */
  inspectPaths(paths: readonly string[], ref?: string): Promise<ReadonlyMap<string, TreeMode>>;
  /**
   * The paths among `paths` that the repository's ignore rules ignore (`.gitignore` files, the
   * repository's `info/exclude` and the user's excludes file) and that are not tracked: files the
   * user keeps out of git, which a proposal must leave alone. The local forge asks one
   * `git check-ignore` per call; a repository without a working tree ignores nothing.
   * @throws FactoryError (`forge`) when git cannot answer.
   */
  ignoredPaths(paths: readonly string[]): Promise<string[]>;
  /** Commits files (snapshots, run records) straight to the default branch. */
  commitToDefaultBranch(input: {
    changes: readonly FileChange[];
    message: string;
    author: Author;
  }): Promise<string | undefined>;
  /**
   * The CI state for the dashboard, where the forge has one beyond the run records (GitHub: the
   * checks the run read, with links, and the latest run of each workflow). A warning says what
   * was left out.
   */
  ciRuns?(): Promise<{ runs: CiRun[]; warning?: string }>;
  /**
   * The commits that landed on the default branch from `since` on (its first-parent line, newest
   * first: a merged pull request is one), with their UTC day (committer date) and subject, where
   * the forge has a history beyond the local checkout (an Actions checkout is shallow, and misses
   * the commits the factory made through the API). At most `limit` commits are read. `sha` is
   * the commit's id, and `reverts` the commits its message says it reverts (git's own line
   * `This reverts commit <sha>`), for the Models page.
   */
  landedCommits?(since: string, limit: number): Promise<LandedCommit[]>;
  /**
   * Ends what the forge keeps running between calls (the local forge's long-lived git
   * processes). Whoever made the forge calls it once, after the run's last step; a `watch` loop
   * that skipped it would leave those processes behind on every pass.
   */
  close?(): void;
}
