import type { CheckReport } from '../types.ts';
import { REVIEW_STATUS_CONTEXT } from './reviews.ts';

/** How much of a failing check's output is kept (as the local forge does). */
const CHECK_OUTPUT_CHARS = 4000;

/** A check run as GET commits/{sha}/check-runs lists it, reduced to what the verdict needs. */
export interface CheckRunView {
  name: string;
  status: string;
  conclusion: string | null;
  output: { title: string | null; summary: string | null; text?: string | null };
}

/** A commit status as GET commits/{sha}/status lists it. */
export interface StatusView {
  context: string;
  state: string;
  description: string | null;
}

const RED_RUNS = new Set([
  'failure',
  'cancelled',
  'timed_out',
  'action_required',
  'stale',
  'startup_failure',
]);
const GREEN_RUNS = new Set(['success', 'neutral', 'skipped']);

/**
 * The verdict of a head's checks, from both of GitHub's sources (GITHUB-NOTES.md, "Checks"):
 * red when any check run or status failed, green when every one succeeded, pending otherwise.
 * `none` when there are none at all — as in the local forge, "no checks configured", which the
 * engine treats as green. Right after a push GitHub may not list a workflow's runs yet, so `none`
 * can also mean "not started": a required status check in branch protection makes the merge wait
 * for CI (README, "The GitHub forge"). The factory's own `aifactory/review` status is not a check.
 */
export function judgeChecks(runs: readonly CheckRunView[], statuses: readonly StatusView[]): CheckReport {
  const ours = statuses.filter((status) => status.context !== REVIEW_STATUS_CONTEXT);
  if (runs.length === 0 && ours.length === 0) return { state: 'none', output: '' };
  const failedRuns = runs.filter((run) => run.status === 'completed' && RED_RUNS.has(run.conclusion ?? ''));
  const failedStatuses = ours.filter((status) => status.state === 'failure' || status.state === 'error');
  if (failedRuns.length > 0 || failedStatuses.length > 0) {
    const parts = [
      ...failedRuns.map((run) =>
        [`${run.name}: ${run.conclusion}`, run.output.title, run.output.summary, run.output.text]
          .filter(Boolean)
          .join('\n'),
      ),
      ...failedStatuses.map((status) =>
        `${status.context}: ${status.state} ${status.description ?? ''}`.trim(),
      ),
    ];
    const output = parts.join('\n\n');
    return {
      state: 'failed',
      output: output.length > CHECK_OUTPUT_CHARS ? output.slice(0, CHECK_OUTPUT_CHARS) : output,
    };
  }
  const greenRuns = runs.every((run) => run.status === 'completed' && GREEN_RUNS.has(run.conclusion ?? ''));
  const greenStatuses = ours.every((status) => status.state === 'success');
  return greenRuns && greenStatuses ? { state: 'passed', output: '' } : { state: 'pending', output: '' };
}
