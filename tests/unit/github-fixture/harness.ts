/**
 * Shared set-up for the GitHub fixture's tests: a fresh fixture per test, the real @octokit/rest
 * client pointed at it, and a check after every test that nothing the fixture saw broke GitHub's
 * spec (tests that provoke invalid requests take them with `github.takeInvalid()`).
 */
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, expect } from 'vitest';
import { GitHubFixture, type GitHubFixtureOptions } from '../../fixtures/github/fixture.ts';

export const owner = 'aifactory-test';
export const repo = 'demo';

export const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function client(github: GitHubFixture, token = github.authorToken): Octokit {
  return new Octokit({ auth: token, baseUrl: github.url, log: silent });
}

export interface Harness {
  github: GitHubFixture;
  /** The author identity (an App installation token). */
  author: Octokit;
  /** GITHUB_TOKEN. */
  actions: Octokit;
}

export function useGitHub(options: GitHubFixtureOptions = {}): Harness {
  const harness = {} as Harness;
  beforeEach(async () => {
    harness.github = await GitHubFixture.start(options);
    harness.author = client(harness.github);
    harness.actions = client(harness.github, harness.github.actionsToken);
  });
  afterEach(async () => {
    const invalid = harness.github.takeInvalid();
    await harness.github.stop();
    expect(invalid).toEqual([]);
  });
  return harness;
}

/** What a rejected octokit call (RequestError) carried, to assert GitHub's refusals. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; data: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    const { status, response } = error as { status: number; response?: { data: unknown; headers: unknown } };
    const data = (response?.data ?? {}) as Record<string, unknown>;
    return { status, data, headers: (response?.headers ?? {}) as Record<string, string> };
  }
  throw new Error('expected the call to fail');
}

/**
 * The five-call Git Data commit (GITHUB-NOTES.md): read the branch (or the default branch when it
 * does not exist yet), its commit, write a tree on top, a commit, and create or fast-forward the ref.
 */
export async function commitFiles(
  octokit: Octokit,
  branch: string,
  files: Record<string, string | null>,
  message = `change ${Object.keys(files).join(', ')}`,
): Promise<string> {
  let exists = true;
  let base: string;
  try {
    base = (await octokit.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
    exists = false;
    base = (await octokit.git.getRef({ owner, repo, ref: 'heads/main' })).data.object.sha;
  }
  const parent = await octokit.git.getCommit({ owner, repo, commit_sha: base });
  const tree = await octokit.git.createTree({
    owner,
    repo,
    base_tree: parent.data.tree.sha,
    tree: Object.entries(files).map(([path, content]) =>
      content === null
        ? { path, mode: '100644' as const, type: 'blob' as const, sha: null }
        : { path, mode: '100644' as const, type: 'blob' as const, content },
    ),
  });
  const commit = await octokit.git.createCommit({
    owner,
    repo,
    message,
    tree: tree.data.sha,
    parents: [base],
  });
  if (exists) {
    await octokit.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
  } else {
    await octokit.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
  }
  return commit.data.sha;
}

/** A branch with one commit and an open pull request from it; returns the pull request number. */
export async function openPull(
  harness: Harness,
  branch: string,
  files: Record<string, string | null>,
): Promise<number> {
  await commitFiles(harness.author, branch, files);
  const pr = await harness.author.pulls.create({
    owner,
    repo,
    title: `Change on ${branch}`,
    head: branch,
    base: 'main',
  });
  return pr.data.number;
}

/** A request without octokit's compile-time checks: what a buggy client could still send. */
export function untyped(octokit: Octokit, route: string, params: Record<string, unknown>): Promise<unknown> {
  return (octokit.request as (route: string, params: Record<string, unknown>) => Promise<unknown>)(
    route,
    params,
  );
}
