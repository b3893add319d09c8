// CI runs for `ci.json`: GitHub's workflow runs, check runs and statuses as the dashboard shows them. Pure.
import type { CiRun } from './snapshot-schema.ts';

/** How many CI runs `ci.json` keeps: the newest, so the file stays small as tasks come and go. */
export const CI_RUNS_KEPT = 100;

/** What GitHub says of a workflow run or a check run, in its own words. */
export interface ForgeRun {
  name: string;
  /** `queued`, `in_progress`, `completed`, or one of GitHub's waiting words (`waiting`, `requested`, `pending`). */
  status: string | null;
  /** GitHub's conclusion: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, … */
  conclusion: string | null;
  url: string | null;
  head_sha: string | null;
  started_at: string;
}

/**
 * `url` when it is an http(s) address, else null. A status's `target_url` is set by whoever posts
 * the status (a workflow running a pull request's code can): the dashboard links to it, so a
 * `javascript:` address must never reach a page.
 */
function webUrl(url: string | null): string | null {
  return url !== null && /^https?:\/\//i.test(url) ? url : null;
}

/**
 * A GitHub workflow run or check run as the dashboard shows it. GitHub's finer conclusions fold
 * into the four the dashboard tells apart: anything that needs a person reads as a failure, and
 * `neutral` as skipped.
 */
export function ciRunFrom(run: ForgeRun): CiRun {
  const status =
    run.status === 'completed' ? 'completed' : run.status === 'in_progress' ? 'in_progress' : 'queued';
  let conclusion: CiRun['conclusion'] = null;
  if (status === 'completed') {
    if (run.conclusion === 'success' || run.conclusion === 'cancelled' || run.conclusion === 'skipped') {
      conclusion = run.conclusion;
    } else if (run.conclusion === 'neutral') {
      conclusion = 'skipped';
    } else {
      // failure, timed_out, action_required, startup_failure, stale, a status's error.
      conclusion = 'failure';
    }
  }
  return {
    name: run.name,
    status,
    conclusion,
    url: webUrl(run.url),
    head_sha: run.head_sha,
    started_at: run.started_at,
  };
}

/**
 * A commit status (`state` success, failure, error or pending) as a CI run: a pending status is
 * a run in progress.
 */
export function ciRunFromStatus(status: {
  name: string;
  state: string;
  url: string | null;
  head_sha: string;
  started_at: string;
}): CiRun {
  const done = status.state !== 'pending';
  return ciRunFrom({
    name: status.name,
    status: done ? 'completed' : 'in_progress',
    conclusion: done ? status.state : null,
    url: status.url,
    head_sha: status.head_sha,
    started_at: status.started_at,
  });
}

/**
 * `previous` runs updated by `fresh` ones: a fresh run replaces the earlier one of the same name,
 * the rest stay, newest first (ties by name), at most `limit`. Runs a run did not look at again
 * (an earlier task's checks) so keep their last known state.
 */
export function mergeCiRuns(
  previous: readonly CiRun[],
  fresh: readonly CiRun[],
  limit: number = CI_RUNS_KEPT,
): CiRun[] {
  const byName = new Map<string, CiRun>();
  for (const run of previous) byName.set(run.name, run);
  for (const run of fresh) byName.set(run.name, run);
  return [...byName.values()]
    .sort((a, b) =>
      a.started_at !== b.started_at ? (a.started_at > b.started_at ? -1 : 1) : a.name < b.name ? -1 : 1,
    )
    .slice(0, limit);
}

/** The task a per-task run belongs to: runs are named `<check> · <task>`. */
function taskOf(run: CiRun): string | undefined {
  const at = run.name.lastIndexOf(' · ');
  return at < 0 ? undefined : run.name.slice(at + 3);
}

/**
 * The checks the run records show (`checkRunsFrom`), except for tasks whose checks the forge
 * already reported with links: on GitHub those are the truth, and a record-made line beside
 * them would only repeat them without a link.
 */
export function recordChecksBeside(previous: readonly CiRun[], fromRecords: readonly CiRun[]): CiRun[] {
  const linked = new Set(previous.filter((run) => run.url !== null).map(taskOf));
  return fromRecords.filter((run) => !linked.has(taskOf(run)));
}
