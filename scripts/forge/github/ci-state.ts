// GitHub's CI state for the dashboard: each task's check runs and statuses, and each workflow's latest run.
import { FactoryError } from '../../core/errors.ts';
import { ciRunFrom, ciRunFromStatus } from '../../core/status/ci-runs.ts';
import type { CiRun } from '../../core/status/snapshot-schema.ts';
import { attempt, type GitHubClient } from './client.ts';

/** How many recent workflow runs are read to find the latest run of each workflow. */
const WORKFLOW_RUNS_READ = 50;

/** A check run as GET commits/{ref}/check-runs lists it (the fields the dashboard shows). */
export interface SeenCheckRun {
  name: string;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
  details_url?: string | null;
  head_sha: string;
  started_at?: string | null;
}

/** A commit status as GET commits/{ref}/status lists it. */
export interface SeenStatus {
  context: string;
  state: string;
  target_url?: string | null;
  created_at?: string;
}

/**
 * The CI state the dashboard shows, gathered during a run so the site never calls GitHub: each
 * task's check runs and statuses as the run last read them, and the latest run of each workflow,
 * read once at the end.
 */
export class CiState {
  readonly #octokit: GitHubClient;
  readonly #repo: { owner: string; repo: string };
  readonly #now: () => Date;
  readonly #seen = new Map<string, CiRun>();

  constructor(
    octokit: GitHubClient,
    repo: { owner: string; repo: string },
    now: () => Date = () => new Date(),
  ) {
    this.#octokit = octokit;
    this.#repo = repo;
    this.#now = now;
  }

  /** Notes the checks of a task's head, named `<check> · <task>` as on the local forge. */
  observe(task: string, head: string, runs: readonly SeenCheckRun[], statuses: readonly SeenStatus[]): void {
    const now = this.#now().toISOString();
    for (const run of runs) {
      const name = `${run.name} · ${task}`;
      this.#seen.set(
        name,
        ciRunFrom({
          name,
          status: run.status,
          conclusion: run.conclusion,
          url: run.html_url ?? run.details_url ?? null,
          head_sha: run.head_sha,
          started_at: run.started_at ?? now,
        }),
      );
    }
    for (const status of statuses) {
      const name = `${status.context} · ${task}`;
      this.#seen.set(
        name,
        ciRunFromStatus({
          name,
          state: status.state,
          url: status.target_url ?? null,
          head_sha: head,
          started_at: status.created_at ?? now,
        }),
      );
    }
  }

  /**
   * The runs seen, and the latest run of each workflow (on any branch: the factory's own on the
   * default branch, CI on the task branches). A token that may not read
   * Actions (`actions: read`), or an outage, leaves the workflows out with a warning: the
   * dashboard is not worth failing a run for.
   */
  async collect(): Promise<{ runs: CiRun[]; warning?: string }> {
    const seen = [...this.#seen.values()];
    try {
      const { data } = await attempt('listing the workflow runs', () =>
        this.#octokit.rest.actions.listWorkflowRunsForRepo({ ...this.#repo, per_page: WORKFLOW_RUNS_READ }),
      );
      const latest = new Map<string, CiRun>();
      for (const run of data.workflow_runs) {
        const name = run.name ?? `workflow ${run.workflow_id}`;
        if (latest.has(name)) continue;
        latest.set(
          name,
          ciRunFrom({
            name,
            status: run.status,
            conclusion: run.conclusion,
            url: run.html_url,
            head_sha: run.head_sha,
            started_at: run.run_started_at ?? run.created_at,
          }),
        );
      }
      return { runs: [...latest.values(), ...seen] };
    } catch (error) {
      // A refused permission (the message names it), a missing resource or an outage.
      if (!(error instanceof FactoryError) || error.errorClass === 'internal') throw error;
      return { runs: seen, warning: `the dashboard shows no workflow runs this time: ${error.message}` };
    }
  }
}
