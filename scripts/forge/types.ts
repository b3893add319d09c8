// The Forge interface: pull requests, iterations, reviews, checks and merges, and the data they exchange.
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

/** One iteration of a task, committed on its branch by `Forge.pushIteration`. */
export interface IterationPush {
  branch: string;
  /** Files to write, each with its whole new content. */
  changes: readonly FileChange[];
  /** Paths to remove from the tree; a path the tree does not hold is left as it is. */
  deletions?: readonly string[];
  message: string;
  author: Author;
  /** Commit trailers (`Task-Id`, `Agent`, …), added after the message. */
  trailers: Record<string, string>;
  /** The branch starts over from the default branch (after a merge conflict). */
  restart?: boolean;
}

/** Files committed straight to the default branch by `Forge.commitToDefaultBranch` (run records, snapshots). */
export interface DefaultBranchCommit {
  changes: readonly FileChange[];
  message: string;
  author: Author;
}

/** What a commit to the default branch did: outcomes are data, as a merge's are. */
export type DefaultBranchOutcome =
  | { kind: 'committed'; commit: string }
  /** The default branch already holds every change: no commit was made. */
  | { kind: 'unchanged' };

/**
 * What the dashboard reads from a forge that keeps a history beyond the run records (GitHub: an
 * Actions checkout is shallow, and the CI runs live on GitHub). A forge without one has no `reports`.
 */
export interface ForgeReports {
  /**
   * The CI state: the checks the run read, with links, and the latest run of each workflow. A
   * warning says what was left out.
   * @throws FactoryError of a transient class or `auth` when the forge cannot be read.
   */
  ciRuns(): Promise<{ runs: CiRun[]; warning?: string }>;
  /**
   * The commits that landed on the default branch from `since` on (its first-parent line, newest
   * first: a merged pull request is one), with their UTC day (committer date) and subject. At
   * most `limit` commits are read. `sha` is the commit's id, and `reverts` the commits its
   * message says it reverts (git's own line `This reverts commit <sha>`), for the Models page.
   * @throws FactoryError of a transient class or `auth` when the forge cannot be read.
   */
  landedCommits(since: string, limit: number): Promise<LandedCommit[]>;
}

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
 * Errors: every method throws only FactoryErrors. A transient one (`network`, `server`,
 * `rate_limit`, `timeout`, `race`) pauses the task for a later run; `auth` names the missing
 * token or permission and pauses it too; `forge` is a permanent refusal, and fails the task with
 * its message. Expected outcomes (a merge that waits, a commit with nothing to change) are data,
 * never errors. The `@throws` of each method name what it adds to these.
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
  /**
   * The pull request for `branch`, in any state, if one exists (so reruns never open a second).
   * @throws FactoryError `forge` when the forge's record of it is damaged (local).
   */
  findPullRequest(branch: string): Promise<PullRequest | undefined>;
  /**
   * Commits `input.changes` on `input.branch` (created from the default branch when missing) and
   * returns the head; each of `deletions` is removed from the tree. A commit whose tree equals
   * the head's is not made, so a rerun is safe. With `restart`, the branch starts over from the
   * default branch (after a merge conflict).
   * @throws FactoryError `race` when the branch kept moving under the write (GitHub).
   */
  pushIteration(input: IterationPush): Promise<string>;
  /**
   * Opens the pull request for `branch`, or returns the existing one; one closed without merging
   * (a failed task's, which a person put back with `retry`) is reopened, so a branch keeps one
   * pull request.
   * @throws FactoryError `forge` when the branch does not exist or the forge refuses the pull request.
   */
  openPullRequest(input: { branch: string; title: string; body: string }): Promise<PullRequest>;
  /**
   * Comments `body` on the pull request once: a comment already posted under the same `key` is
   * not posted again, so a rerun after a crash repeats nothing.
   * @throws FactoryError `forge` when the pull request does not exist.
   */
  commentOnce(pr: PullRequest, key: string, body: string): Promise<void>;
  /**
   * Closes the pull request and keeps its branch; one already closed or merged is left alone.
   * @throws FactoryError `forge` when the pull request does not exist.
   */
  closePullRequest(pr: PullRequest): Promise<void>;
  /**
   * Posts a review of `review.commit`. Idempotent: a review of the same commit and iteration that
   * is already there is not posted again.
   * @throws FactoryError `forge` when the pull request does not exist.
   */
  addReview(pr: PullRequest, review: PostedReview): Promise<void>;
  /**
   * The review already posted for `commit` in `iteration`, if any (so a resumed run asks no model
   * twice). On GitHub only the factory's own reviews count (a copied marker is not one).
   * @throws FactoryError `forge` when the pull request does not exist.
   */
  findReview(pr: PullRequest, at: { commit: string; iteration: number }): Promise<PostedReview | undefined>;
  /**
   * Every file the pull request's branch changes against the default branch, from their merge
   * base to the head, deletions included: the whole change, over every iteration.
   * @throws FactoryError `forge` when the branch or its merge base cannot be read.
   */
  changedFiles(pr: PullRequest): Promise<ChangedFile[]>;
  /**
   * Adds labels to the pull request; labels it already has are kept once.
   * @throws FactoryError `forge` when the pull request does not exist.
   */
  labelPullRequest(pr: PullRequest, labels: readonly string[]): Promise<void>;
  /**
   * The state of checks on the pull request's head. A check that fails is a report, not an error.
   * @throws FactoryError `checks` when the configured check command cannot be started (local).
   */
  readChecks(pr: PullRequest): Promise<CheckReport>;
  /**
   * Merges the pull request into the default branch if its head is still `head` (the approved
   * one). Every answer is a MergeOutcome: merged (again, when asked twice), queued, waiting,
   * head moved, conflict, or closed (a person closed it, or deleted its branch: nothing is merged).
   * @throws FactoryError `forge` when the forge refuses the merge for a reason no outcome names.
   */
  merge(pr: PullRequest, input: { message: string; head: string }): Promise<MergeOutcome>;
  /**
   * Reads a file from `ref` (a branch or commit; default: the default branch), or undefined when
   * the file or the ref is missing.
   */
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
  /**
   * Commits files (snapshots, run records) straight to the default branch, as one commit; when
   * the branch already holds every change, commits nothing and says so.
   * @throws FactoryError `race` when the default branch kept moving under the write; `forge` or
   * `auth` when the branch is protected against the factory's token.
   */
  commitToDefaultBranch(input: DefaultBranchCommit): Promise<DefaultBranchOutcome>;
  /** The dashboard's reads, on a forge that has a history beyond the run records (GitHub). */
  readonly reports?: ForgeReports;
  /**
   * Ends what the forge keeps running between calls (the local forge's long-lived git
   * processes). Whoever made the forge calls it once, after the run's last step; a `watch` loop
   * that skipped it would leave those processes behind on every pass. The forge starts them
   * again if it is used once more. Never throws.
   */
  close(): void;
}
