// Judges a head's checks on GitHub: its check runs and commit statuses, with failing output and log tails.
import type { CheckReport } from '../types.ts';
import { REVIEW_STATUS_CONTEXT } from './reviews.ts';

/** How much of a failing check's output is kept (as the local forge does). */
const CHECK_OUTPUT_CHARS = 4000;
/** How much of a failed job's log is kept: its end, where the error is. */
const LOG_TAIL_CHARS = 2000;

/** The commit status the factory posts when it runs `checks.command` itself (no CI starts for its pushes). */
export const CHECKS_STATUS_CONTEXT = 'aifactory/checks';

/** A check run as GET commits/{sha}/check-runs lists it, reduced to what the verdict needs. */
export interface CheckRunView {
  id?: number;
  name: string;
  status: string;
  conclusion: string | null;
  output: { title: string | null; summary: string | null; text?: string | null };
  app?: { slug?: string } | null;
}

/** A commit status as GET commits/{sha}/status lists it. */
export interface StatusView {
  context: string;
  state: string;
  description: string | null;
}

/** What the verdict may add to the two lists: logs, the factory's own output, the required names. */
export interface CheckExtras {
  /** The tail of a failed check run's job log, by check run name. */
  logs?: ReadonlyMap<string, string>;
  /** Output the factory kept for a status it posted, by context. */
  outputs?: ReadonlyMap<string, string>;
  /** The checks branch protection requires on the default branch (run names or status contexts). */
  required?: readonly string[];
  /**
   * Whether the config expects checks (`checks.required`, default true, or a `checks.command`).
   * Required checks of branch protection mean checks are expected whatever this says.
   */
  expected?: boolean;
  /** The head the lists belong to, named when none was seen. */
  head?: string;
  /** Why no check may come (GitHub refused to start the CI workflow), said when none was seen. */
  note?: string;
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

/** The verdict on a head where no check run and no status was seen. */
function noChecks(extras: CheckExtras): CheckReport {
  const required = extras.required ?? [];
  if (required.length === 0 && extras.expected === false) return { state: 'none', output: '' };
  const names = required.map((name) => `"${name}"`).join(', ');
  const why = [
    `no checks reported for ${extras.head ?? 'this commit'}`,
    required.length > 0 ? `branch protection requires ${names}` : '',
    extras.note ??
      "does a workflow run for the factory's pushes? (pushes made with GITHUB_TOKEN start none; set checks.required to false only when the repository has no checks)",
  ];
  return { state: 'missing', output: why.filter(Boolean).join('; ') };
}

/** The end of a job log without its timestamps, at most LOG_TAIL_CHARS. */
export function logTail(log: string): string {
  const text = log
    .split('\n')
    .map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z ?/, ''))
    .join('\n')
    .trimEnd();
  return text.length > LOG_TAIL_CHARS ? `…${text.slice(-LOG_TAIL_CHARS)}` : text;
}

/**
 * The verdict of a head's checks, from both of GitHub's sources (GITHUB-NOTES.md, "Checks"):
 * red when any check run or status failed, green when every one succeeded, pending otherwise.
 * With none at all ("no checks, no automatic merge", as Renovate without `ignoreTests`): `missing`
 * when checks are expected (the config or branch protection), so the head is never taken for
 * green, and `none` only when the config says the repository has no checks (`checks.required:
 * false`) and branch protection requires none. A required check that is only missing among
 * others is left to GitHub's merge, which waits for it, or to auto-merge. The factory's own
 * `aifactory/review` status is not a check.
 */
export function judgeChecks(
  runs: readonly CheckRunView[],
  statuses: readonly StatusView[],
  extras: CheckExtras = {},
): CheckReport {
  const ours = statuses.filter((status) => status.context !== REVIEW_STATUS_CONTEXT);
  if (runs.length === 0 && ours.length === 0) return noChecks(extras);
  const failedRuns = runs.filter((run) => run.status === 'completed' && RED_RUNS.has(run.conclusion ?? ''));
  const failedStatuses = ours.filter((status) => status.state === 'failure' || status.state === 'error');
  if (failedRuns.length > 0 || failedStatuses.length > 0) {
    const parts = [
      ...failedRuns.map((run) =>
        [
          `${run.name}: ${run.conclusion}`,
          run.output.title,
          run.output.summary,
          run.output.text,
          extras.logs?.get(run.name),
        ]
          .filter(Boolean)
          .join('\n'),
      ),
      ...failedStatuses.map(
        (status) =>
          extras.outputs?.get(status.context) ??
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
