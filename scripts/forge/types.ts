import type { Verdict } from '../core/verdict.ts';

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
}

/** A file a pull request's branch changes against the default branch. */
export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted';
}

export interface CheckReport {
  state: 'passed' | 'failed' | 'pending' | 'none';
  /** What failed, trimmed to a size a prompt can hold. */
  output: string;
}

/**
 * Where proposals become pull requests. `local` does real git in the repository; `github`
 * speaks the REST API. The engine receives one and never knows which.
 */
export interface Forge {
  readonly id: 'local' | 'github';
  /** The open or merged pull request for `branch`, if one exists (so reruns never open a second). */
  findPullRequest(branch: string): Promise<PullRequest | undefined>;
  /** Commits `changes` on `branch` (created from the default branch when missing); returns the commit. */
  pushIteration(input: {
    branch: string;
    changes: readonly FileChange[];
    message: string;
    author: Author;
    trailers: Record<string, string>;
  }): Promise<string>;
  /** Opens the pull request for `branch`, or returns the existing one. */
  openPullRequest(input: { branch: string; title: string; body: string }): Promise<PullRequest>;
  /** Records a review on the pull request. */
  addReview(pr: PullRequest, review: Verdict & { agent: string }): Promise<void>;
  /**
   * Every file the pull request's branch changes against the default branch, from their merge
   * base to the head, deletions included: the whole change, over every iteration.
   */
  changedFiles(pr: PullRequest): Promise<ChangedFile[]>;
  /** Adds labels to the pull request; labels it already has are kept once. */
  labelPullRequest(pr: PullRequest, labels: readonly string[]): Promise<void>;
  /** The state of checks on the pull request's head. */
  readChecks(pr: PullRequest): Promise<CheckReport>;
  /** Merges the pull request into the default branch; returns the merge commit. */
  merge(pr: PullRequest, message: string): Promise<string>;
  /** Reads a file from `ref` (a branch or commit; default: the default branch), or undefined when missing. */
  readFile(path: string, ref?: string): Promise<string | undefined>;
  /**
   * The first part of `path` (a parent folder or the path itself) that is a symbolic link on the
   * default branch, or undefined. Proposals never write through a link.
   */
  symlinkOnPath(path: string): Promise<string | undefined>;
  /** Commits files (snapshots, run records) straight to the default branch. */
  commitToDefaultBranch(input: {
    changes: readonly FileChange[];
    message: string;
    author: Author;
  }): Promise<string | undefined>;
}
