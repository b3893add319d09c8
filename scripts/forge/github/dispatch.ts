/** Starts the repository's CI workflow on a task branch with `workflow_dispatch`, once per head. */
import { type GitHubClient, gitHubMessage, statusOf, toFactoryError } from './client.ts';

/** What happened to the CI workflow of one head: started (now or earlier), or why it could not be. */
export type CiStart = { kind: 'started' } | { kind: 'refused'; reason: string };

/**
 * Starts `workflow` on task branches whose pushes start no workflow run: the factory writes with
 * GITHUB_TOKEN, and "events triggered by the GITHUB_TOKEN, with the exception of workflow_dispatch
 * and repository_dispatch, will not create a new workflow run" (GitHub Actions docs, "Triggering a
 * workflow from a workflow"). The run's check runs land on the branch's head, in a job of the
 * repository's own CI that holds none of the factory's keys: the factory never runs model-written
 * code itself.
 *
 * Once per head: a head with a run of the workflow already (an earlier run's dispatch, a person's
 * push) is left alone, and this run remembers what it dispatched, since GitHub creates the
 * workflow run a moment after the dispatch is accepted.
 */
export class CiDispatch {
  readonly #octokit: GitHubClient;
  readonly #repo: { owner: string; repo: string };
  readonly #workflow: string;
  readonly #started = new Map<string, Promise<CiStart>>();

  constructor(octokit: GitHubClient, repo: { owner: string; repo: string }, workflow: string) {
    this.#octokit = octokit;
    this.#repo = repo;
    this.#workflow = workflow;
  }

  /** The workflow file it dispatches (config `checks.workflow`). */
  get workflow(): string {
    return this.#workflow;
  }

  /**
   * Makes sure the workflow runs on `sha`, the head of `branch`, unless `changesGitHubFolder` says
   * the branch changes `.github/`: a dispatch runs the workflow files of the branch itself, with
   * the repository's secrets, so a workflow a model may have written is never started by the
   * factory; a person looks first.
   * @throws FactoryError: transient (the task waits for the next run) or `auth` when the token lacks
   * `actions: write`. A workflow GitHub will not start (missing, no `workflow_dispatch` trigger, the
   * branch gone) is a `refused` outcome whose reason says what to change.
   */
  start(branch: string, sha: string, changesGitHubFolder: () => Promise<boolean>): Promise<CiStart> {
    let started = this.#started.get(sha);
    if (!started) {
      started = this.#start(branch, sha, changesGitHubFolder);
      this.#started.set(sha, started);
      // A failure is not remembered: the next read tries again.
      started.catch(() => this.#started.delete(sha));
    }
    return started;
  }

  async #start(branch: string, sha: string, changesGitHubFolder: () => Promise<boolean>): Promise<CiStart> {
    if (await this.#ranOn(branch, sha)) return { kind: 'started' };
    if (await changesGitHubFolder()) {
      return {
        kind: 'refused',
        reason: `${branch} changes .github/, and a dispatched workflow runs the branch's own workflow files with the repository's secrets: the factory does not start it; a person reviews the pull request`,
      };
    }
    try {
      await this.#octokit.rest.actions.createWorkflowDispatch({
        ...this.#repo,
        workflow_id: this.#workflow,
        ref: branch,
      });
      return { kind: 'started' };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 422) throw toFactoryError(error, this.#what(branch));
      const answer = status === 404 ? 'Not Found' : gitHubMessage(error);
      return {
        kind: 'refused',
        reason: `GitHub would not start .github/workflows/${this.#workflow} on ${branch} (${status} ${answer}); give that workflow an "on: workflow_dispatch" trigger on the default branch, or name the repository's CI workflow in checks.workflow`,
      };
    }
  }

  /**
   * Whether the workflow already ran (or runs) on `sha` from `branch` itself, pushed or dispatched.
   * A pull request's run is not counted: a fork can push the same commit under the same branch name.
   */
  async #ranOn(branch: string, sha: string): Promise<boolean> {
    try {
      const { data } = await this.#octokit.rest.actions.listWorkflowRuns({
        ...this.#repo,
        workflow_id: this.#workflow,
        head_sha: sha,
        branch,
        per_page: 100,
      });
      return data.workflow_runs.some(
        (run) =>
          run.head_sha === sha &&
          run.head_branch === branch &&
          (run.event === 'push' || run.event === 'workflow_dispatch'),
      );
    } catch (error) {
      // An unknown workflow is said once, by the dispatch that follows.
      if (statusOf(error) === 404) return false;
      throw toFactoryError(error, this.#what(branch));
    }
  }

  #what(branch: string): string {
    return `starting .github/workflows/${this.#workflow} on ${branch}`;
  }
}
